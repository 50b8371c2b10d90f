#ifndef FAAST_SYS_H
#define FAAST_SYS_H

#include <sys/types.h>

/// Starts a worker process: `path` with `argv` and `envp`, in directory `cwd`.
/// In the child, fd 0 is /dev/null, fds 1 and 2 are `log_fd`, fd 3 is `request_read` and fd 4 is
/// `response_write`; every other descriptor is closed. The child runs in its own process group (so a
/// terminal's Ctrl-C reaches the shell, not the workers), with default signal handling, and is killed
/// when the process that started it dies (PR_SET_PDEATHSIG).
/// Returns the child's pid, or -errno when fork fails. An exec failure shows as exit code 127.
pid_t faast_spawn_worker(const char *path, char *const argv[], char *const envp[], const char *cwd,
                         int request_read, int response_write, int log_fd);

/// pipe2 with O_CLOEXEC; returns 0 or -errno.
int faast_pipe(int fds[2]);

/// How many bytes a pipe holds before a write blocks (F_GETPIPE_SZ); 4096 if the system cannot say.
int faast_pipe_capacity(int fd);

/// The CPUs this process may run on (its affinity mask, as set by taskset or a cpuset), in order, into
/// `cpus` (at most `max`); returns how many.
int faast_allowed_cpus(int *cpus, int max);

/// Binds a thread (`tid`, 0 for the calling thread) to one CPU, or to every allowed CPU when `cpu` < 0.
/// Returns 0 or -errno.
int faast_bind_cpu(pid_t tid, int cpu);

/// Decodes a wait status: exit code (>= 0) or -signal.
int faast_wait_status_code(int status);

#endif

#ifndef FAAST_SYS_SIGNALS
#define FAAST_SYS_SIGNALS
/// Installs SIGINT and SIGTERM handlers that only count (no SA_RESTART, so a blocking poll wakes up).
void faast_signals_install(void);
/// Returns how many SIGINTs arrived since the last call, and resets the count.
int faast_take_sigint(void);
/// Whether a SIGTERM (or SIGHUP) has arrived.
int faast_sigterm_received(void);
#endif

#ifndef FAAST_SYS_GETC
#define FAAST_SYS_GETC
#include <stdio.h>
/// A getc for the line editor: waits for a byte of standard input, but gives up (-1) as soon as a SIGINT
/// or SIGTERM is pending, whichever thread caught it. End of input reads as Ctrl-D (4).
int faast_getc(FILE *stream);
#endif

