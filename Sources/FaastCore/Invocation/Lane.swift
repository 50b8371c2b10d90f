/// A provider that runs one call per request and awaits its answer (AWS Lambda, in-memory providers): the
/// core runs each lane of a fan-out as a task that awaits `invoke` for one call at a time.
public protocol InvokingProvider: Provider {
    /// One attempt of a call. Throws `FaastError` for a failed call (the function's own exception included;
    /// anything else is mapped by `FaastError.mapping`, as a non-retryable `provider` error), with
    /// `notStarted` set when the attempt provably never reached the function (only such attempts are retried
    /// automatically). Must honour task cancellation by ending the call and throwing `.cancelled`.
    func invoke(_ request: InvocationRequest) async throws -> InvocationResponse
}

extension InvokingProvider {
    /// One call at a time: take, invoke, report.
    public func runLane(_ calls: LaneCalls) async {
        while let call = await calls.next() {
            do {
                calls.finish(call, .success(try await invoke(call.request)))
            } catch {
                calls.finish(call, .failure(FaastError.mapping(error)))
            }
        }
    }
}

/// A call as a lane sends it: the request, and what the invocation core keeps about it (its index in the
/// fan-out, its attempts so far, its clock), given back with its outcome.
public struct LaneCall: Sendable {
    /// What to send; a retry carries the next attempt number and a suffixed call id.
    public let request: InvocationRequest
    let index: Int
    var attempts: CallAttempts
}

/// One lane's way into a fan-out: a lane takes calls from here and reports every attempt's outcome, and
/// the core does the rest (limits, retries, statistics, results), the same for every provider.
///
/// A lane is driven by one thread or task at a time (a local lane's thread, an async lane's task), so
/// nothing here is locked; what lanes share (the next index, the cancel flag, the rate limiter) is in
/// `FanOut`. Every call taken (`next`, `nextAhead`) must be given back exactly once, by `finish` or
/// `putBack`, before the lane returns.
public final class LaneCalls: @unchecked Sendable {
    let fanOut: FanOut
    private var tally = LaneTally()
    /// Outcomes not yet in the session's statistics: recorded in batches, one lock per batch.
    private var unrecorded: [CallOutcome] = []
    /// Calls a lane put back (they never started), sent again first, in order.
    private var returned: [LaneCall] = []
    /// Failed calls waiting for their backoff to end, by when they may go again.
    private var retries: [(due: Double, call: LaneCall)] = []
    /// A call taken and waiting for its rate slot.
    private var held: LaneCall?
    private var outstanding = 0

    init(_ fanOut: FanOut) {
        self.fanOut = fanOut
        unrecorded.reserveCapacity(FanOut.statsBatch)
    }

    /// Whether the lane may send calls ahead, behind a call in flight (`nextAhead`): pipelining is on and no
    /// rate limit decides when calls start.
    public var mayPipeline: Bool { fanOut.pipeline && fanOut.limiter == nil }
    /// Whether `next` may wait for a rate slot (a lane then gets ready to send first, so that a slot is not
    /// spent starting a worker).
    public var isRateLimited: Bool { fanOut.limiter != nil }
    /// Whether the fan-out was cancelled.
    public var isCancelled: Bool { fanOut.cancellation.isSet }

    /// Cancels the fan-out, from any thread: a lane whose task is cancelled calls this before it ends its calls
    /// in flight, so that no lane takes another call in between (a lane is cancelled only with its fan-out).
    public func cancelFanOut() { fanOut.cancel() }
    /// Whether a call may still come from `next`.
    public var mayHaveMore: Bool {
        !isCancelled && (held != nil || !returned.isEmpty || !retries.isEmpty || fanOut.hasIndicesLeft)
    }

    /// The next call to send, on a thread that may block: waits for a rate slot or a retry's backoff (a
    /// cancel ends the wait at once). Nil when there are no more, or the fan-out was cancelled.
    public func nextBlocking() -> LaneCall? {
        while true {
            switch step(now: MonotonicClock.seconds(), mayWait: true) {
            case .call(let call): return call
            case .done: return nil
            case .wait(let until): fanOut.cancellation.wait(until: until)
            }
        }
    }

    /// `nextBlocking` for a lane that is a task: the waits are task sleeps.
    public func next() async -> LaneCall? {
        while true {
            // A lane's task is cancelled only with its fan-out's.
            if Task.isCancelled { fanOut.cancel() }
            switch step(now: MonotonicClock.seconds(), mayWait: true) {
            case .call(let call): return call
            case .done: return nil
            case .wait(let until):
                try? await Task.sleep(nanoseconds: UInt64(max(0, until - MonotonicClock.seconds()) * 1e9) + 1)
            }
        }
    }

