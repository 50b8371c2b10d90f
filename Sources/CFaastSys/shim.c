// See faast_sys.h.
#ifndef __linux__
#error "CFaastSys is Linux-only (prctl, pipe2, sched_setaffinity, pidfd_open)"
#endif
#define _GNU_SOURCE
#include "faast_sys.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// MARK: - Worker processes

static void close_from(int lowest) {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)lowest, ~0U, 0) == 0) return;
#endif
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536) max = 65536;
    for (int fd = lowest; fd < max; fd++) close(fd);
}

pid_t faast_spawn_worker(const char *path, char *const argv[], char *const envp[], const char *cwd,
                         int request_read, int response_write, int log_fd) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return -errno;
    if (pid > 0) return pid;

    // Child: only async-signal-safe calls from here on.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);  // the parent died before prctl took effect
    setpgid(0, 0);

    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int reset[] = {SIGINT, SIGTERM, SIGQUIT, SIGPIPE, SIGHUP, SIGCHLD};
    for (unsigned i = 0; i < sizeof reset / sizeof reset[0]; i++) signal(reset[i], SIG_DFL);

    // Move the sources out of the way first so that dup2 onto 1..4 cannot clobber one of them.
    int req = fcntl(request_read, F_DUPFD, 10);
    int resp = fcntl(response_write, F_DUPFD, 10);
    int log = fcntl(log_fd, F_DUPFD, 10);
    int devnull = open("/dev/null", O_RDONLY);
    if (req < 0 || resp < 0 || log < 0 || devnull < 0) _exit(125);
    if (dup2(devnull, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0 || dup2(req, 3) < 0 || dup2(resp, 4) < 0) _exit(125);
    close_from(5);

    if (cwd && chdir(cwd) != 0) _exit(124);
    execve(path, argv, envp);
    _exit(127);
}

int faast_pipe(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno;
}

int faast_pipe_capacity(int fd) {
#ifdef F_GETPIPE_SZ
    int n = fcntl(fd, F_GETPIPE_SZ);
    if (n > 0) return n;
#endif
    (void)fd;
    return 4096;
}

int faast_pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
    long fd = syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0) return -errno;
    fcntl((int)fd, F_SETFD, FD_CLOEXEC);
    return (int)fd;
#else
    (void)pid;
    return -ENOSYS;
#endif
}

int faast_await_exit(pid_t pid, int block) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int r;
    do {
        r = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT | (block ? 0 : WNOHANG));
    } while (r < 0 && errno == EINTR);
    if (r < 0) return -errno;
    return info.si_pid == pid ? 1 : 0;
}

int faast_become_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 ? 0 : -errno;
}

int faast_wait_status_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return 0;
}

// MARK: - CPU placement

static cpu_set_t allowed_cpus;
static pthread_once_t allowed_once = PTHREAD_ONCE_INIT;

static void read_allowed(void) {
    // The main thread's mask (its tid is the pid): faast never binds that thread, while the calling thread
    // may be a lane that is bound.
    CPU_ZERO(&allowed_cpus);
    if (sched_getaffinity(getpid(), sizeof allowed_cpus, &allowed_cpus) != 0) CPU_SET(0, &allowed_cpus);
}

static void load_allowed(void) { pthread_once(&allowed_once, read_allowed); }

int faast_allowed_cpus(int *cpus, int max) {
    load_allowed();
    int n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < max; c++) {
        if (CPU_ISSET(c, &allowed_cpus)) cpus[n++] = c;
    }
    return n;
}

int faast_bind_cpu(pid_t tid, int cpu) {
    load_allowed();
    cpu_set_t set;
    if (cpu < 0) {
        set = allowed_cpus;
    } else {
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
    }
    return sched_setaffinity(tid, sizeof set, &set) == 0 ? 0 : -errno;
}

// MARK: - Signals

static volatile sig_atomic_t sigint_count = 0;
static volatile sig_atomic_t sigterm_flag = 0;
// The self-pipe: handlers write a byte so that poll wakes; the counters above are what a reader checks.
static int wake_pipe[2] = {-1, -1};
static pthread_once_t signals_once = PTHREAD_ONCE_INIT;

static void wake(void) {
    int saved = errno;
    if (wake_pipe[1] >= 0) (void)!write(wake_pipe[1], "!", 1);
    errno = saved;
}

static void on_sigint(int sig) { (void)sig; sigint_count++; wake(); }
static void on_sigterm(int sig) { (void)sig; sigterm_flag = 1; wake(); }

static void install(void) {
    if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) wake_pipe[0] = wake_pipe[1] = -1;
    struct sigaction sa;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_sigterm;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

void faast_signals_install(void) { pthread_once(&signals_once, install); }

int faast_take_sigint(void) {
    int n = sigint_count;
    sigint_count = 0;
    return n;
}

int faast_sigterm_received(void) { return sigterm_flag; }

int faast_signal_fd(void) { return wake_pipe[0]; }

int faast_getc(FILE *stream) {
    (void)stream;
    for (;;) {
        if (sigint_count > 0 || sigterm_flag) return -1;
        struct pollfd p[2] = {{.fd = 0, .events = POLLIN}, {.fd = wake_pipe[0], .events = POLLIN}};
        int r = poll(p, 2, -1);
        if (r < 0 && errno != EINTR) return 4;
        if (r <= 0) continue;
        if (p[1].revents & POLLIN) {
            char drain[64];
            while (read(wake_pipe[0], drain, sizeof drain) > 0) {}
            continue;
        }
        unsigned char c;
        ssize_t n = read(0, &c, 1);
        // With the terminal's ISIG off, Ctrl-C arrives as a byte instead of a signal: the same thing.
        if (n == 1 && c == 3) { sigint_count++; return -1; }
        if (n == 1) return c;
        if (n == 0) return 4;
        if (errno != EINTR && errno != EAGAIN) return 4;
    }
}
