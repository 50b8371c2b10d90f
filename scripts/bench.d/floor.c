// The floor for faast's sequential call latency: the least a host can do to make one call through a faast
// trampoline. Starts the trampoline exactly as the local provider does (a copy of the trampoline in a temp
// dir; the same interpreter flags and environment; requests on the child's fd 3, responses on its fd 4;
// stdout/stderr to a log file; stdin /dev/null; cwd the module's folder; own process group), waits for the
// `ready` line, then times N sequential round trips of {"callId":"c1","name":"noop","args":[1]} with
// clock_gettime(CLOCK_MONOTONIC). No JSON parsing, no threads, no statistics beyond a sort at the end.
// Like faast's lanes, the driver and its worker share one CPU (FLOOR_CROSS_CPU=1 lets them float), since a
// wake-up that crosses CPUs costs several times the whole round trip on a VM.
//
//   floor RUNTIME(node|python) INTERPRETER TRAMPOLINE MODULE N [WARMUP] [MEMORY_MB]
//
// Prints one JSON object: {"n":…, "p50Ms":…, "p99Ms":…, "meanMs":…, "minMs":…, "maxMs":…, "readyMs":…}.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void die(const char *what) {
    fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
    exit(1);
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void copy_file(const char *from, const char *to) {
    int in = open(from, O_RDONLY);
    if (in < 0) die(from);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0) die(to);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        if (write(out, buf, (size_t)n) != n) die("write trampoline");
    }
    close(in);
    close(out);
}

// Response reader: one buffer, lines handed out as they complete.
static char rbuf[1 << 20];
static size_t rlen = 0;

// Reads until a full line is buffered; returns its length (newline included) or -1 at EOF / timeout.
static ssize_t read_line(int fd, int timeout_ms) {
    for (;;) {
        char *nl = memchr(rbuf, '\n', rlen);
        if (nl) return nl - rbuf + 1;
        if (timeout_ms >= 0) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            int r = poll(&p, 1, timeout_ms);
            if (r == 0) return -1;
            if (r < 0 && errno != EINTR) die("poll");
        }
        if (rlen == sizeof rbuf) { fprintf(stderr, "floor: response line too long\n"); exit(1); }
        ssize_t n = read(fd, rbuf + rlen, sizeof rbuf - rlen);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        rlen += (size_t)n;
    }
}

