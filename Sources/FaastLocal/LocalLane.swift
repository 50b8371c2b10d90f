import CFaastSys
import FaastCore
import Foundation
import Synchronization

/// One lane of a local fan-out: a thread that keeps one warm worker from call to call (so a call takes no
/// lock of the pool's) and blocks on that worker's response pipe, so that an answer wakes the very thread
/// that sends the next request.
///
/// **Pipelining.** While the worker's calls return at once, the lane also sends the next requests before
/// the current answer comes, as a process pool's queue does: the worker then never waits for faast between
/// calls, and both sides read several lines per wake-up. The worker still runs them one at a time, in
/// order. A call is sent ahead only when the calls before it are expected to end within `aheadWithinMs`
/// (so a call that turns out slow holds few, quick calls behind it), at most `maxSent` at once, and only
/// while the requests not yet answered fit in half the request pipe (a write never blocks, so the lane and
/// a worker writing a large answer cannot wait on each other). When a worker dies or is stopped, its
/// running call fails and the calls sent behind it are put back (they never ran): they go to the next
/// worker without counting as retries.
///
/// **CPU placement.** Calls that return at once spend most of their time waking the other side: across
/// CPUs that wake-up costs several times the call on a VM, on one CPU it is a plain switch. So while a
/// worker's calls run under `aheadWithinMs`, the lane's thread and the worker share one CPU, the one fewest
/// other lanes are bound to (`CPUPlacement`); a call of more than `unbindAboveMs` lets both float again, since
/// the work (and anything it starts) may want every CPU. An idle worker is nobody's: it is unbound when given
/// back.
///
/// Unchecked `Sendable`: all state but `shared` belongs to the lane's thread (`run`); `cancel`, the one call
/// from another thread, touches only `shared`, under its lock.
final class LocalLane: @unchecked Sendable {
    static let aheadWithinMs = 1.0
    static let maxSent = 8
    static let unbindAboveMs = 10.0

    private struct Sent {
        var call: LaneCall
        var bytes: Int
        /// When it was sent (`MonotonicClock.seconds()`).
        var sentAt: Double
        /// Sent while another call was in flight: it waited in the pipe until the worker took it.
        var queued: Bool
        /// Taken ahead but sent only later, when the worker was free: it began when sent.
        var late: Bool
        /// The first call of a worker started for it (it waited for the start): a cold start.
        var cold = false
    }

    private let pool: WorkerPool
    private let calls: LaneCalls
    /// Where the lane binds while its worker's calls are short; nil where binding cannot help (one CPU).
    private let placement: CPUPlacement?
    /// The CPU the lane's thread and `worker` are bound to now (taken from `placement`), nil while they float.
    private var boundCPU: Int32?
    private var worker: Worker?
    /// Calls sent to `worker` whose answers are not read yet, oldest (running) first.
    private var sent: [Sent] = []
    private var sentBytes = 0
    /// A call taken ahead whose request did not fit behind the others: sent first when the worker is free.
    private var heldBack: LaneCall?
    private var lastExecutionMs = Double.infinity
    /// Whether `worker` was started for the call sent next (which then waited for it: a cold start).
    private var startedForNextCall = false
    /// Whether the lane holds a start reserved for it (`WorkerPool.reserveRoom`) and has not used it yet.
    private var reserved = false
    /// The worker, for a cancel from another thread; and whether the lane was cancelled.
    private let shared = Mutex<(worker: Worker?, cancelled: Bool)>((nil, false))

    init(pool: WorkerPool, calls: LaneCalls, placement: CPUPlacement?) {
        self.pool = pool
        self.calls = calls
        self.placement = placement
    }

    /// Runs the lane's calls on the calling thread until there are none left (or the fan-out is cancelled).
    func run() {
        while true {
            if sent.isEmpty {
                if let late = heldBack {
                    heldBack = nil
                    if calls.isCancelled {
                        calls.putBack(late)
                        continue
                    }
                    sendFirst(late, late: true)
                } else {
                    if worker == nil, calls.mayPipeline, !waitForRoom() { break }
                    // Under a rate limit, a warm worker is made ready first, so that a slot is not spent starting one.
                    if calls.isRateLimited, worker == nil, calls.mayHaveMore {
                        _ = try? readyWorker()
                        startedForNextCall = false  // started before its call was taken: the call does not wait
                    }
                    guard let call = calls.nextBlocking() else {
                        if reserved { pool.cancelReservation() }
                        reserved = false
                        break
                    }
                    sendFirst(call, late: false)
                }
                if sent.isEmpty { continue }
            }
            sendAhead()
            readAnswer()
        }
        if reserved { pool.cancelReservation() }
        reserved = false
        giveBackWorker()
    }

