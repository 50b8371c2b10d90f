import CFaastSys
import FaastCore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One warm worker process: a node or python trampoline that runs one call at a time.
///
/// Requests go out on the worker's fd 3 and responses come back on its fd 4, read on the thread that waits
/// for them. A request may be sent while the call before it runs: the trampoline reads it when that call
/// has answered, so calls still run one at a time and in order. A worker that exits, times out or is
/// cancelled fails the running call exactly once and is never reused; calls waiting behind it never ran.
final class Worker: Sendable {
    let id: Int
    let pid: pid_t
    let log: WorkerLog
    /// Bytes the request pipe holds: requests sent ahead stay within half of it, so a write never blocks
    /// while the worker may be blocked writing an answer.
    let requestPipeCapacity: Int
    private let requestFd: Int32
    private let responseFd: Int32
    private let deadlines: DeadlineWatch
    private let state = Mutex(State())
    /// Guards the request descriptor: writes and the close never overlap, so a closed number that the
    /// system hands out again is never written to. True once closed.
    private let requestClosed = Mutex(false)
    private let reader = Mutex(ResponseReader())
    /// Held while reaping, so that the process is waited for exactly once.
    private let reaping = Mutex(())
    /// Held by `stop` from the kill until the ABORTED line is written: a reader that sees the pipe end
    /// because of that kill reports the call only once its log says why.
    private let aborting = Mutex(())

    private struct Call {
        var callId: String
        var function: String
        var timeout: Double
        /// When it began to run (epoch ms), once it is the oldest call in flight.
        var startedEpochMs = 0.0
        /// Takes the values a generator yields before its answer (see `WireResponse.yielded`).
        var onYield: (@Sendable (Int, JSONValue) -> Void)?
    }

    private struct State {
        /// Calls sent and not yet answered, oldest first: the first one is running, the others wait in the pipe.
        var inFlight: [Call] = []
        /// Why the worker was stopped, if we stopped it (timeout, cancel, cleanup).
        var fault: FaastError?
        var dead = false
        var exitCode: Int32 = 0
        /// Monotonic deadline of the running call, 0 when idle.
        var deadlineNs: UInt64 = 0

        /// The oldest call in flight begins to run now; returns its deadline (0: none).
        mutating func startFront() -> UInt64 {
            guard !inFlight.isEmpty else {
                deadlineNs = 0
                return 0
            }
            inFlight[0].startedEpochMs = MonotonicClock.epochMs()
            let seconds = min(max(0, inFlight[0].timeout), 1e9)
            deadlineNs = MonotonicClock.nanoseconds() + UInt64(seconds * 1e9)
            return deadlineNs
        }
    }

    init(id: Int, pid: pid_t, logPath: String, requestFd: Int32, responseFd: Int32, deadlines: DeadlineWatch) {
        self.id = id
        self.pid = pid
        self.log = WorkerLog(path: logPath)
        self.requestFd = requestFd
        self.responseFd = responseFd
        self.deadlines = deadlines
        requestPipeCapacity = Int(faast_pipe_capacity(requestFd))
    }

    deinit {
        closeRequest()
        close(responseFd)
    }

    var isAlive: Bool { state.withLock { !$0.dead && $0.fault == nil } }
    /// How long its last answered call ran by the worker's own clock (µs; 0 before any, or unknown): unlike the
    /// time faast sees, it does not grow when faast's threads (or the worker) wait for a CPU.
    private let lastExecutionMicros = Atomic<UInt64>(0)
    private let answeredCalls = Atomic<Int>(0)

    /// Records how long a call ran by the worker's clock (its answer's timing). A worker's first call is left
    /// out: it pays for first-time work (a no-op's first call takes 1-5 ms) and says little about the next.
    func noteExecution(ms: Double?) {
        if answeredCalls.wrappingAdd(1, ordering: .relaxed).oldValue == 0 { return }
        let micros = ms.map { $0.isFinite && $0 >= 0 ? UInt64(min($0 * 1000, 1e15)) : 0 } ?? 0
        lastExecutionMicros.store(micros, ordering: .relaxed)
    }

    /// Whether the call this worker runs looks slow enough that another worker could run calls meanwhile
    /// (`WorkerPool.reserveRoom`): it has run over 1 ms since faast saw it begin, and the worker's previous call
    /// also ran over 1 ms by the worker's own clock; or it has run over 250 ms whatever came before (a first
    /// call, or a call much slower than the ones before). faast's view of a running call alone is not enough
    /// below that: on a loaded machine a no-op call can seem to run for tens of milliseconds while its worker or
    /// faast's thread waits for a CPU, and a worker started then takes CPU that makes the others look slow in
    /// turn (10 workers for a 2-CPU fan-out of no-ops). Starting up and describing are not calls.
    func runsSlowCall(nowEpochMs: Double) -> Bool {
        guard let since = state.withLock({ s in s.inFlight.first.flatMap { $0.function.isEmpty ? nil : $0.startedEpochMs } })
        else { return false }
        let running = nowEpochMs - since
        return running > 250 || (running > 1 && lastExecutionMicros.load(ordering: .relaxed) > 1_000)
    }
    var isBusy: Bool { state.withLock { !$0.inFlight.isEmpty } }
    var logURL: String { log.url }

