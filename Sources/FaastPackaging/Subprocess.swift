import FaastCore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The child processes a deploy step runs (an install, the tracer, the local describe). When another step of
/// the deploy fails, `stop` ends them (each one's whole process group: npm's and pip's own children too), and
/// any started later at once, so that the rollback need not wait for a long `npm install` or `pip install`.
/// Set it for a step with `ChildProcesses.$current.withValue(…)`; `Subprocess.run` registers with it.
public final class ChildProcesses: Sendable {
    @TaskLocal public static var current: ChildProcesses?

    private struct State {
        var running: [ObjectIdentifier: Subprocess.Child] = [:]
        var stopped = false
        /// What was stopped, by label ("installing package.json for Lambda (x86_64)"), in order.
        var ended: [String] = []
    }
    private let state = Mutex(State())

    public init() {}

    /// Stops what runs now and what starts from now on.
    public func stop() {
        let running = state.withLock { s -> [Subprocess.Child] in
            s.stopped = true
            return Array(s.running.values)
        }
        for child in running { child.stop() }
    }

    /// The labels of the processes `stop` ended (or refused to start); a process run without a label is not named.
    public var stoppedLabels: [String] { state.withLock { $0.ended } }

    /// Registers `child`; false when the group is stopped (the child is then stopped too).
    fileprivate func add(_ child: Subprocess.Child) {
        let stopped = state.withLock { s -> Bool in
            if !s.stopped { s.running[ObjectIdentifier(child)] = child }
            return s.stopped
        }
        if stopped { child.stop() }
    }

    fileprivate func remove(_ child: Subprocess.Child) {
        state.withLock { s in
            s.running[ObjectIdentifier(child)] = nil
            if child.wasStopped, let label = child.label, !s.ended.contains(label) { s.ended.append(label) }
        }
    }
}

/// A child process run to completion (a tracer, pip, npm), its output captured line by line.
struct Subprocess {
    struct Result {
        var status: Int32
        var output: String
        var timedOut: Bool
    }

    /// A running child, which `stop` ends: SIGINT to its process group (npm and pip clean up their temporary
    /// files on it), SIGKILL to what is left of the group 2 s later. Foundation starts every child in a process
    /// group of its own.
    final class Child: Sendable {
        let label: String?
        private let state = Mutex<(pid: pid_t, stopped: Bool, exited: Bool)>((0, false, false))

        init(label: String?) { self.label = label }

        var wasStopped: Bool { state.withLock { $0.stopped } }

        func stop() {
            let pid = state.withLock { s -> pid_t in
                if s.stopped || s.exited { return 0 }
                s.stopped = true
                return s.pid
            }
            if pid > 0 { signalGroup(pid) }
        }

        /// The child started as `pid`; false when it was stopped before (it is then stopped now).
        func started(_ pid: pid_t) {
            let stopped = state.withLock { s -> Bool in
                s.pid = pid
                return s.stopped
            }
            if stopped { signalGroup(pid) }
        }

        /// Its output ended: whatever of its group is still there is killed, if it was stopped.
        func ended() -> Bool {
            state.withLock { s in
                s.exited = true
                return s.stopped
            }
        }

        private func signalGroup(_ pid: pid_t) {
            kill(-pid, SIGINT)
            DispatchQueue.global().asyncAfter(deadline: .now() + 2) { [self] in
                // Only while its output is still open: afterwards the group may be gone and its id reused.
                if !state.withLock({ $0.exited }) { kill(-pid, SIGKILL) }
            }
        }
    }

    /// Runs `executable` with `arguments` in `directory`, merging stdout and stderr; `onLine` sees each line as
    /// it comes (for progress). The child is killed (its whole process group) after `timeout` seconds, or
    /// stopped by `child`. Blocks the calling thread: callers run it off the cooperative pool (`run` below).
    static func runBlocking(_ executable: String, _ arguments: [String], directory: String? = nil,
                            environment: [String: String]? = nil, timeout: Double, child: Child? = nil,
                            onLine: (@Sendable (String) -> Void)? = nil) throws(FaastError) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw FaastError(.deployFailed, "cannot run \(executable): \(error.localizedDescription)")
        }
        let pid = process.processIdentifier
        child?.started(pid)
        let deadline = DispatchTime.now() + timeout
        let killer = DispatchWorkItem { kill(-pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: deadline, execute: killer)
        var collected = Data()
        var pending = Data()
        let handle = pipe.fileHandleForReading
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            collected.append(chunk)
            // A pip log can be long: keep the last 256 KB, where its error is.
            if collected.count > 262_144 { collected = collected.suffix(262_144) }
            if let onLine {
                pending.append(chunk)
                while let nl = pending.firstIndex(where: { $0 == 10 || $0 == 13 }) {
                    let line = String(decoding: pending[pending.startIndex..<nl], as: UTF8.self)
                    pending = pending.suffix(from: nl + 1)
                    if !line.isEmpty { onLine(line) }
                }
            }
        }
        process.waitUntilExit()
        killer.cancel()
        _ = child?.ended()
        let timedOut = process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL
        return Result(status: process.terminationStatus, output: String(decoding: collected, as: UTF8.self), timedOut: timedOut)
    }

    /// `runBlocking` on a thread of its own, so a minute of pip does not hold a cooperative thread. Cancelling
    /// the task, or stopping the `ChildProcesses` it runs under, stops the child: then it throws `cancelled`
    /// ("`label` was stopped").
    static func run(_ executable: String, _ arguments: [String], directory: String? = nil,
                    environment: [String: String]? = nil, timeout: Double, label: String? = nil,
                    onLine: (@Sendable (String) -> Void)? = nil) async throws(FaastError) -> Result {
        let child = Child(label: label)
        let group = ChildProcesses.current
        group?.add(child)
        defer { group?.remove(child) }
        let outcome: Swift.Result<Result, FaastError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread {
                    continuation.resume(returning: Swift.Result { () throws(FaastError) -> Result in
                        try runBlocking(executable, arguments, directory: directory, environment: environment,
                                        timeout: timeout, child: child, onLine: onLine)
                    })
                }
            }
        } onCancel: {
            child.stop()
        }
        if child.wasStopped {
            throw FaastError(.cancelled, "\(label ?? FilePaths.lastComponent(executable)) was stopped")
        }
        return try outcome.get()
    }
}