    /// Before a lane without a worker takes a call of a fan-out whose calls may be pipelined: waits while the
    /// pool has no room for another worker (see `WorkerPool.reserveRoom`): while calls return at once, more workers
    /// than CPUs only compete for them. False when there is nothing left to wait for (no more calls, cancelled).
    private func waitForRoom() -> Bool {
        if reserved { return true }
        while calls.mayHaveMore {
            switch pool.reserveRoom(cpus: LocalProvider.cpus.count) {
            case .none: pool.waitForRoom(seconds: 0.01)
            case .reserved:
                reserved = true
                return true
            case .idle, .slowCalls: return true
            }
        }
        return false
    }

    /// Ends the calls in flight at once (from another thread): the worker is stopped, which ends the read.
    func cancel() {
        calls.cancelFanOut()
        let current = shared.withLock { s -> Worker? in
            s.cancelled = true
            return s.worker
        }
        current?.stop(because: FaastError(.cancelled, "the call was cancelled"))
    }

    /// Sends a call to a free worker; a call that cannot be sent fails here (it did not start).
    private func sendFirst(_ call: LaneCall, late: Bool) {
        do throws(FaastError) {
            try send(call, line: Self.requestLine(call.request), late: late)
        } catch {
            // Cancelled before it was sent: it never started.
            if calls.isCancelled { return calls.putBack(call) }
            var failure = error
            // A worker that ended before it took the request: the call did not start.
            if error.kind == .workerExited || error.kind == .transport { failure.notStarted = true }
            calls.finish(call, .failure(failure))
        }
    }

    /// Sends the next calls' requests behind the running one while that is expected to pay off (see above).
    private func sendAhead() {
        guard let held = worker, heldBack == nil, calls.mayPipeline else { return }
        let budget = held.requestPipeCapacity / 2
        while sent.count < Self.maxSent, Double(sent.count) * lastExecutionMs <= Self.aheadWithinMs, sentBytes < budget,
              let next = calls.nextAhead() {
            let line = Self.requestLine(next.request)
            guard sentBytes + line.utf8.count <= budget else {
                heldBack = next
                return
            }
            do throws(FaastError) {
                try send(next, line: line, late: false)
            } catch {
                // The worker has ended; the read of the running call's answer sees it.
                calls.putBack(next)
                return
            }
        }
    }

    private func send(_ call: LaneCall, line: String, late: Bool) throws(FaastError) {
        let current = try readyWorker()
        let now = MonotonicClock.seconds()
        let request = call.request
        try current.send(line: line, callId: request.callId, function: request.function, timeout: request.timeout,
                         onYield: Self.yieldSink(request))
        let bytes = line.utf8.count
        sent.append(Sent(call: call, bytes: bytes, sentAt: now, queued: !sent.isEmpty, late: late, cold: startedForNextCall))
        startedForNextCall = false
        sentBytes += bytes
    }

    /// The worker to send to: the one held, or (if it has ended and owes no answers) a warm one from the pool.
    private func readyWorker() throws(FaastError) -> Worker {
        if sent.isEmpty, worker?.isAlive == false { giveBackWorker() }
        if let held = worker { return held }
        let wasReserved = reserved
        reserved = false
        let (fresh, started) = try pool.acquireBlocking(reserved: wasReserved)
        worker = fresh
        startedForNextCall = started
        let cancelled = shared.withLock { s -> Bool in
            s.worker = fresh
            return s.cancelled
        }
        if cancelled { fresh.stop(because: FaastError(.cancelled, "the call was cancelled")) }
        return fresh
    }

