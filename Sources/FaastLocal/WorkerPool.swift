import CFaastSys
import FaastCore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The warm workers of a local session: idle ones are reused, new ones are started on demand (the
/// invocation core's concurrency limit decides how many calls, and so workers, are busy at once).
final class WorkerPool: Sendable {
    private let launch: WorkerLaunch
    private let deadlines = DeadlineWatch()
    private struct State {
        var idle: [Worker] = []
        var all: [Int: Worker] = [:]
        var nextId = 1
        var closed = false
        /// Set when starting workers was cancelled (an interrupted `open`): a worker that registers later stops.
        var startFault: FaastError?
        /// Lanes that `reserveRoom` let start a worker and that have not got one yet: counted with the workers,
        /// so that lanes asking at once do not all see room.
        var reserved = 0
    }

    /// How long a worker may take to load its module and say it is ready, and to describe it.
    static let loadTimeout = 30.0
    private let state = Mutex(State())

    private let memory: MemoryWatch

    init(launch: WorkerLaunch) {
        self.launch = launch
        memory = MemoryWatch(limitMb: launch.memoryLimitMb)
        deadlines.start { [weak self] in self?.state.withLock { Array($0.all.values) } }
        memory.start { [weak self] in self?.state.withLock { Array($0.all.values) } }
    }

    deinit {
        deadlines.stop()
        memory.stop()
    }

    /// An idle warm worker or a new one (`started`), on the calling thread (which blocks while a new one starts).
    /// `reserved`: the caller holds a reservation of `reserveRoom`, which this uses up.
    func acquireBlocking(reserved: Bool = false) throws(FaastError) -> (worker: Worker, started: Bool) {
        if let idle = try takeIdle(reserved: reserved) { return (idle, false) }
        return (try startWorkerBlocking(reserved: reserved), true)
    }

    private func takeIdle(reserved: Bool) throws(FaastError) -> Worker? {
        try state.withLock { s throws(FaastError) -> Worker? in
            if s.closed {
                if reserved { s.reserved -= 1 }
                throw FaastError(.cancelled, "the session has been cleaned up")
            }
            while let w = s.idle.popLast() {
                if w.isAlive {
                    if reserved { s.reserved -= 1 }
                    return w
                }
                s.all[w.id] = nil
            }
            return nil
        }
    }

    /// Starts a worker and waits until its module has loaded.
    func startWorker() async throws -> Worker {
        try await runOnThread { try self.startWorkerBlocking() }
    }

    func startWorkerBlocking(reserved: Bool = false) throws(FaastError) -> Worker {
        let id = state.withLock { s -> Int in
            defer { s.nextId += 1 }
            return s.nextId
        }
        let worker: Worker
        do throws(FaastError) {
            worker = try launch.spawn(id: id, deadlines: deadlines)
        } catch {
            if reserved { state.withLock { $0.reserved -= 1 } }
            throw error
        }
        let cancelled = state.withLock { s -> FaastError? in
            s.all[id] = worker
            if reserved { s.reserved -= 1 }
            return s.startFault
        }
        do throws(FaastError) {
            if let cancelled { throw cancelled }
            let first = try worker.exchangeBlocking(line: nil, callId: "", function: "", timeout: Self.loadTimeout)
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
            if error.kind == .timeout {
                throw FaastError(.deployFailed, "\(launch.moduleName) did not finish loading within \(NumberText.seconds(Self.loadTimeout)) s "
                    + "(does it loop or wait for input when imported?)", logLocation: worker.logURL)
            }
            throw FaastError(.deployFailed, "the \(launch.executable) worker did not start: \(error.message)",
                             logLocation: worker.logURL)
        }
    }

    /// Stops the workers that are starting (or busy) and any that start later: an `open` was interrupted.
    func cancelStarts(because fault: FaastError) {
        state.withLock { $0.startFault = fault }
        stopBusy(because: fault)
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
        room.lock()
        room.broadcast()
        room.unlock()
    }

    /// Wakes lanes waiting for room for a worker (`waitForRoom`): a worker came back idle, or went.
    private let room = NSCondition()

    /// Whether a lane of a fan-out whose calls return at once may get a worker now: an idle one is there, fewer
    /// workers than `cpus` run, or a worker runs a call that looks slow (`Worker.runsSlowCall`: calls are not
    /// that fast). Starting a worker costs 50-100 ms of CPU (python or node starting up), which fast calls on
    /// busy CPUs never win back: on 2 CPUs, 2 warm workers with requests sent ahead keep both CPUs busy. A
    /// worker still starting up makes no room: counting it as a slow call started every lane's worker at once
    /// (10 python workers for 10 no-op calls, a second of CPU).
    func reserveRoom(cpus: Int) -> Room {
        let (room, workers) = state.withLock { s -> (Room, [Worker]) in
            if !s.idle.isEmpty { return (.idle, []) }
            if s.all.count + s.reserved < cpus {
                s.reserved += 1
                return (.reserved, [])
            }
            return (.none, Array(s.all.values))
        }
        if room != .none { return room }
        let now = MonotonicClock.epochMs()
        return workers.contains { $0.runsSlowCall(nowEpochMs: now) } ? .slowCalls : .none
    }

    /// What `reserveRoom` found.
    enum Room {
        case none
        /// An idle worker (the lane may still have to start one if another lane takes it first).
        case idle
        /// Fewer workers than CPUs: one start is reserved for the lane (`acquireBlocking(reserved: true)` or
        /// `cancelReservation` uses it up).
        case reserved
        /// A worker runs a slow call.
        case slowCalls
    }

    /// Gives back a reservation of `reserveRoom` that will not be used (the lane found no call to take).
    func cancelReservation() {
        state.withLock { $0.reserved -= 1 }
    }

    /// Waits until a worker comes back to the pool, or `seconds` pass. A call that has run for over 1 ms
    /// has no event of its own, so a waiting lane also looks again after a short while.
    func waitForRoom(seconds: Double) {
        room.lock()
        _ = room.wait(until: Date(timeIntervalSinceNow: seconds))
        room.unlock()
    }

    /// Stops every worker; returns how many there were. Each idle worker gets `grace` seconds to exit by
    /// itself once its request pipe is closed (waited for on the workers' process descriptors), then SIGKILL.
    @discardableResult
    func shutdown(grace: Double = 0.5) async -> Int {
        let workers = state.withLock { s -> [Worker] in
            s.closed = true
            s.idle.removeAll()
            defer { s.all.removeAll() }
            return Array(s.all.values)
        }
        deadlines.stop()
        memory.stop()
        for w in workers { w.beginShutdown() }
        let sessionId = launch.environment["FAAST_SESSION_ID"] ?? ""
        _ = try? await runOnThread {
            Self.awaitExit(workers, grace: grace)
            // What the session's functions started and left, even outside their workers' groups (setsid).
            ProcessJanitor.sweep(sessionId: sessionId)
        }
        return workers.count
    }

    /// Waits up to `grace` seconds for the workers to exit, woken by their process descriptors, then kills
    /// and reaps the rest. Without process descriptors (Linux before 5.3), kills at once.
    private static func awaitExit(_ workers: [Worker], grace: Double) {
        var waiting: [(worker: Worker, fd: Int32)] = workers.compactMap { w in
            if w.hasEnded { return nil }
            let fd = faast_pidfd_open(w.pid)
            return fd >= 0 ? (w, fd) : nil
        }
        let deadline = MonotonicClock.seconds() + grace
        while !waiting.isEmpty {
            let left = deadline - MonotonicClock.seconds()
            if left <= 0 { break }
            var fds = waiting.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let r = poll(&fds, nfds_t(fds.count), Int32(left * 1000) + 1)
            if r < 0, errno != EINTR { break }
            var still: [(worker: Worker, fd: Int32)] = []
            for (entry, p) in zip(waiting, fds) {
                if p.revents != 0 {
                    entry.worker.reap()
                    close(entry.fd)
                } else {
                    still.append(entry)
                }
            }
            waiting = still
        }
        for entry in waiting { close(entry.fd) }
        for w in workers { w.killAndReap() }
    }

    var count: Int { state.withLock { $0.all.count } }
    var pids: [Int32] { state.withLock { $0.all.values.map(\.pid) } }
}