    /// Sends one request line (or none, to read the start-up line) and reads its response on the calling
    /// thread, which blocks until the response arrives or the worker ends: a stop (timeout, cancellation)
    /// kills the process, which ends the read.
    func exchangeBlocking(line: String?, callId: String, function: String, timeout: Double,
                          onYield: (@Sendable (Int, JSONValue) -> Void)? = nil) throws(FaastError) -> WireResponse {
        try send(line: line, callId: callId, function: function, timeout: timeout, onYield: onYield)
        return try receive().response
    }

    /// The async form, for deploys: the blocking exchange on a thread of its own.
    func exchange(line: String?, callId: String, function: String, timeout: Double) async throws -> WireResponse {
        try await withTaskCancellationHandler {
            try await runOnThread { try self.exchangeBlocking(line: line, callId: callId, function: function, timeout: timeout) }
        } onCancel: {
            stop(because: FaastError(.cancelled, function.isEmpty ? "cancelled" : "\(function) was cancelled"))
        }
    }

    /// Sends a request line, newline included (nil: none, to wait for the start-up line). The call runs once
    /// every call sent before it has answered; its timeout counts from then.
    func send(line: String?, callId: String, function: String, timeout: Double,
              onYield: (@Sendable (Int, JSONValue) -> Void)? = nil) throws(FaastError) {
        let deadline = try state.withLock { s throws(FaastError) -> UInt64 in
            if let fault = s.fault { throw fault }
            if s.dead { throw FaastError(.workerExited, "the worker is no longer running") }
            s.inFlight.append(Call(callId: callId, function: function, timeout: timeout, onYield: onYield))
            return s.inFlight.count == 1 ? s.startFront() : 0
        }
        if deadline != 0 { deadlines.due(deadline) }
        if let line, !writeAll(line) {
            // The worker is gone or going: the next read sees its end.
            killGroup()
        }
    }

    /// Reads the answer of the oldest call in flight, on the calling thread; the next call starts running.
    /// If the worker ends first, this throws the running call's error, and the calls waiting behind it are
    /// dropped: they never ran.
    func receive() throws(FaastError) -> (response: WireResponse, arrivedAt: Double) {
        guard let front = state.withLock({ $0.inFlight.first }) else {
            throw FaastError(.transport, "no call in flight on this worker")
        }
        while true {
            let (message, arrivedAt) = try receiveMessage(front)
            // A generator's values come before its answer, each on its own line.
            guard case .yielded(_, let seq, let value) = message else { return (message, arrivedAt) }
            front.onYield?(seq, value)
        }
    }

    /// The next message for the oldest call in flight, `front` (see `receive`).
    private func receiveMessage(_ front: Call) throws(FaastError) -> (response: WireResponse, arrivedAt: Double) {
        guard let (parsed, arrivedAt) = reader.withLock({ $0.next(from: responseFd) }) else {
            let code = reap() ?? 0
            state.withLock { s in
                s.inFlight.removeAll()
                s.deadlineNs = 0
            }
            if let fault = state.withLock({ $0.fault }) {
                aborting.withLock { _ in }
                throw fault
            }
            let error = log.exitError(code: code, function: front.function)
            log.noteAborted(callId: front.callId, function: front.function, startedEpochMs: front.startedEpochMs,
                            reason: error.message)
            throw error
        }
        let message: WireResponse
        do {
            message = try WireProtocol.decode(try parsed.get())
        } catch {
            // The worker's answer is not faast's to read: a serialization failure of the result, never retried.
            let why = (error as? FaastError)?.message ?? "\(error)"
            let name = front.function.isEmpty ? "the worker" : front.function
            throw corrupted(FaastError(.serialization, "the result of \(name) could not be read: \(why)", logLocation: logURL))
        }
        if let id = message.callId, !front.callId.isEmpty, !id.isEmpty, id != front.callId {
            throw corrupted(FaastError(.transport, "the worker answered \(id) while \(front.callId) was running "
                + "(something else writes to its response pipe, fd 4)", logLocation: logURL))
        }
        if case .yielded = message { return (message, arrivedAt) }
        let deadline = state.withLock { s -> UInt64 in
            if !s.inFlight.isEmpty { s.inFlight.removeFirst() }
            return s.startFront()
        }
        if deadline != 0 { deadlines.due(deadline) }
        return (message, arrivedAt)
    }