    /// Reads the answer of the oldest sent call and reports it. If the worker has ended, that call fails
    /// with its error and the calls sent behind it are put back: they never ran.
    private func readAnswer() {
        guard let held = worker else { return }
        let front = sent[0]
        let received: (response: WireResponse, arrivedAt: Double)
        do throws(FaastError) {
            received = try held.receive()
        } catch {
            let behind = sent.dropFirst()
            forgetSent()
            giveBackWorker()
            lastExecutionMs = error.timing?.executionMs ?? .infinity
            calls.finish(front.call, .failure(Self.described(error, front, log: held.log)), startedAt: front.late ? front.sentAt : 0)
            for waiting in behind { calls.putBack(waiting.call) }
            return
        }
        sentBytes -= sent.removeFirst().bytes
        let result = LocalProvider.answer(received.response, from: held).map { Self.described($0, front, log: held.log) }
            .mapError { Self.described($0, front, log: held.log) }
        var start = front.late ? front.sentAt : 0
        if front.queued {
            // A call that waited in the pipe began when the worker took it, which the worker's own start time
            // tells (the same clock, on this machine); answers read together cannot.
            let now = MonotonicClock.seconds()
            start = front.sentAt
            let timing = (try? result.get())?.timing ?? result.failureTiming
            if let began = timing?.start {
                start = min(now, max(start, now - (MonotonicClock.epochMs() - began) / 1000))
            }
            // Whatever the two clocks say, it began at least its own execution time before its answer arrived.
            if let ms = timing?.executionMs, received.arrivedAt > 0 { start = min(start, received.arrivedAt - ms / 1000) }
        }
        switch result {
        case .success(let r): lastExecutionMs = r.timing.executionMs ?? .infinity
        case .failure(let e): lastExecutionMs = e.timing?.executionMs ?? .infinity
        }
        held.noteExecution(ms: lastExecutionMs)
        placeOnCPU()
        calls.finish(front.call, result, startedAt: start, arrivedAt: received.arrivedAt)
    }

    private func placeOnCPU() {
        guard let placement else { return }
        if boundCPU == nil, lastExecutionMs <= Self.aheadWithinMs, let held = worker, held.isAlive {
            let cpu = placement.take()
            _ = faast_bind_cpu(0, cpu)
            _ = faast_bind_cpu(held.pid, cpu)
            boundCPU = cpu
        } else if boundCPU != nil, lastExecutionMs > Self.unbindAboveMs {
            unbind()
        }
    }

    /// Lets the lane's thread and its worker (if still running: a dead one's pid may be reused) float again.
    private func unbind() {
        _ = faast_bind_cpu(0, -1)
        if let held = worker, held.isAlive { _ = faast_bind_cpu(held.pid, -1) }
        if let cpu = boundCPU { placement?.give(cpu) }
        boundCPU = nil
    }

    /// Returns the worker to the pool (which drops it if it has ended), unbound: an idle worker is nobody's.
    private func giveBackWorker() {
        guard let held = worker else { return }
        if boundCPU != nil { unbind() }
        worker = nil
        shared.withLock { $0.worker = nil }
        pool.release(held)
    }

    /// A response with what the lane knows of its call: whether it was a cold start, and what it printed
    /// when the request asked (read from the worker's log, where the trampoline wrote it before answering).
    private static func described(_ response: InvocationResponse, _ sent: Sent, log: WorkerLog) -> InvocationResponse {
        var r = response
        r.timing.coldStart = sent.cold
        if sent.call.request.capturesOutput { r.output = log.output(callId: sent.call.request.callId) }
        return r
    }

    private static func described(_ error: FaastError, _ sent: Sent, log: WorkerLog) -> FaastError {
        var e = error
        // Only an error that carries timing says where it ran (an error without it is billed differently).
        if sent.cold { e.timing?.coldStart = true }
        if sent.call.request.capturesOutput { e.output = log.output(callId: sent.call.request.callId) }
        return e
    }

    private func forgetSent() {
        sent.removeAll()
        sentBytes = 0
    }

    /// Where the worker passes the request's yielded values (their attempt fixed).
    static func yieldSink(_ request: InvocationRequest) -> (@Sendable (Int, JSONValue) -> Void)? {
        guard let handler = request.onYield else { return nil }
        let attempt = request.attempt
        return { seq, value in handler(attempt, seq, value) }
    }

    static func requestLine(_ request: InvocationRequest) -> String {
        WireProtocol.callRequest(callId: request.callId, function: request.function, args: request.args, keywords: request.keywords, newline: true,
                                 stream: request.onYield == nil ? nil : .bool(true))
    }
}

extension Result where Failure == FaastError {
    /// The remote timing a failure carries, if any.
    var failureTiming: RemoteTiming? {
        if case .failure(let e) = self { return e.timing }
        return nil
    }
}