    /// A call to send at once behind the ones in flight, if one is ready without waiting and the lane may
    /// pipeline; nil otherwise.
    public func nextAhead() -> LaneCall? {
        guard mayPipeline, case .call(let call) = step(now: MonotonicClock.seconds(), mayWait: false) else { return nil }
        return call
    }

    private enum Step {
        case call(LaneCall)
        case wait(until: Double)
        case done
    }

    private func step(now: Double, mayWait: Bool) -> Step {
        if isCancelled { return .done }
        if !returned.isEmpty {
            outstanding += 1
            return .call(returned.removeFirst())
        }
        if let first = retries.first {
            guard first.due <= now else { return mayWait ? .wait(until: first.due) : .done }
            retries.removeFirst()
            outstanding += 1
            return .call(first.call)
        }
        if held == nil {
            guard let fresh = fanOut.take(now: now) else { return .done }
            held = fresh
        }
        if let limiter = fanOut.limiter {
            let wait = limiter.tatWait(now)
            if wait > 0 { return mayWait ? .wait(until: now + wait) : .done }
            // Under a rate limit a call starts at its grant, which the limiter spaces exactly.
            held!.attempts.restartClock(at: now)
        }
        defer { held = nil }
        outstanding += 1
        return .call(held!)
    }

    /// Reports an attempt's outcome. `startedAt`: when the attempt began to run, if the lane knows better
    /// than the time it took the call (it waited behind others, or was sent later); `arrivedAt`: when its
    /// answer arrived, if before now (`MonotonicClock.seconds()`, 0 for unknown).
    public func finish(_ call: LaneCall, _ result: Result<InvocationResponse, FaastError>, startedAt: Double = 0,
                       arrivedAt: Double = 0) {
        outstanding -= 1
        var attempts = call.attempts
        attempts.began(at: startedAt, answered: arrivedAt)
        switch result {
        case .success(let response):
            attempts.succeeded(response)
        case .failure(let error):
            // The provider's own cancellation says whether the attempt had started (and, on Lambda, that it may
            // still run); any other error of a cancelled fan-out was the attempt in flight being ended.
            let error = isCancelled && error.kind != .cancelled
                ? FaastError(.cancelled, "\(fanOut.plan.function) was cancelled") : error
            if attempts.failed(error) {
                let delay = Double(fanOut.retryPolicy.delayNanoseconds(afterAttempt: attempts.attempt - 1)) / 1e9
                let again = LaneCall(request: attempts.request(call.request.args, keywords: call.request.keywords), index: call.index, attempts: attempts)
                retries.append((MonotonicClock.seconds() + delay, again))
                return
            }
        }
        complete(call.index, attempts.outcome())
    }

    /// Gives back a call that was taken but never began to run (sent behind a call whose worker ended):
    /// it is sent again first, and does not count as a retry.
    public func putBack(_ call: LaneCall) {
        outstanding -= 1
        var again = call
        again.attempts.restartClock()
        returned.append(again)
    }

    private func complete(_ index: Int, _ outcome: CallOutcome) {
        unrecorded.append(outcome)
        if unrecorded.count == FanOut.statsBatch { flush() }
        tally.add(index: index, outcome, fanOut: fanOut)
        fanOut.observer?(index, outcome)
        fanOut.progress?.finished(failed: outcome.error.map { $0.kind != .cancelled } ?? false,
                                  retries: outcome.retries, reruns: outcome.reruns)
    }

    private func flush() {
        fanOut.stats.record(unrecorded, mode: fanOut.plan.mode)
        unrecorded.removeAll(keepingCapacity: true)
        tally.flushBytes(fanOut)
    }

    /// Ends the lane (after its `run` returned): calls it still held never ran again and are cancelled.
    func close() -> LaneTally {
        assert(outstanding == 0, "a lane returned with calls it neither finished nor put back")
        var left = returned + retries.map(\.call)
        if let held { left.append(held) }
        for call in left {
            var attempts = call.attempts
            if attempts.attempt == 0 {
                complete(call.index, CallOutcome.cancelled(fanOut.plan.function, queuedSince: attempts.queuedSince))
            } else {
                attempts.cancelled(waiting: true)
                complete(call.index, attempts.outcome())
            }
        }
        (returned, retries, held) = ([], [], nil)
        flush()
        return tally
    }
}
