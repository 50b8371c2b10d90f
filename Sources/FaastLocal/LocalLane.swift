import CFaastSys
import FaastCore
import Foundation

/// A fan-out lane. It keeps one worker from call to call, so that a call takes no lock of the pool's. While
/// the worker's calls return at once, the lane also sends the next requests before the current answer
/// comes, as a process pool's queue does: the worker then never waits for this process between calls, and
/// both sides read several lines per wake-up. The worker still runs them one at a time, in order.
///
/// A call is sent ahead only when the calls before it are expected to end within `aheadWithinMs` (so a call
/// that turns out slow holds few, quick calls behind it), at most `maxSent` at once, and only while the
/// requests not yet answered fit in half the request pipe (a write never blocks, so the lane and a worker
/// writing a large answer cannot wait on each other). A worker that dies or is stopped is given back (the
/// pool drops it); the calls waiting behind its running call never ran, and go to the next worker when
/// asked for, without counting as retries.
final class LocalLane: BlockingLane {
    static let aheadWithinMs = 1.0
    static let maxSent = 8

    private struct Sent {
        var callId: String
        var bytes: Int
        /// When it was sent (`MonotonicClock.seconds()`).
        var sentAt: Double
        /// Sent while another call was in flight: it waited in the pipe until the worker took it.
        var queued: Bool
    }

    private let provider: LocalProvider
    /// The CPU this lane's thread and its worker share while the worker's calls are short (see `placeOnCPU`).
    private let cpu: Int32?
    /// Whether the lane's thread and `worker` are bound to `cpu`.
    private var bound = false
    private var worker: Worker?
    /// Calls sent to `worker` whose answers are not read yet, oldest (running) first.
    private var sent: [Sent] = []
    private var sentBytes = 0
    /// Answers read while waiting for a later call (a retry sent behind calls sent ahead).
    private var early: [String: (result: Result<InvocationResponse, FaastError>, start: Double, arrival: Double)] = [:]
    private var lastExecutionMs = Double.infinity
    private(set) var lastStart = 0.0
    private(set) var lastArrival = 0.0

    init(provider: LocalProvider, cpu: Int32?) {
        self.provider = provider
        self.cpu = cpu
    }

    func invoke(_ request: InvocationRequest, ahead: () -> InvocationRequest?) throws(FaastError) -> InvocationResponse {
        (lastStart, lastArrival) = (0, 0)
        while true {
            if !early.isEmpty, let answer = early.removeValue(forKey: request.callId) {
                (lastStart, lastArrival) = (answer.start, answer.arrival)
                return try answer.result.get()
            }
            if !isSent(request.callId) {
                if !sent.isEmpty {
                    // Settle the calls sent before (a retry behind calls sent ahead): a request of any size then
                    // goes to an idle worker, so the write cannot wait on a worker that writes an answer.
                    keepAnswer()
                    continue
                }
                try send(request, line: LocalProvider.requestLine(request))
            }
            if sent[0].callId == request.callId {
                sendAhead(ahead)
                let answer = readAnswer()
                (lastStart, lastArrival) = (answer.start, answer.arrival)
                return try answer.result.get()
            }
            keepAnswer()
        }
    }

    /// Reads the oldest sent call's answer and keeps it for when that call is invoked.
    private func keepAnswer() {
        let answer = readAnswer()
        early[answer.callId] = (answer.result, answer.start, answer.arrival)
    }

    /// Sends the next calls' requests behind the running one while that is expected to pay off (see above).
    private func sendAhead(_ ahead: () -> InvocationRequest?) {
        guard let held = worker else { return }
        let budget = held.requestPipeCapacity / 2
        while sent.count < Self.maxSent, Double(sent.count) * lastExecutionMs <= Self.aheadWithinMs, sentBytes < budget,
              let next = ahead() {
            let line = LocalProvider.requestLine(next)
            // A request that does not fit, or cannot go now, is sent when its call is invoked.
            guard sentBytes + line.utf8.count <= budget, (try? send(next, line: line)) != nil else { return }
        }
    }

    func isSent(_ callId: String) -> Bool { sent.contains { $0.callId == callId } }

    func prepare() { _ = try? readyWorker() }