static void consume(size_t n) {
    memmove(rbuf, rbuf + n, rlen - n);
    rlen -= n;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, int n, double p) {
    int rank = (int)((p / 100.0) * n + 0.999999999) - 1;
    if (rank < 0) rank = 0;
    if (rank >= n) rank = n - 1;
    return sorted[rank];
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: floor RUNTIME INTERPRETER TRAMPOLINE MODULE N [WARMUP] [MEMORY_MB]\n");
        return 2;
    }
    const char *runtime = argv[1], *interpreter = argv[2], *trampoline_src = argv[3];
    int n = atoi(argv[5]);
    int warmup = argc > 6 ? atoi(argv[6]) : 200;
    int memory_mb = argc > 7 ? atoi(argv[7]) : 1024;
    int is_node = strcmp(runtime, "node") == 0;
    if (n < 1) { fprintf(stderr, "floor: N must be positive\n"); return 2; }

    char module[PATH_MAX];
    if (!realpath(argv[4], module)) die(argv[4]);
    char module_dir[PATH_MAX];
    snprintf(module_dir, sizeof module_dir, "%s", module);
    dirname(module_dir);

    char dir[] = "/tmp/faast-floor-XXXXXX";
    if (!mkdtemp(dir)) die("mkdtemp");
    char trampoline[PATH_MAX], log_path[PATH_MAX];
    snprintf(trampoline, sizeof trampoline, "%s/%s", dir, is_node ? "trampoline.js" : "trampoline.py");
    snprintf(log_path, sizeof log_path, "%s/worker.log", dir);
    copy_file(trampoline_src, trampoline);

    // The provider's environment: the inherited one, minus NODE_EXTRA_CA_CERTS, plus faast's variables.
    int count = 0;
    while (environ[count]) count++;
    char **envp = calloc((size_t)count + 16, sizeof *envp);
    int e = 0;
    static const char *replaced[] = {"NODE_EXTRA_CA_CERTS=", "FAAST_PROVIDER=", "FAAST_SESSION_ID=", "FAAST_MODULE=",
        "AWS_LAMBDA_FUNCTION_NAME=", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=", "PYTHONUNBUFFERED=",
        "PYTHONDONTWRITEBYTECODE=", "FAAST_MEMORY_MB=", NULL};
    for (int i = 0; i < count; i++) {
        int skip = 0;
        for (const char **r = replaced; *r; r++) if (strncmp(environ[i], *r, strlen(*r)) == 0) skip = 1;
        if (!skip) envp[e++] = environ[i];
    }
    char buf[8][PATH_MAX + 64];
    snprintf(buf[0], sizeof buf[0], "FAAST_MODULE=%s", module); envp[e++] = buf[0];
    snprintf(buf[1], sizeof buf[1], "FAAST_PROVIDER=local"); envp[e++] = buf[1];
    snprintf(buf[2], sizeof buf[2], "FAAST_SESSION_ID=floor"); envp[e++] = buf[2];
    snprintf(buf[3], sizeof buf[3], "AWS_LAMBDA_FUNCTION_NAME=faast-floor"); envp[e++] = buf[3];
    snprintf(buf[4], sizeof buf[4], "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%d", memory_mb); envp[e++] = buf[4];
    snprintf(buf[5], sizeof buf[5], "PYTHONUNBUFFERED=1"); envp[e++] = buf[5];
    snprintf(buf[6], sizeof buf[6], "PYTHONDONTWRITEBYTECODE=1"); envp[e++] = buf[6];
    if (!is_node) { snprintf(buf[7], sizeof buf[7], "FAAST_MEMORY_MB=%d", memory_mb); envp[e++] = buf[7]; }
    envp[e] = NULL;

    char heap[64];
    snprintf(heap, sizeof heap, "--max-old-space-size=%d", memory_mb);
    char *child_argv[4] = {(char *)interpreter, is_node ? heap : "-u", trampoline, NULL};

    int req[2], resp[2];
    if (pipe2(req, O_CLOEXEC) || pipe2(resp, O_CLOEXEC)) die("pipe");
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0) die(log_path);
    signal(SIGPIPE, SIG_IGN);

    int same_cpu = !getenv("FLOOR_CROSS_CPU");
    cpu_set_t one;
    if (same_cpu) {
        cpu_set_t allowed;
        CPU_ZERO(&one);
        if (sched_getaffinity(0, sizeof allowed, &allowed) == 0) {
            for (int c = 0; c < CPU_SETSIZE; c++) if (CPU_ISSET(c, &allowed)) { CPU_SET(c, &one); break; }
            sched_setaffinity(0, sizeof one, &one);
        } else {
            same_cpu = 0;
        }
    }

    double t_spawn = now_ms();
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(126);
        setpgid(0, 0);
        signal(SIGPIPE, SIG_DFL);
        int r = fcntl(req[0], F_DUPFD, 10), w = fcntl(resp[1], F_DUPFD, 10), l = fcntl(log_fd, F_DUPFD, 10);
        int devnull = open("/dev/null", O_RDONLY);
        if (r < 0 || w < 0 || l < 0 || devnull < 0) _exit(125);
        if (dup2(devnull, 0) < 0 || dup2(l, 1) < 0 || dup2(l, 2) < 0 || dup2(r, 3) < 0 || dup2(w, 4) < 0) _exit(125);
        for (int fd = 5; fd < 1024; fd++) close(fd);
        if (chdir(module_dir) != 0) _exit(124);
        execve(interpreter, child_argv, envp);
        _exit(127);
    }
    close(req[0]);
    close(resp[1]);
    close(log_fd);
    int to_child = req[1], from_child = resp[0];

    ssize_t len = read_line(from_child, 30000);
    if (len < 0 || !strstr(rbuf, "\"ready\"")) {
        fprintf(stderr, "floor: the worker did not say ready (see %s)\n", log_path);
        kill(pid, SIGKILL);
        return 1;
    }
    double ready_ms = now_ms() - t_spawn;
    consume((size_t)len);

    static const char request[] = "{\"callId\":\"c1\",\"name\":\"noop\",\"args\":[1]}\n";
    const size_t request_len = sizeof request - 1;
    double *samples = malloc(sizeof(double) * (size_t)n);
    for (int i = -warmup; i < n; i++) {
        double t0 = now_ms();
        if (write(to_child, request, request_len) != (ssize_t)request_len) die("write request");
        len = read_line(from_child, -1);
        double t1 = now_ms();
        if (len < 0) { fprintf(stderr, "floor: the worker exited (see %s)\n", log_path); return 1; }
        if (i == -warmup && !strstr(rbuf, "\"returned\"")) {
            fprintf(stderr, "floor: unexpected response: %.*s\n", (int)len, rbuf);
            return 1;
        }
        consume((size_t)len);
        if (i >= 0) samples[i] = t1 - t0;
    }

    close(to_child);
    int status;
    waitpid(pid, &status, 0);
    unlink(trampoline);
    unlink(log_path);
    rmdir(dir);

    double sum = 0;
    for (int i = 0; i < n; i++) sum += samples[i];
    qsort(samples, (size_t)n, sizeof(double), cmp_double);
    printf("{\"n\": %d, \"p50Ms\": %.4f, \"p99Ms\": %.4f, \"meanMs\": %.4f, \"minMs\": %.4f, \"maxMs\": %.4f, "
           "\"readyMs\": %.2f}\n",
           n, percentile(samples, n, 50), percentile(samples, n, 99), sum / n, samples[0], samples[n - 1], ready_ms);
    return 0;
}
