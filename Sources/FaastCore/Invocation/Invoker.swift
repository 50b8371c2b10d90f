import Foundation
import Synchronization

/// The invocation core: every call, single or fanned out, goes through here for its limits
/// (concurrency, rate), retries, timeout, cancellation and statistics.
public final class Invoker: Sendable {
    public let provider: any Provider
    public let stats = SessionStats()
    private let nextCallId = Atomic<Int>(0)
    private let retryPolicy: RetryPolicy

    public init(provider: any Provider, retryPolicy: RetryPolicy = RetryPolicy()) {
        self.provider = provider
        self.retryPolicy = retryPolicy
    }

    /// Checks that `function` exists and accepts `argumentCount` arguments.
    public func validate(function: String, argumentCount: Int) throws(FaastError) {
        guard let info = provider.functions.first(where: { $0.name == function }) else {
            let names = provider.functions.map(\.name)
            throw FaastError(.notFound, "no function '\(function)' in \(FilePaths.lastComponent(provider.module.path))"
                + Suggestion.didYouMean(function, in: names))
        }
        let variadic = info.parameters.contains { $0.hasPrefix("...") || $0.hasPrefix("*") }
        if !variadic, argumentCount > info.parameters.count {
            let n = info.parameters.count
            throw FaastError(.invalidArgument,
                "\(info.signature) takes \(n) argument\(n == 1 ? "" : "s"), got \(argumentCount)")
        }
    }

    /// One call.
    public func call(_ function: String, args: [JSONValue], options: CallOptions = CallOptions()) async -> CallOutcome {
        let batch = await fanOut(function, count: 1, options: options) { _ in args }
        return batch.lastOutcome!
    }

    /// `count` calls of `function`, the i-th with `arguments(i)`, at most `concurrency` in flight;
    /// `observer` sees each call's full outcome as it finishes.
    /// Cancelling the calling task stops queued calls at once and ends the ones in flight.
    public func fanOut(
        _ function: String, count: Int, options: CallOptions = CallOptions(), progress: BatchProgress? = nil,
        observer: (@Sendable (Int, CallOutcome) -> Void)? = nil,
        arguments: @escaping @Sendable (Int) -> [JSONValue]
    ) async -> BatchResult {
        let settings = provider.settings
        let mode = options.mode ?? settings.mode
        let concurrency = options.concurrency ?? settings.concurrency
        let lanes = max(1, concurrency <= 0 ? count : min(concurrency, count))
        let rate = options.rate ?? settings.rate
        let pipeline = options.pipeline ?? settings.pipeline
        let limiter = rate.map { RateLimiter(rate: $0, burst: options.burst ?? settings.burst) }
        let plan = CallPlan(
            function: function, timeout: options.timeout ?? settings.timeout,
            maxRetries: options.maxRetries ?? settings.maxRetries, mode: mode)
        let next = AtomicCounter()
        let batchStart = MonotonicClock.seconds()
        progress?.start(total: count)

        if let blocking = provider as? any BlockingProvider {
            // Each lane is a thread and a worker process: "unlimited" stops at a number this machine survives.
            let laneResults = await fanOutOnThreads(
                blocking, plan: plan, count: count, lanes: min(lanes, Self.maxThreadLanes), limiter: limiter,
                pipeline: pipeline, progress: progress, observer: observer, arguments: arguments)
            return BatchResult(function: function, mode: mode, count: count, lanes: laneResults,
                               elapsedSeconds: MonotonicClock.seconds() - batchStart)
        }
        let laneResults = await withTaskGroup(of: LaneResult.self) { group in
            for _ in 0..<lanes {
                group.addTask {
                    var lane = LaneResult()
                    while true {
                        let i = next.next()
                        if i >= count { break }
                        let queuedSince = MonotonicClock.seconds()
                        var outcome: CallOutcome
                        if Task.isCancelled {
                            outcome = CallOutcome.cancelled(function, queuedSince: queuedSince)
                        } else {
                            do {
                                try await limiter?.acquire()
                                outcome = await self.run(plan, args: arguments(i), queuedSince: queuedSince)
                            } catch {
                                outcome = CallOutcome.cancelled(function, queuedSince: queuedSince)
                            }
                        }
                        self.stats.record(outcome, mode: mode)
                        lane.add(index: i, outcome)
                        observer?(i, outcome)
                        progress?.finished(failed: outcome.error.map { $0.kind != .cancelled } ?? false,
                                           retries: max(0, outcome.attempts - 1))
                    }
                    return lane
                }
            }
            var all: [LaneResult] = []
            for await lane in group { all.append(lane) }
            return all
        }
        return BatchResult(
            function: function, mode: mode, count: count, lanes: laneResults,
            elapsedSeconds: MonotonicClock.seconds() - batchStart)
    }

