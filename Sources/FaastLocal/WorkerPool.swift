import FaastCore
import Foundation
import Synchronization

/// The warm workers of a local session: idle ones are reused, new ones are started on demand (the
/// invocation core's concurrency limit decides how many calls, and so workers, are busy at once).
final class WorkerPool: Sendable {
    private let launch: WorkerLaunch
    private struct State {
        var idle: [Worker] = []
        var all: [Int: Worker] = [:]
        var nextId = 1
        var closed = false
    }
    private let state = Mutex(State())

    init(launch: WorkerLaunch) { self.launch = launch }

    /// An idle warm worker or a new one, on the calling thread (which blocks while a new one starts).
    func acquireBlocking() throws(FaastError) -> Worker {
        if let idle = try takeIdle() { return idle }
        return try startWorkerBlocking()
    }

    private func takeIdle() throws(FaastError) -> Worker? {
        try state.withLock { s throws(FaastError) -> Worker? in
            if s.closed { throw FaastError(.cancelled, "the session has been cleaned up") }
            while let w = s.idle.popLast() {
                if w.isAlive { return w }
                s.all[w.id] = nil
            }
            return nil
        }
    }

    /// Starts a worker and waits until its module has loaded.
    func startWorker() async throws -> Worker {
        try await runOnThread { try self.startWorkerBlocking() }
    }

    func startWorkerBlocking() throws(FaastError) -> Worker {
        let id = state.withLock { s -> Int in
            defer { s.nextId += 1 }
            return s.nextId
        }
        let worker = try Worker.spawn(id: id, launch: launch)
        state.withLock { $0.all[id] = worker }
        do throws(FaastError) {
            let first = try worker.exchangeBlocking(line: nil, callId: "", function: "", timeout: 60)
            switch first {
            case .ready:
                return worker
            case .loadError(let error):
                throw FaastError(.deployFailed, Self.describeLoadError(error), remote: error, logLocation: worker.logURL)
            default:
                throw FaastError(.deployFailed, "the worker sent an unexpected first message", logLocation: worker.logURL)
            }
        } catch {
            worker.stop(because: error)
            state.withLock { $0.all[id] = nil }
            if error.kind == .deployFailed || error.kind == .cancelled { throw error }
            throw FaastError(.deployFailed, "the \(launch.executable) worker did not start: \(error.message)",
                             logLocation: worker.logURL)
        }
    }

    /// Stops every call in flight (a cancelled fan-out).
    func stopBusy(because fault: FaastError) {
        let workers = state.withLock { Array($0.all.values) }
        for w in workers where w.isBusy { w.stop(because: fault) }
    }

    /// "functions.js:3: SyntaxError: Unexpected token '}'" with the module's own words.
    static func describeLoadError(_ error: RemoteError) -> String {
        var place = ""
        let file = error.properties.first { $0.key == "file" }?.value.stringValue
        let line = error.properties.first { $0.key == "line" }?.value.intValue
        if let file { place = FilePaths.lastComponent(file) }
        if let line { place += place.isEmpty ? "line \(line)" : ":\(line)" }
        let head = place.isEmpty ? "" : place + ": "
        return "the module failed to load: \(head)\(error.name): \(error.message)"
    }

    /// Returns a worker after a call; a dead or stopped one is dropped (the next acquire starts a fresh one).
    func release(_ worker: Worker) {
        state.withLock { s in
            if worker.isAlive, !s.closed {
                s.idle.append(worker)
            } else {
                s.all[worker.id] = nil
            }
        }
    }

    func enforceDeadlines() {
        let workers = state.withLock { Array($0.all.values) }
        let now = MonotonicClock.nanoseconds()
        for w in workers { w.enforceDeadline(now: now) }
    }

    /// Stops every worker; returns how many there were.
    @discardableResult
    func shutdown() async -> Int {
        let workers = state.withLock { s -> [Worker] in
            s.closed = true
            s.idle.removeAll()
            defer { s.all.removeAll() }
            return Array(s.all.values)
        }
        await withTaskGroup(of: Void.self) { group in
            for w in workers { group.addTask { await w.shutdown() } }
        }
        return workers.count
    }

    var count: Int { state.withLock { $0.all.count } }
    var pids: [Int32] { state.withLock { $0.all.values.map(\.pid) } }
}
