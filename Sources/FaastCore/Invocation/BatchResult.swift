import Synchronization

/// What one lane of a fan-out collected (merged into a `BatchResult` at the end).
struct LaneResult: Sendable {
    var indices: [Int] = []
    var results: [Result<JSONValue, FaastError>] = []
    var latency = LatencyRecorder()
    var retries = 0
    var last: CallOutcome?
    var usage = Usage()

    mutating func add(index: Int, _ outcome: CallOutcome) {
        indices.append(index)
        results.append(outcome.result)
        if outcome.attempts > 0 { latency.record(ms: outcome.latencyMs) }
        retries += max(0, outcome.attempts - 1)
        usage.requests += outcome.billedRequests
        usage.billedMs += outcome.billedMs
        usage.bytes += outcome.transferBytes
        last = outcome
    }
}

/// Failures of a fan-out that share a message: how many, and the first one.
public struct FailureGroup: Sendable {
    public var kind: FaastError.Kind
    public var message: String
    public var count: Int
    /// Index of the first call that failed this way.
    public var firstIndex: Int
    public var example: FaastError
}

/// The outcome of a fan-out (or of a single call, a fan-out of one).
public struct BatchResult: Sendable {
    public var function: String
    public var mode: InvocationMode
    public var count: Int
    /// Each call's result, by index.
    public var results: [Result<JSONValue, FaastError>]
    public var ok: Int
    public var failed: Int
    public var cancelled: Int
    /// Attempts beyond the first, over all calls.
    public var retries: Int
    public var elapsedSeconds: Double
    public var latency: LatencySummary
    public var latencyRecorder: LatencyRecorder
    public var failureGroups: [FailureGroup]
    /// The full outcome of the call that finished last (the only one, for a single call).
    public var lastOutcome: CallOutcome?
    /// What this batch consumed, for its cost.
    public var usage = Usage()

    init(function: String, mode: InvocationMode, count: Int, lanes: [LaneResult], elapsedSeconds: Double) {
        self.function = function
        self.mode = mode
        self.count = count
        self.elapsedSeconds = elapsedSeconds
        var results = [Result<JSONValue, FaastError>](repeating: .success(.null), count: count)
        var recorder = LatencyRecorder()
        var retries = 0
        for lane in lanes {
            for (i, r) in zip(lane.indices, lane.results) { results[i] = r }
            recorder.merge(lane.latency)
            retries += lane.retries
            usage.requests += lane.usage.requests
            usage.billedMs += lane.usage.billedMs
            usage.bytes += lane.usage.bytes
            // Lanes arrive in the order they finished: the last one holds the call that finished last.
            if let last = lane.last { lastOutcome = last }
        }
        var ok = 0, failed = 0, cancelled = 0
        var groups: [String: FailureGroup] = [:]
        for (i, r) in results.enumerated() {
            switch r {
            case .success: ok += 1
            case .failure(let e):
                if e.kind == .cancelled { cancelled += 1; continue }
                failed += 1
                let key = "\(e.kind.rawValue)\u{0}\(e.message)"
                if var g = groups[key] {
                    g.count += 1
                    groups[key] = g
                } else {
                    groups[key] = FailureGroup(kind: e.kind, message: e.message, count: 1, firstIndex: i, example: e)
                }
            }
        }
        if mode == .queue { usage.queueCalls = usage.requests }
        self.results = results
        self.ok = ok
        self.failed = failed
        self.cancelled = cancelled
        self.retries = retries
        self.latencyRecorder = recorder
        self.latency = recorder.summary
        self.failureGroups = groups.values.sorted { ($0.count, -$0.firstIndex) > ($1.count, -$1.firstIndex) }
    }

    /// Completed calls per second over the batch's wall time.
    public var callsPerSecond: Double {
        elapsedSeconds > 0 ? Double(ok + failed) / elapsedSeconds : 0
    }
}

/// Live counters of a running fan-out, read by a progress display from another thread.
public final class BatchProgress: Sendable {
    private let totalCount = Atomic<Int>(0)
    private let doneCount = Atomic<Int>(0)
    private let failedCount = Atomic<Int>(0)
    private let retryCount = Atomic<Int>(0)
    private let startNs = Atomic<UInt64>(0)

    public init() {}

    func start(total: Int) {
        totalCount.store(total, ordering: .relaxed)
        startNs.store(MonotonicClock.nanoseconds(), ordering: .relaxed)
    }

    func finished(failed: Bool, retries: Int) {
        doneCount.add(1, ordering: .relaxed)
        if failed { failedCount.add(1, ordering: .relaxed) }
        if retries > 0 { retryCount.add(retries, ordering: .relaxed) }
    }

    public var total: Int { totalCount.load(ordering: .relaxed) }
    public var done: Int { doneCount.load(ordering: .relaxed) }
    public var failed: Int { failedCount.load(ordering: .relaxed) }
    public var retries: Int { retryCount.load(ordering: .relaxed) }
    /// Seconds since the batch started.
    public var elapsed: Double {
        let s = startNs.load(ordering: .relaxed)
        return s == 0 ? 0 : Double(MonotonicClock.nanoseconds() - s) / 1e9
    }
}
