import Synchronization

/// The invocation core: every call, single or fanned out, goes through here for its limits
/// (concurrency, rate), retries, timeout, cancellation and statistics.
///
/// There is one fan-out engine for every provider: the core runs `lanes` lanes at once (the concurrency),
/// each through `Provider.runLane`, and a lane takes calls from its `LaneCalls` and reports each attempt.
/// How a lane runs is the provider's business (a thread that blocks on a worker's pipe locally, a task that
/// awaits `invoke` on AWS); limits, retries, bookkeeping and results are the core's, once.
public final class Invoker: Sendable {
    public let provider: any Provider
    public let stats: SessionStats
    private let nextCallId = Atomic<Int>(0)
    private let retryPolicy: RetryPolicy
    private let retention: ResultRetention

    /// `stats`: the session's statistics so far, when this invoker takes over from another (a reloaded module).
    public init(provider: any Provider, retryPolicy: RetryPolicy = RetryPolicy(), retention: ResultRetention = ResultRetention(),
                stats: SessionStats = SessionStats()) {
        self.provider = provider
        self.stats = stats
        self.retryPolicy = retryPolicy
        self.retention = retention
    }

    /// Checks that `function` exists and accepts `argumentCount` arguments.
    public func validate(function: String, argumentCount: Int) throws(FaastError) {
        guard let info = provider.functions.first(where: { $0.name == function }) else {
            let names = provider.functions.map(\.name)
            throw FaastError(.notFound, "no function '\(function)' in \(FilePaths.lastComponent(provider.module.path))"
                + Suggestion.didYouMean(function, in: names))
        }
        let variadic = info.parameters.contains { $0.hasPrefix("...") || $0.hasPrefix("*") }
        // Python's keyword-only parameters (after `*`) take no positional argument.
        let keywordOnly = info.declared?.filter { $0.kind == .keywordOnly }.count ?? 0
        let n = info.parameters.count - keywordOnly
        if !variadic, argumentCount > n {
            throw FaastError(.invalidArgument, keywordOnly > 0
                ? "\(info.fullSignature) takes \(n) positional argument\(n == 1 ? "" : "s"), got \(argumentCount)"
                : "\(info.signature) takes \(n) argument\(n == 1 ? "" : "s"), got \(argumentCount)")
        }
    }

    /// One call. `onYield` sees a generator's values as they are yielded, where the provider streams them;
    /// `capturingOutput` asks for the lines the function prints (`CallOutcome.output`).
    public func call(_ function: String, args: [JSONValue], keywords: [JSONMember] = [], options: CallOptions = CallOptions(),
                     onYield: YieldHandler? = nil, capturingOutput: Bool = false) async -> CallOutcome {
        var named: (@Sendable (Int) -> [JSONMember])?
        if !keywords.isEmpty { named = { @Sendable _ in keywords } }
        let batch = await fanOut(function, count: 1, options: options, onYield: onYield, capturingOutput: capturingOutput,
                                 keywords: named) { _ in args }
        return batch.lastOutcome!
    }

    /// `count` calls of `function`, the i-th with `arguments(i)` and `keywords(i)` (asked for when the call is
    /// taken, never ahead), at most `concurrency` in flight; `observer` sees each call's full outcome as it finishes.
    /// Cancelling the calling task stops the fan-out at once: calls not started are counted as cancelled
    /// without being made, and the provider ends the calls in flight.
    public func fanOut(
        _ function: String, count: Int, options: CallOptions = CallOptions(), progress: BatchProgress? = nil,
        observer: (@Sendable (Int, CallOutcome) -> Void)? = nil, onYield: YieldHandler? = nil, capturingOutput: Bool = false,
        keywords: (@Sendable (Int) -> [JSONMember])? = nil,
        arguments: @escaping @Sendable (Int) -> [JSONValue]
    ) async -> BatchResult {
        let settings = provider.settings
        let mode = options.mode ?? settings.mode
        let concurrency = options.concurrency ?? settings.concurrency
        let lanes = min(max(1, concurrency <= 0 ? count : min(concurrency, count)), provider.maxLanes)
        let plan = CallPlan(
            function: function, timeout: options.timeout ?? settings.timeout,
            maxRetries: options.maxRetries ?? settings.maxRetries, maxReruns: options.maxReruns ?? settings.maxReruns,
            mode: mode, onYield: onYield, speculative: options.speculative ?? settings.speculative,
            capturesOutput: capturingOutput)
        let fan = FanOut(
            plan: plan, count: count, arguments: arguments, keywords: keywords,
            limiter: (options.rate ?? settings.rate).map { RateLimiter(rate: $0, burst: options.burst ?? settings.burst) },
            pipeline: options.pipeline ?? settings.pipeline, retryPolicy: retryPolicy, retention: retention,
            progress: progress, observer: observer, stats: stats,
            newCallId: { self.newCallId() })
        let started = MonotonicClock.seconds()
        progress?.start(total: count)
        let tallies = await withTaskCancellationHandler {
            await withTaskGroup(of: LaneTally.self) { group in
                for _ in 0..<(count == 0 ? 0 : lanes) {
                    group.addTask { [provider] in
                        let calls = LaneCalls(fan)
                        if let k = plan.speculative {
                            await self.runSpeculativeLane(calls, k: k)
                        } else {
                            await provider.runLane(calls)
                        }
                        return calls.close()
                    }
                }
                var all: [LaneTally] = []
                for await lane in group { all.append(lane) }
                return all
            }
        } onCancel: {
            fan.cancel()
        }
        progress?.neverStarted(count - fan.taken)
        return BatchResult(function: function, mode: mode, count: count, kept: fan.keptCount, lanes: tallies,
                           elapsedSeconds: MonotonicClock.seconds() - started)
    }

    private func newCallId() -> String { "c\(nextCallId.add(1, ordering: .relaxed).newValue)" }
}
