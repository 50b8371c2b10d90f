import CFaastSys
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

// Concurrency in the shell, in one place:
// - `Shell` is an actor: commands run on it one at a time, in order; `runInterruptibly` runs each command (or a
//   whole script) as a task that a signal cancels.
// - Signals: the C handlers (CFaastSys) only count SIGINT and note SIGTERM/SIGHUP, and write a byte to a
//   self-pipe. Exactly one reader waits on that pipe at a time: the line editor's `faast_getc` at the prompt,
//   `readStandardInput` while commands are read from a pipe, or a `SignalWatcher` thread while a command runs.
// - The line editor blocks a thread of its own per line (`LineEditor.readLineAsync`); libedit's completion
//   callback runs on it and reads `completionContext`, the one global (a C callback has no context pointer),
//   which the REPL updates between commands under its lock.
// - A fan-out's progress line is a task that redraws every 100 ms while the fan-out runs (a display rate,
//   not a wait).

/// Runs `body` as a task that Ctrl-C (SIGINT) or SIGTERM cancels; returns its status.
public func runInterruptibly(_ body: @escaping @Sendable () async -> CommandStatus) async -> CommandStatus {
    let task = Task { await body() }
    let watcher = SignalWatcher { task.cancel() }
    let status = await task.value
    watcher.stop()
    return status
}

/// Installs faast's SIGINT/SIGTERM handling (counting handlers that wake the self-pipe).
public func installSignalHandlers() {
    faast_signals_install()
    signal(SIGPIPE, SIG_IGN)
}

/// Whether SIGTERM or SIGHUP has arrived.
public var terminationRequested: Bool { faast_sigterm_received() != 0 }

/// A thread that sleeps in poll(2) on the signal self-pipe and on a pipe of its own, and calls `onSignal` once
/// when SIGINT or SIGTERM arrives — including one that arrived before it started (a Ctrl-C while a module
/// opened, between script lines). `stop` ends it without taking a later signal.
final class SignalWatcher: Sendable {
    private let stopWrite: Int32
    private let stopped = Atomic<Bool>(false)

    init(onSignal: @escaping @Sendable () -> Void) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            stopWrite = -1
            return
        }
        // Not inherited by workers started while a command runs.
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        stopWrite = fds[1]
        let stopRead = fds[0], signals = faast_signal_fd()
        let thread = Thread { [self] in
            defer { close(stopRead) }
            var fired = false
            while true {
                var p = [pollfd(fd: stopRead, events: Int16(POLLIN), revents: 0),
                         pollfd(fd: signals, events: Int16(POLLIN), revents: 0)]
                // Checked before waiting, and the stop pipe before the signals: a watcher told to stop must
                // not eat the next command's Ctrl-C.
                if stopped.load(ordering: .acquiring) { return }
                if !fired, faast_take_sigint() > 0 || faast_sigterm_received() != 0 {
                    fired = true
                    onSignal()
                }
                let r = poll(&p, signals >= 0 ? 2 : 1, -1)
                if r < 0, errno != EINTR { return }
                if p[0].revents != 0 { return }
                if signals >= 0, p[1].revents & Int16(POLLIN) != 0 {
                    var drain = [UInt8](repeating: 0, count: 64)
                    while read(signals, &drain, drain.count) > 0 {}
                }
            }
        }
        thread.name = "faast-signals"
        thread.start()
    }

    /// Ends the thread (it takes no signal after this).
    func stop() {
        stopped.store(true, ordering: .releasing)
        guard stopWrite >= 0 else { return }
        var byte: UInt8 = 1
        _ = write(stopWrite, &byte, 1)
        close(stopWrite)
    }
}
