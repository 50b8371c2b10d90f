// The system calls faast needs and Swift cannot make directly: fork/exec of workers with a parent-death
// signal, CPU affinity, pipe sizes, process descriptors, and async-signal-safe signal handling.
// Linux only (prctl, pipe2, sched_setaffinity, pidfd_open, F_GETPIPE_SZ).
#ifndef FAAST_SYS_H
#define FAAST_SYS_H

#include <stdio.h>
#include <sys/types.h>

// MARK: - Worker processes

/// Starts a worker process: `path` with `argv` and `envp`, in directory `cwd`.
/// In the child, fd 0 is /dev/null, fds 1 and 2 are `log_fd`, fd 3 is `request_read` and fd 4 is
/// `response_write`; every other descriptor is closed. The child runs in its own process group (so a
/// terminal's Ctrl-C reaches the shell, not the workers), with default signal handling, and is killed
/// when the thread that started it ends (PR_SET_PDEATHSIG: the forking *thread*, not the process).
/// Returns the child's pid, or -errno when fork fails. An exec failure shows as exit code 127.
pid_t faast_spawn_worker(const char *path, char *const argv[], char *const envp[], const char *cwd,
                         int request_read, int response_write, int log_fd);

/// pipe2 with O_CLOEXEC; returns 0 or -errno.
int faast_pipe(int fds[2]);

/// How many bytes a pipe holds before a write blocks (F_GETPIPE_SZ); 4096 if the system cannot say.
int faast_pipe_capacity(int fd);

/// A descriptor that becomes readable when process `pid` exits (pidfd_open, O_CLOEXEC); -errno if the
/// kernel has none (before Linux 5.3).
int faast_pidfd_open(pid_t pid);

/// Waits until child `pid` has exited (or, with `block` 0, checks) without reaping it, so its pid cannot be
/// reused meanwhile: 1 when it has exited, 0 when not yet, -errno on error.
int faast_await_exit(pid_t pid, int block);

/// Makes this process the reaper of its orphaned descendants (PR_SET_CHILD_SUBREAPER): a process that a worker
/// started and left behind, even one that called setsid, becomes faast's child instead of init's, so faast can
/// find and stop it. Returns 0 or -errno.
int faast_become_subreaper(void);

/// Decodes a wait status: exit code (>= 0) or -signal.
int faast_wait_status_code(int status);

// MARK: - CPU placement

/// The CPUs this process may run on (its affinity mask, as set by taskset or a cpuset), in order, into
/// `cpus` (at most `max`); returns how many.
int faast_allowed_cpus(int *cpus, int max);

/// Binds a thread (`tid`, 0 for the calling thread) to one CPU, or to every allowed CPU when `cpu` < 0.
/// Returns 0 or -errno.
int faast_bind_cpu(pid_t tid, int cpu);

// MARK: - Signals

/// Installs SIGINT, SIGTERM and SIGHUP handlers that only count (no SA_RESTART, so a blocking call
/// returns EINTR) and write a byte to a self-pipe, so that a thread waiting in poll wakes up whichever
/// thread caught the signal. Idempotent.
void faast_signals_install(void);

/// Returns how many SIGINTs arrived since the last call, and resets the count.
int faast_take_sigint(void);

/// Whether a SIGTERM (or SIGHUP) has arrived.
int faast_sigterm_received(void);

/// The read end of the self-pipe the signal handlers write to (-1 before faast_signals_install): poll it
/// with another descriptor to wait for either without a timeout.
int faast_signal_fd(void);

/// A getc for the line editor: waits for a byte of standard input, but gives up (-1) as soon as a SIGINT
/// or SIGTERM is pending, whichever thread caught it. End of input reads as Ctrl-D (4).
int faast_getc(FILE *stream);

#endif