    /// The worker to send to: the one held, or (if it has ended and owes no answers) a warm one from the pool.
    private func readyWorker() throws(FaastError) -> Worker {
        if sent.isEmpty, worker?.isAlive == false { giveBackWorker() }
        if let held = worker { return held }
        let fresh = try provider.workers.acquireBlocking()
        worker = fresh
        return fresh
    }

    private func send(_ request: InvocationRequest, line: String) throws(FaastError) {
        let current = try readyWorker()
        let now = MonotonicClock.seconds()
        try current.send(line: line, callId: request.callId, function: request.function, timeout: request.timeout)
        let bytes = line.utf8.count
        sent.append(Sent(callId: request.callId, bytes: bytes, sentAt: now, queued: !sent.isEmpty))
        sentBytes += bytes
    }

    /// Reads the answer of the oldest sent call. If the worker has ended, that call fails with its error and
    /// the calls sent behind it are forgotten: they never ran.
    @discardableResult
    private func readAnswer() -> (callId: String, result: Result<InvocationResponse, FaastError>, start: Double, arrival: Double) {
        let front = sent.first
        let callId = front?.callId ?? ""
        var start = 0.0, arrival = 0.0
        let result: Result<InvocationResponse, FaastError>
        if let held = worker {
            do {
                let received = try held.receive()
                arrival = received.arrivedAt
                result = provider.answer(received.response, from: held)
                if let front, front.queued {
                    // A call that waited in the pipe began when the worker took it, which the worker's own start
                    // time tells (the same clock, on this machine); answers read together cannot.
                    let now = MonotonicClock.seconds()
                    start = front.sentAt
                    if let began = (try? result.get())?.timing.start ?? result.failureTiming?.start {
                        start = min(now, max(start, now - (MonotonicClock.epochMs() - began) / 1000))
                    }
                }
                sentBytes -= sent.removeFirst().bytes
            } catch {
                result = .failure(error)
                forgetSent()
                giveBackWorker()
            }
        } else {
            result = .failure(FaastError(.workerExited, "the worker is no longer running"))
            forgetSent()
        }
        switch result {
        case .success(let r): lastExecutionMs = r.timing.executionMs ?? .infinity
        case .failure(let e): lastExecutionMs = e.timing?.executionMs ?? .infinity
        }
        placeOnCPU()
        return (callId, result, start, arrival)
    }

    /// Calls that return at once spend most of their time waking the other side: across CPUs that wake-up
    /// costs several times the call on a VM (an interrupt to the other CPU), on one CPU it is a plain switch.
    /// So while a worker's calls run under `aheadWithinMs`, the lane's thread and the worker share the lane's
    /// CPU (lanes take the allowed CPUs in turn); a call of more than `unbindAboveMs` lets both float again,
    /// since the wake-up no longer matters and the work (and anything it starts) may want every CPU.
    static let unbindAboveMs = 10.0

    private func placeOnCPU() {
        guard let cpu else { return }
        if !bound, lastExecutionMs <= Self.aheadWithinMs, let held = worker, held.isAlive {
            _ = faast_bind_cpu(0, cpu)
            _ = faast_bind_cpu(held.pid, cpu)
            bound = true
        } else if bound, lastExecutionMs > Self.unbindAboveMs {
            unbind()
        }
    }

    /// Lets the lane's thread and its worker (if still running: a dead one's pid may be reused) float again.
    private func unbind() {
        _ = faast_bind_cpu(0, -1)
        if let held = worker, held.isAlive { _ = faast_bind_cpu(held.pid, -1) }
        bound = false
    }

    /// Returns the worker to the pool (which drops it if it has ended), unbound: an idle worker is nobody's.
    private func giveBackWorker() {
        guard let held = worker else { return }
        if bound { unbind() }
        worker = nil
        provider.workers.release(held)
    }

    private func forgetSent() {
        sent.removeAll()
        sentBytes = 0
    }

    func close() {
        guard let held = worker else { return }
        // Calls still sent here were given up (a cancelled fan-out): the worker cannot serve others after them.
        if !sent.isEmpty { held.stop(because: FaastError(.cancelled, "the call was cancelled")) }
        forgetSent()
        giveBackWorker()
    }

    deinit { close() }
}

extension Result where Failure == FaastError {
    /// The remote timing a failure carries, if any.
    var failureTiming: RemoteTiming? {
        if case .failure(let e) = self { return e.timing }
        return nil
    }
}