    typealias CallPlanValue = CallPlan

    /// The most calls in flight at once on a blocking (local) provider, whatever the concurrency asked.
    public static let maxThreadLanes = 256
    /// How many outcomes a thread lane collects before it records them in the session's statistics.
    static let statsBatch = 32

    struct CallPlan: Sendable {
        var function: String
        var timeout: Double
        var maxRetries: Int
        var mode: InvocationMode
    }

    /// One call with its retries.
    private func run(_ plan: CallPlan, args: [JSONValue], queuedSince: Double) async -> CallOutcome {
        var call = CallAttempts(plan: plan, callId: newCallId(), queuedSince: queuedSince)
        while true {
            do {
                call.succeeded(try await provider.invoke(call.request(args)))
                break
            } catch {
                guard call.shouldRetry(Self.faastError(error)), !Task.isCancelled else { break }
                do {
                    try await Task.sleep(nanoseconds: retryPolicy.delayNanoseconds(afterAttempt: call.attempt))
                    call.attempt += 1
                } catch {
                    call.cancelled()
                    break
                }
            }
        }
        return call.outcome()
    }

    /// One call with its retries, on a lane thread of a blocking provider. `ahead` (see `BlockingLane`) may
    /// take the lane's next call and send it behind this one.
    private func runBlocking(_ lane: any BlockingLane, _ call: inout CallAttempts, args: [JSONValue], cancelled: CancelFlag,
                             ahead: () -> InvocationRequest?) {
        while true {
            do throws(FaastError) {
                let response = try lane.invoke(call.request(args), ahead: ahead)
                call.began(at: lane.lastStart, answered: lane.lastArrival)
                call.succeeded(response)
                break
            } catch {
                call.began(at: lane.lastStart, answered: lane.lastArrival)
                guard call.shouldRetry(cancelled.isSet ? FaastError(.cancelled, "\(call.plan.function) was cancelled") : error) else { break }
                // Back off in slices, so that a cancel is seen at once.
                let until = MonotonicClock.seconds() + Double(retryPolicy.delayNanoseconds(afterAttempt: call.attempt)) / 1e9
                while !cancelled.isSet, MonotonicClock.seconds() < until { usleep(5_000) }
                if cancelled.isSet {
                    call.cancelled()
                    break
                }
                call.attempt += 1
            }
        }
    }

