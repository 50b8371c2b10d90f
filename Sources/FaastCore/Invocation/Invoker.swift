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
        let limiter = rate.map { RateLimiter(rate: $0, burst: options.burst ?? settings.burst) }
        let plan = CallPlan(
            function: function, timeout: options.timeout ?? settings.timeout,
            maxRetries: options.maxRetries ?? settings.maxRetries, mode: mode)
        let next = AtomicCounter()
        let batchStart = MonotonicClock.seconds()
        progress?.start(total: count)

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

    private struct CallPlan: Sendable {
        var function: String
        var timeout: Double
        var maxRetries: Int
        var mode: InvocationMode
    }

    /// One call with its retries.
    private func run(_ plan: CallPlan, args: [JSONValue], queuedSince: Double) async -> CallOutcome {
        let dispatched = MonotonicClock.seconds()
        let callId = "c\(nextCallId.add(1, ordering: .relaxed).newValue)"
        var attempt = 0
        var billedMs = 0.0
        var billedRequests = 0
        var transferBytes = 0
        var result: Result<JSONValue, FaastError>
        var timing = RemoteTiming()
        while true {
            let request = InvocationRequest(
                callId: attempt == 0 ? callId : "\(callId).\(attempt)", function: plan.function, args: args,
                timeout: plan.timeout, mode: plan.mode, attempt: attempt)
            do {
                let response = try await provider.invoke(request)
                timing = response.timing
                billedRequests += 1
                billedMs += response.billedMs ?? Self.billed(response.timing)
                transferBytes += response.transferBytes
                result = .success(response.value)
                break
            } catch {
                var failure = Self.faastError(error)
                if let t = failure.timing {
                    timing = t
                    billedRequests += 1
                    billedMs += failure.billedMs ?? Self.billed(t)
                } else if failure.kind == .timeout {
                    billedRequests += 1
                    billedMs += failure.billedMs ?? (plan.timeout * 1000).rounded(.up)
                }
                if failure.kind.isRetryable, attempt < plan.maxRetries, !Task.isCancelled {
                    do {
                        try await Task.sleep(nanoseconds: retryPolicy.delayNanoseconds(afterAttempt: attempt))
                        attempt += 1
                        continue
                    } catch {
                        failure = FaastError(.cancelled, "\(plan.function) was cancelled")
                    }
                }
                if attempt > 0, failure.kind != .cancelled {
                    failure.message += " (after \(attempt + 1) attempts)"
                }
                result = .failure(failure)
                break
            }
        }
        let now = MonotonicClock.seconds()
        var outcome = CallOutcome(
            function: plan.function, result: result, latencyMs: (now - dispatched) * 1000,
            queuedMs: (dispatched - queuedSince) * 1000, attempts: attempt + 1, timing: timing,
            receivedAtEpochMs: MonotonicClock.epochMs(), dispatchedAt: dispatched, billedMs: billedMs,
            billedRequests: billedRequests)
        outcome.transferBytes = transferBytes
        return outcome
    }

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
