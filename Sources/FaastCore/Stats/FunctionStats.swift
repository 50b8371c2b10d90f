import Synchronization

/// Counts and timings of one function's calls (or of a whole session).
public struct FunctionStats: Sendable {
    /// Calls started (a retried call counts once).
    public var invocations = 0
    /// Calls that returned a value.
    public var completed = 0
    /// Calls that finally failed.
    public var errors = 0
    /// Automatic retries of attempts that did not start.
    public var retries = 0
    /// Re-runs of calls whose attempt may have run (`rerun=N`).
    public var reruns = 0
    /// Round trip seen by the caller, from dispatch to result (retries included).
    public var latency = LatencyRecorder()
    /// Of `latency`: the calls that were cold starts (see `RemoteTiming.coldStart`), and the warm ones.
    public var coldLatency = LatencyRecorder()
    public var warmLatency = LatencyRecorder()
    /// Calls that were cold starts.
    public var coldStarts: Int { coldLatency.count }
    /// The function's own execution time, measured where it ran.
    public var execution = LatencyRecorder()
    /// Time waiting locally for a concurrency or rate slot.
    public var queued = LatencyRecorder()
    /// From the function's end to the result arriving here.
    public var returnTime = LatencyRecorder()
    /// Billed milliseconds, each attempt rounded up to 1 ms.
    public var billedMs = 0.0
    /// Attempts that reached the function (billed requests).
    public var requests = 0
    /// The most memory an attempt reported, in MB.
    public var maxMemoryMb = 0.0
    /// Speculative duplicates started (`speculative=K`): each is a second, billed request for a slow call.
    public var speculative = 0
    /// Calls whose speculative duplicate answered first.
    public var speculativeWins = 0

    public init() {}

    /// Adds one finished call.
    public mutating func record(_ outcome: CallOutcome) {
        // A call cancelled before it started was never invoked.
        if outcome.attempts == 0, outcome.error?.kind == .cancelled {
            queued.record(ms: outcome.queuedMs)
            return
        }
        invocations += 1
        retries += outcome.retries
        reruns += outcome.reruns
        switch outcome.result {
        case .success: completed += 1
        case .failure: errors += 1
        }
        if outcome.attempts > 0 {
            latency.record(ms: outcome.latencyMs)
            if outcome.coldStart { coldLatency.record(ms: outcome.latencyMs) } else { warmLatency.record(ms: outcome.latencyMs) }
        }
        queued.record(ms: outcome.queuedMs)
        if let exec = outcome.timing.executionMs {
            execution.record(ms: exec)
            if let end = outcome.timing.end { returnTime.record(ms: max(0, outcome.receivedAtEpochMs - end)) }
        }
        if let mem = outcome.timing.memoryMb { maxMemoryMb = max(maxMemoryMb, mem) }
        billedMs += outcome.billedMs
        requests += outcome.billedRequests
        speculative += outcome.speculativeDuplicates
        speculativeWins += outcome.speculativeWins
    }

    public mutating func merge(_ o: FunctionStats) {
        invocations += o.invocations
        completed += o.completed
        errors += o.errors
        retries += o.retries
        reruns += o.reruns
        latency.merge(o.latency)
        coldLatency.merge(o.coldLatency)
        warmLatency.merge(o.warmLatency)
        execution.merge(o.execution)
        queued.merge(o.queued)
        returnTime.merge(o.returnTime)
        billedMs += o.billedMs
        requests += o.requests
        maxMemoryMb = max(maxMemoryMb, o.maxMemoryMb)
        speculative += o.speculative
        speculativeWins += o.speculativeWins
    }
}

/// What a session consumed, for pricing.
public struct Usage: Sendable {
    /// Requests that reached a function (attempts).
    public var requests = 0
    /// Billed milliseconds (1 ms steps).
    public var billedMs = 0.0
    /// Calls made in queue mode (each is a queue publish and a response message).
    public var queueCalls = 0
    /// Bytes of requests and responses, for data transfer.
    public var bytes = 0
    /// Of `requests` and `billedMs`: what speculative duplicates used (said apart in cost snapshots).
    public var speculativeRequests = 0
    public var speculativeBilledMs = 0.0
    public init() {}
}

/// A thread-safe collector of per-function statistics for a session.
public final class SessionStats: Sendable {
    private struct State {
        var byFunction: [String: FunctionStats] = [:]
        var usage = Usage()

        mutating func record(_ outcome: CallOutcome, mode: InvocationMode) {
            // In place: copying FunctionStats out of the dictionary would copy its histograms on every call.
            byFunction[outcome.function, default: FunctionStats()].record(outcome)
            usage.requests += outcome.billedRequests
            usage.billedMs += outcome.billedMs
            usage.bytes += outcome.transferBytes
            usage.speculativeRequests += outcome.speculativeDuplicates
            usage.speculativeBilledMs += outcome.speculativeBilledMs
            if mode == .queue { usage.queueCalls += outcome.billedRequests }
        }
    }
    private let state = Mutex(State())

    public init() {}

    /// One finished call: its outcome and each attempt's measurements.
    public func record(_ outcome: CallOutcome, mode: InvocationMode) {
        state.withLock { $0.record(outcome, mode: mode) }
    }

    /// Several finished calls under one lock.
    public func record(_ outcomes: [CallOutcome], mode: InvocationMode) {
        guard !outcomes.isEmpty else { return }
        state.withLock { s in
            for outcome in outcomes { s.record(outcome, mode: mode) }
        }
    }

    /// Statistics of one function.
    public func function(_ name: String) -> FunctionStats? { state.withLock { $0.byFunction[name] } }

    /// A function's completed calls and the mean and standard deviation of its round trips (ms), read without
    /// copying its histograms.
    public func latencyMoments(_ name: String) -> (completed: Int, mean: Double, stdev: Double) {
        state.withLock { s in
            guard let f = s.byFunction[name] else { return (0, 0, 0) }
            let m = f.latency.moments
            return (f.completed, m.mean, m.stdev)
        }
    }

    /// Names of the functions called so far, sorted.
    public var functionNames: [String] { state.withLock { $0.byFunction.keys.sorted() } }

    /// Statistics of all functions together.
    public var total: FunctionStats {
        state.withLock { s in
            var t = FunctionStats()
            for f in s.byFunction.values { t.merge(f) }
            return t
        }
    }

    public var usage: Usage { state.withLock { $0.usage } }
}