    /// A fan-out whose lanes are threads that block on the provider (see `BlockingProvider`).
    private func fanOutOnThreads(
        _ blocking: any BlockingProvider, plan: CallPlan, count: Int, lanes: Int, limiter: RateLimiter?, pipeline: Bool,
        progress: BatchProgress?, observer: (@Sendable (Int, CallOutcome) -> Void)?,
        arguments: @escaping @Sendable (Int) -> [JSONValue]
    ) async -> [LaneResult] {
        let shared = ThreadLaneShared(plan: plan, count: count, limiter: limiter, pipeline: pipeline, progress: progress,
                                      observer: observer, arguments: arguments)
        let collected = Mutex<[LaneResult]>([])
        await withTaskCancellationHandler {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let remaining = Mutex(lanes)
                for _ in 0..<lanes {
                    let thread = Thread {
                        let finished = self.runThreadLane(blocking.makeLane(), shared)
                        collected.withLock { $0.append(finished) }
                        if remaining.withLock({ n -> Int in n -= 1; return n }) == 0 { done.resume() }
                    }
                    thread.stackSize = 512 * 1024
                    thread.start()
                }
            }
        } onCancel: {
            shared.cancelled.set()
            blocking.cancelCallsInFlight()
        }
        return collected.withLock { $0 }
    }

    /// What the lanes of one thread fan-out share.
    private struct ThreadLaneShared: Sendable {
        let plan: CallPlan
        let count: Int
        let limiter: RateLimiter?
        let pipeline: Bool
        let progress: BatchProgress?
        let observer: (@Sendable (Int, CallOutcome) -> Void)?
        let arguments: @Sendable (Int) -> [JSONValue]
        let next = AtomicCounter()
        let cancelled = CancelFlag()
    }

    /// One lane of a thread fan-out: takes calls until none are left, runs them on `lane`, and returns what it
    /// collected. With pipelining, the lane may take calls early for `lane` to send behind the one in flight.
    private func runThreadLane(_ lane: any BlockingLane, _ shared: ThreadLaneShared) -> LaneResult {
        let plan = shared.plan, cancelled = shared.cancelled
        var results = LaneResult()
        // Outcomes reach the session's statistics in small batches: one lock per batch, not per call.
        var unrecorded: [CallOutcome] = []
        unrecorded.reserveCapacity(Self.statsBatch)
        // Calls taken early, oldest first, perhaps already sent behind the one in flight.
        var taken: [(index: Int, args: [JSONValue], call: CallAttempts)] = []
        let sendAhead = { () -> InvocationRequest? in
            // Never ahead of a rate limit, which decides when each call may start.
            guard shared.pipeline, shared.limiter == nil, !cancelled.isSet else { return nil }
            // In order: nothing more while a call taken before could not be sent (it did not fit).
            if let last = taken.last, !lane.isSent(last.call.callId) { return nil }
            let j = shared.next.next()
            guard j < shared.count else { return nil }
            let args = shared.arguments(j)
            let call = CallAttempts(plan: plan, callId: self.newCallId(), queuedSince: MonotonicClock.seconds())
            taken.append((j, args, call))
            return call.request(args)
        }
        while true {
            let i: Int
            var call: CallAttempts
            let outcome: CallOutcome
            if !taken.isEmpty {
                let early = taken.removeFirst()
                (i, call) = (early.index, early.call)
                let sent = lane.isSent(call.callId)
                if cancelled.isSet && !sent {
                    // Taken early but never sent: a cancel stops it here.
                    outcome = CallOutcome.cancelled(plan.function, queuedSince: call.queuedSince)
                } else {
                    if !sent { call.restartClock() }
                    runBlocking(lane, &call, args: early.args, cancelled: cancelled, ahead: sendAhead)
                    outcome = call.outcome()
                }
            } else {
                i = shared.next.next()
                if i >= shared.count { break }
                call = CallAttempts(plan: plan, callId: newCallId(), queuedSince: MonotonicClock.seconds())
                var granted: Double?
                if Self.mayStart(lane, shared.limiter, cancelled: cancelled, granted: &granted) {
                    let args = shared.arguments(i)
                    // Under a rate limit a call starts at its grant, which the limiter spaces exactly.
                    call.restartClock(at: granted)
                    runBlocking(lane, &call, args: args, cancelled: cancelled, ahead: sendAhead)
                    outcome = call.outcome()
                } else {
                    outcome = CallOutcome.cancelled(plan.function, queuedSince: call.queuedSince)
                }
            }
            unrecorded.append(outcome)
            if unrecorded.count == Self.statsBatch {
                stats.record(unrecorded, mode: plan.mode)
                unrecorded.removeAll(keepingCapacity: true)
            }
            results.add(index: i, outcome)
            shared.observer?(i, outcome)
            shared.progress?.finished(failed: outcome.error.map { $0.kind != .cancelled } ?? false,
                                      retries: max(0, outcome.attempts - 1))
        }
        stats.record(unrecorded, mode: plan.mode)
        lane.close()
        return results
    }

    /// Whether a lane's next call may start: not cancelled, and under a rate limit a slot granted (at
    /// `granted`; the lane's worker is made ready first, so that the slot is not spent starting one).
    private static func mayStart(_ lane: any BlockingLane, _ limiter: RateLimiter?, cancelled: CancelFlag,
                                 granted: inout Double?) -> Bool {
        if cancelled.isSet { return false }
        guard let limiter else { return true }
        lane.prepare()
        granted = limiter.acquireBlocking(cancelled: { cancelled.isSet })
        return granted != nil
    }

    private func newCallId() -> String { "c\(nextCallId.add(1, ordering: .relaxed).newValue)" }

    /// 1 ms billing steps of an attempt's execution time.
    static func billed(_ timing: RemoteTiming) -> Double {
        guard let ms = timing.executionMs else { return 0 }
        return max(1, ms.rounded(.up))
    }

    static func faastError(_ error: any Error) -> FaastError {
        if let e = error as? FaastError { return e }
        if error is CancellationError { return FaastError(.cancelled, "the call was cancelled") }
        return FaastError(.transport, "\(error)")
    }
}