    /// A response stream that cannot be trusted any more: the running call fails with `error`, and the worker
    /// is stopped, so that no later answer is taken for another call's.
    private func corrupted(_ error: FaastError) -> FaastError {
        state.withLock { s in
            if s.fault == nil { s.fault = error }
            s.inFlight.removeAll()
            s.deadlineNs = 0
        }
        killGroup()
        return error
    }

    /// Fails the call in flight with `fault` and kills the worker (and anything it started).
    func stop(because fault: FaastError) {
        let running = state.withLock { s -> Call? in
            if s.fault == nil { s.fault = fault }
            s.deadlineNs = 0
            return s.inFlight.first
        }
        aborting.withLock { _ in
            killGroup()
            if let running {
                log.noteAborted(callId: running.callId, function: running.function, startedEpochMs: running.startedEpochMs,
                                reason: fault.message)
            }
        }
    }

    /// Fails the call in flight as out of memory and kills the worker (`MemoryWatch` saw it past its limit).
    func stopOutOfMemory(limitMb: Int, usedMb: Int) {
        let function = state.withLock { $0.inFlight.first?.function } ?? ""
        let name = function.isEmpty ? "the worker" : function
        stop(because: FaastError(.outOfMemory, "\(name) exceeded its memory size of \(limitMb) MB (\(usedMb) MB in use)",
                                 logLocation: logURL))
    }

    /// Stops the call in flight if its deadline has passed; returns the deadline still ahead (0: none).
    func enforceDeadline(now: UInt64) -> UInt64 {
        let expired = state.withLock { s -> (String, Double)? in
            guard s.deadlineNs != 0, let running = s.inFlight.first else { return nil }
            return now >= s.deadlineNs ? (running.function, running.timeout) : nil
        }
        guard let (function, seconds) = expired else { return state.withLock { $0.deadlineNs } }
        // An answer already waiting in the pipe means the call faast thinks is running has ended, and its lane
        // (busy, or not yet scheduled on a loaded machine) has not read it: stopping the worker now would fail
        // a call that returned. Look again shortly; reading the answer starts the next call's deadline.
        if answerWaiting() { return now + 50_000_000 }
        let name = function.isEmpty ? "the worker" : function
        stop(because: FaastError(.timeout, "\(name) exceeded its \(NumberText.seconds(seconds)) s timeout", logLocation: logURL))
        return 0
    }

    /// Whether the response pipe holds bytes not read yet (or has ended).
    private func answerWaiting() -> Bool {
        var p = pollfd(fd: responseFd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) > 0
    }

    // MARK: - The process

    private func killGroup() {
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
    }

    /// Waits for the process once (blocking) or checks whether it has ended; returns its exit code (or
    /// -signal), nil if it is still running.
    @discardableResult
    func reap(blocking: Bool = true) -> Int32? {
        reaping.withLock { _ -> Int32? in
            if let code = state.withLock({ $0.dead ? $0.exitCode : nil }) { return code }
            // Whatever the worker started goes with it (its group, and what left the group: `ProcessJanitor`),
            // found while the worker's pid is still a zombie's, so that it cannot have been reused yet.
            let exited = faast_await_exit(pid, blocking ? 1 : 0)
            if exited == 0 { return nil }
            // Not waitable (an error): it was reaped already; nothing of it is left to wait for.
            let code = exited == 1 ? ProcessJanitor.reapExited(worker: pid) : 0
            state.withLock { s in
                s.dead = true
                s.exitCode = code
            }
            closeRequest()
            return code
        }
    }

    /// Begins a shutdown: fails any call in flight as cleaned up and closes the request pipe, so that an
    /// idle worker exits by itself. `WorkerPool.shutdown` then waits for the exit and kills laggards.
    func beginShutdown() {
        let busy = state.withLock { s -> Bool in
            if s.fault == nil { s.fault = FaastError(.cancelled, "the session was cleaned up") }
            return !s.inFlight.isEmpty
        }
        if busy { stop(because: FaastError(.cancelled, "the session was cleaned up")) }
        closeRequest()
    }

    /// Kills the worker's group and waits for it (the end of a shutdown's grace period).
    func killAndReap() {
        if reap(blocking: false) == nil { killGroup() }
        reap()
    }

    /// Whether the process has ended (reaped already); for a shutdown that waits on several at once.
    var hasEnded: Bool { state.withLock { $0.dead } }

    // MARK: - Writing

    private func closeRequest() {
        requestClosed.withLock { closed in
            if !closed { close(requestFd) }
            closed = true
        }
    }

    private func writeAll(_ text: String) -> Bool {
        var text = text
        return requestClosed.withLock { closed in
            if closed { return false }
            return text.withUTF8 { buf in
                var offset = 0
                while offset < buf.count {
                    let n = write(requestFd, buf.baseAddress! + offset, buf.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        return false
                    }
                    offset += n
                }
                return true
            }
        }
    }
}
