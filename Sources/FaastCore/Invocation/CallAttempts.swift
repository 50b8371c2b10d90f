/// What a call is, the same for each of its attempts.
struct CallPlan: Sendable {
    var function: String
    var timeout: Double
    /// Automatic retries of attempts that provably did not start.
    var maxRetries: Int
    /// Re-runs of attempts that may have run (an opt-in: `rerun=N`).
    var maxReruns: Int
    var mode: InvocationMode
    /// Where a generator's values go as they are yielded (a single call's display).
    var onYield: YieldHandler?
    /// Speculative retries' K (see `CallOptions.speculative`).
    var speculative: Double? = nil
    /// Whether each attempt asks for what the function printed (see `InvocationRequest.capturesOutput`).
    var capturesOutput = false
}

/// The bookkeeping of one call across its attempts: billing, timing, and whether to try again.
///
/// The rule that keeps "user code runs at most once per call": an attempt that provably did not start
/// (`FaastError.attemptDidNotStart`: throttled, never connected, never taken by a worker) is retried
/// automatically, up to `maxRetries`; an attempt that may have run (`FaastError.mayHaveRun`: its worker
/// died, its answer was lost) is run again only up to `maxReruns`, which is 0 unless the user opts in;
/// anything else (the function's own exception, a timeout, out of memory, a serialization error) is final.
struct CallAttempts: Sendable {
    let plan: CallPlan
    let callId: String
    let queuedSince: Double
    /// When the first attempt was sent, or began to run if it waited behind another call.
    var dispatched = MonotonicClock.seconds()
    /// When the last attempt's answer arrived, if the lane says.
    var answeredAt: Double?
    /// 0 for the first attempt.
    var attempt = 0
    /// Attempts that re-ran the call after one that may have run.
    var reruns = 0
    /// Whether the attempt scheduled last is a re-run (to undo it if it never happens).
    private var scheduledRerun = false
    var billedMs = 0.0
    var billedRequests = 0
    var transferBytes = 0
    var speculativeDuplicates = 0
    var speculativeWins = 0
    var speculativeBilledMs = 0.0
    var timing = RemoteTiming()
    var output: [String]?
    var result: Result<JSONValue, FaastError>?

    init(plan: CallPlan, callId: String, queuedSince: Double) {
        self.plan = plan
        self.callId = callId
        self.queuedSince = queuedSince
    }

    mutating func restartClock(at time: Double? = nil) { dispatched = time ?? MonotonicClock.seconds() }

    /// The first attempt began to run at `start` (0: when it was taken), and this attempt's answer arrived
    /// at `answered` (0: not known).
    mutating func began(at start: Double, answered: Double) {
        if attempt == 0, start > 0 { dispatched = start }
        answeredAt = answered > 0 ? answered : nil
    }

    func request(_ args: [JSONValue], keywords: [JSONMember]) -> InvocationRequest {
        InvocationRequest(callId: attempt == 0 ? callId : "\(callId).\(attempt)", function: plan.function, args: args,
                          keywords: keywords, timeout: plan.timeout, mode: plan.mode, attempt: attempt, onYield: plan.onYield,
                          capturesOutput: plan.capturesOutput)
    }

    mutating func succeeded(_ response: InvocationResponse) {
        timing = response.timing
        billedRequests += 1
        billedMs += response.billedMs ?? Self.billed(response.timing)
        transferBytes += response.transferBytes
        output = response.output
        result = .success(response.value)
    }

    /// Records a failed attempt; true when the call goes again (as the next attempt, after a backoff).
    mutating func failed(_ error: FaastError) -> Bool {
        var failure = error
        output = failure.output
        if let t = failure.timing {
            timing = t
            billedRequests += 1
            billedMs += failure.billedMs ?? Self.billed(t)
        } else if failure.kind == .timeout {
            billedRequests += 1
            billedMs += failure.billedMs ?? (plan.timeout * 1000).rounded(.up)
        }
        let retriesSoFar = attempt - reruns
        if failure.attemptDidNotStart, retriesSoFar < plan.maxRetries {
            schedule(rerun: false)
            return true
        }
        if failure.mayHaveRun, reruns < plan.maxReruns {
            schedule(rerun: true)
            return true
        }
        if attempt > 0, failure.kind != .cancelled { failure.message += " (after \(attempt + 1) attempts)" }
        if failure.mayHaveRun, plan.maxReruns == 0 {
            failure.message += failure.message.contains("\n") ? "\n" : " "
            failure.message += "(it may have run, so faast did not run it again; rerun=N allows that)"
        }
        result = .failure(failure)
        return false
    }

    private mutating func schedule(rerun: Bool) {
        attempt += 1
        if rerun { reruns += 1 }
        scheduledRerun = rerun
    }

    /// The call was cancelled; `waiting` when it was waiting to make an attempt that now never happens.
    mutating func cancelled(waiting: Bool = false) {
        if waiting, attempt > 0 {
            attempt -= 1
            if scheduledRerun { reruns -= 1 }
        }
        // A call waiting to be sent again is not running: its attempt in flight, if any, is the one that failed.
        result = .failure(FaastError(.cancelled, "\(plan.function) was cancelled", notStarted: waiting))
    }

    func outcome() -> CallOutcome {
        let now = MonotonicClock.seconds()
        let received = min(now, answeredAt ?? now)
        var outcome = CallOutcome(
            function: plan.function, result: result ?? .failure(FaastError(.cancelled, "\(plan.function) was cancelled")),
            latencyMs: max(0, received - dispatched) * 1000, queuedMs: (dispatched - queuedSince) * 1000,
            attempts: attempt + 1, timing: timing, receivedAtEpochMs: MonotonicClock.epochMs() - (now - received) * 1000,
            dispatchedAt: dispatched, billedMs: billedMs, billedRequests: billedRequests)
        outcome.transferBytes = transferBytes
        outcome.speculativeDuplicates = speculativeDuplicates
        outcome.speculativeWins = speculativeWins
        outcome.speculativeBilledMs = speculativeBilledMs
        outcome.reruns = reruns
        outcome.output = output
        return outcome
    }

    /// 1 ms billing steps of an attempt's execution time.
    static func billed(_ timing: RemoteTiming) -> Double {
        guard let ms = timing.executionMs else { return 0 }
        return max(1, ms.rounded(.up))
    }
}

/// Jittered exponential backoff between attempts.
public struct RetryPolicy: Sendable {
    /// Delay before the first retry, before jitter.
    public var base: Double
    public var cap: Double
    public init(base: Double = 0.05, cap: Double = 5) {
        self.base = base
        self.cap = cap
    }

    /// Half the exponential delay plus a random share of the other half ("equal jitter").
    public func delayNanoseconds(afterAttempt attempt: Int) -> UInt64 {
        let full = min(cap, base * Double(1 << min(attempt, 20)))
        return UInt64((full / 2 + Double.random(in: 0...(full / 2))) * 1e9)
    }
}

extension CallOutcome {
    /// A call cancelled before its first attempt.
    static func cancelled(_ function: String, queuedSince: Double) -> CallOutcome {
        let now = MonotonicClock.seconds()
        return CallOutcome(
            function: function, result: .failure(FaastError(.cancelled, "\(function) was cancelled before it started", notStarted: true)),
            latencyMs: 0, queuedMs: (now - queuedSince) * 1000, attempts: 0, timing: RemoteTiming(),
            receivedAtEpochMs: MonotonicClock.epochMs(), dispatchedAt: now, billedMs: 0, billedRequests: 0)
    }
}