/// Jittered exponential backoff between retries.
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
    static func cancelled(_ function: String, queuedSince: Double) -> CallOutcome {
        let now = MonotonicClock.seconds()
        return CallOutcome(
            function: function, result: .failure(FaastError(.cancelled, "\(function) was cancelled before it started")),
            latencyMs: 0, queuedMs: (now - queuedSince) * 1000, attempts: 0, timing: RemoteTiming(),
            receivedAtEpochMs: MonotonicClock.epochMs(), dispatchedAt: now, billedMs: 0, billedRequests: 0)
    }
}

/// A shared counter handing out 0, 1, 2, ... to concurrent lanes.
final class AtomicCounter: Sendable {
    private let value = Atomic<Int>(0)
    func next() -> Int { value.add(1, ordering: .relaxed).oldValue }
}

/// A flag set once, read by many threads.
final class CancelFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// The bookkeeping of one call across its attempts: billing, timing, and the retry decision.
struct CallAttempts {
    let plan: Invoker.CallPlanValue
    let callId: String
    let queuedSince: Double
    /// When the first attempt was sent, or began to run if it waited behind another call.
    var dispatched = MonotonicClock.seconds()
    /// When the last attempt's answer arrived, if the provider says.
    var answeredAt: Double?
    var attempt = 0
    var billedMs = 0.0
    var billedRequests = 0
    var transferBytes = 0
    var timing = RemoteTiming()
    var result: Result<JSONValue, FaastError>?

    init(plan: Invoker.CallPlanValue, callId: String, queuedSince: Double) {
        self.plan = plan
        self.callId = callId
        self.queuedSince = queuedSince
    }

    mutating func restartClock(at time: Double? = nil) { dispatched = time ?? MonotonicClock.seconds() }

    /// The first attempt began to run at `start`, and this attempt's answer arrived at `answered` (0: not known).
    mutating func began(at start: Double, answered: Double = 0) {
        if attempt == 0, start > 0 { dispatched = start }
        answeredAt = answered > 0 ? answered : nil
    }

    func request(_ args: [JSONValue]) -> InvocationRequest {
        InvocationRequest(callId: attempt == 0 ? callId : "\(callId).\(attempt)", function: plan.function, args: args,
                          timeout: plan.timeout, mode: plan.mode, attempt: attempt)
    }

    mutating func succeeded(_ response: InvocationResponse) {
        timing = response.timing
        billedRequests += 1
        billedMs += response.billedMs ?? Invoker.billed(response.timing)
        transferBytes += response.transferBytes
        result = .success(response.value)
    }

    /// Records a failed attempt; true when it may be tried again (the caller then backs off).
    mutating func shouldRetry(_ error: FaastError) -> Bool {
        var failure = error
        if let t = failure.timing {
            timing = t
            billedRequests += 1
            billedMs += failure.billedMs ?? Invoker.billed(t)
        } else if failure.kind == .timeout {
            billedRequests += 1
            billedMs += failure.billedMs ?? (plan.timeout * 1000).rounded(.up)
        }
        if failure.kind.isRetryable, attempt < plan.maxRetries { return true }
        if attempt > 0, failure.kind != .cancelled { failure.message += " (after \(attempt + 1) attempts)" }
        result = .failure(failure)
        return false
    }

    mutating func cancelled() {
        result = .failure(FaastError(.cancelled, "\(plan.function) was cancelled"))
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
        return outcome
    }
}
