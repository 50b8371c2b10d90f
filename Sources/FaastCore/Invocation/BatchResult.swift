import Synchronization

/// What one lane of a fan-out collected (merged into a `BatchResult` at the end): counts and latencies of
/// every call, values only for the calls the fan-out keeps.
struct LaneTally: Sendable {
    /// At most this many distinct failure messages are grouped per lane; further ones are only counted.
    static let maxGroups = 1000

    var indices: [Int] = []
    var results: [Result<JSONValue, FaastError>] = []
    var ok = 0
    var failed = 0
    var cancelled = 0
    /// Cancelled calls whose attempt had started (or may have): stopped locally, abandoned on Lambda.
    var cancelledRunning = 0
    var groups: [String: FailureGroup] = [:]
    var ungrouped = 0
    /// Round trips of warm calls; cold starts' are in `coldMs` (few: at most one per worker or instance, and
    /// a list costs less than another histogram per lane).
    var latency = LatencyRecorder()
    var coldMs: [Double] = []
    var retries = 0
    var reruns = 0
    var last: CallOutcome?
    var usage = Usage()
    var speculativeWins = 0
    /// Bytes of kept values not yet added to the fan-out's total.
    private var newBytes = 0

    mutating func add(index: Int, _ outcome: CallOutcome, fanOut: FanOut) {
        if fanOut.keeps(index) {
            indices.append(index)
            results.append(outcome.result)
            if case .success(let value) = outcome.result {
                newBytes += value.footprint
                if newBytes > 1 << 20 { flushBytes(fanOut) }
            }
        }
        switch outcome.result {
        case .success: ok += 1
        case .failure(let e) where e.kind == .cancelled:
            cancelled += 1
            if !e.notStarted { cancelledRunning += 1 }
        case .failure(let e):
            failed += 1
            let key = "\(e.kind.rawValue)\u{0}\(e.message)"
            if var g = groups[key] {
                g.count += 1
                groups[key] = g
            } else if groups.count < Self.maxGroups {
                groups[key] = FailureGroup(kind: e.kind, message: e.message, count: 1, firstIndex: index, example: e)
            } else {
                ungrouped += 1
            }
        }
        if outcome.attempts > 0 {
            if outcome.coldStart { coldMs.append(outcome.latencyMs) } else { latency.record(ms: outcome.latencyMs) }
        }
        retries += outcome.retries
        reruns += outcome.reruns
        usage.requests += outcome.billedRequests
        usage.billedMs += outcome.billedMs
        usage.bytes += outcome.transferBytes
        usage.speculativeRequests += outcome.speculativeDuplicates
        usage.speculativeBilledMs += outcome.speculativeBilledMs
        speculativeWins += outcome.speculativeWins
        last = outcome
    }

    mutating func flushBytes(_ fanOut: FanOut) {
        fanOut.addKept(bytes: newBytes)
        newBytes = 0
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
///
/// Counts, latencies, usage and failure groups cover every call. Values are kept for the first calls only
/// (`results`, see `ResultRetention`): a fan-out of millions keeps its summary, not millions of values.
public struct BatchResult: Sendable {
    public var function: String
    public var mode: InvocationMode
    public var count: Int
    /// The results of calls 0..<results.count, by index: every call's when `droppedResults` is 0, else
    /// those of the first calls (see `ResultRetention`).
    public var results: [Result<JSONValue, FaastError>]
    public var ok: Int
    public var failed: Int
    /// Calls cancelled, whether they had started or not.
    public var cancelled: Int
    /// Of `cancelled`, the calls whose attempt had started or may have (its request was sent): a local worker
    /// stopped them part-way; on Lambda they may still run to the end.
    public var cancelledWhileRunning: Int
    /// Automatic retries of attempts that provably did not start, over all calls.
    public var retries: Int
    /// Re-runs of attempts that may have run (`rerun=N`), over all calls.
    public var reruns: Int
    public var elapsedSeconds: Double
    /// Round trips of every call that started.
    public var latency: LatencySummary
    public var latencyRecorder: LatencyRecorder
    /// Calls that were cold starts (see `RemoteTiming.coldStart`), and their round trips apart from the warm calls'.
    public var coldStarts: Int { coldLatency.count }
    public var coldLatency: LatencySummary
    public var warmLatency: LatencySummary
    /// Failures by kind and message, most frequent first (at most 1,000 messages per lane are told apart;
    /// `ungroupedFailures` counts the rest).
    public var failureGroups: [FailureGroup]
    public var ungroupedFailures: Int
    /// The full outcome of the call that finished last (the only one, for a single call).
    public var lastOutcome: CallOutcome?
    /// What this batch consumed, for its cost.
    public var usage = Usage()
    /// Speculative duplicates started (`speculative=K`), and how many of them answered first.
    public var speculative: Int { usage.speculativeRequests }
    public var speculativeWins = 0

    /// Calls whose results were not kept (counted in the totals all the same).
    public var droppedResults: Int { count - results.count }

    init(function: String, mode: InvocationMode, count: Int, kept: Int, lanes: [LaneTally], elapsedSeconds: Double) {
        self.function = function
        self.mode = mode
        self.count = count
        self.elapsedSeconds = elapsedSeconds
        let notStarted = FaastError(.cancelled, "\(function) was cancelled before it started", notStarted: true)
        var results = [Result<JSONValue, FaastError>](repeating: .failure(notStarted), count: min(kept, count))
        var recorder = LatencyRecorder()
        var cold = LatencyRecorder()
        var (ok, failed, cancelled, retries, reruns, ungrouped) = (0, 0, 0, 0, 0, 0)
        var cancelledRunning = 0
        var groups: [String: FailureGroup] = [:]
        for lane in lanes {
            for (i, r) in zip(lane.indices, lane.results) where i < results.count { results[i] = r }
            recorder.merge(lane.latency)
            for ms in lane.coldMs { cold.record(ms: ms) }
            ok += lane.ok
            failed += lane.failed
            cancelled += lane.cancelled
            cancelledRunning += lane.cancelledRunning
            retries += lane.retries
            reruns += lane.reruns
            ungrouped += lane.ungrouped
            usage.requests += lane.usage.requests
            usage.billedMs += lane.usage.billedMs
            usage.bytes += lane.usage.bytes
            usage.speculativeRequests += lane.usage.speculativeRequests
            usage.speculativeBilledMs += lane.usage.speculativeBilledMs
            speculativeWins += lane.speculativeWins
            for (key, g) in lane.groups {
                if var known = groups[key] {
                    known.count += g.count
                    if g.firstIndex < known.firstIndex { (known.firstIndex, known.example) = (g.firstIndex, g.example) }
                    groups[key] = known
                } else {
                    groups[key] = g
                }
            }
            // Lanes arrive in the order they finished: the last one holds the call that finished last.
            if let last = lane.last { lastOutcome = last }
        }
        // Calls never taken (a cancelled fan-out) never started.
        cancelled += count - (ok + failed + cancelled)
        if mode == .queue { usage.queueCalls = usage.requests }
        self.results = results
        self.ok = ok
        self.failed = failed
        self.cancelled = cancelled
        self.cancelledWhileRunning = cancelledRunning
        self.retries = retries
        self.reruns = reruns
        self.ungroupedFailures = ungrouped
        self.warmLatency = recorder.summary
        self.coldLatency = cold.summary
        recorder.merge(cold)
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
    private let rerunCount = Atomic<Int>(0)
    private let startNs = Atomic<UInt64>(0)

    public init() {}

    func start(total: Int) {
        totalCount.store(total, ordering: .relaxed)
        startNs.store(MonotonicClock.nanoseconds(), ordering: .relaxed)
    }

    func finished(failed: Bool, retries: Int, reruns: Int) {
        doneCount.add(1, ordering: .relaxed)
        if failed { failedCount.add(1, ordering: .relaxed) }
        if retries > 0 { retryCount.add(retries, ordering: .relaxed) }
        if reruns > 0 { rerunCount.add(reruns, ordering: .relaxed) }
    }

    /// Calls of a cancelled fan-out that were never taken.
    func neverStarted(_ n: Int) {
        if n > 0 { doneCount.add(n, ordering: .relaxed) }
    }

    public var total: Int { totalCount.load(ordering: .relaxed) }
    public var done: Int { doneCount.load(ordering: .relaxed) }
    public var failed: Int { failedCount.load(ordering: .relaxed) }
    public var retries: Int { retryCount.load(ordering: .relaxed) }
    public var reruns: Int { rerunCount.load(ordering: .relaxed) }
    /// Seconds since the batch started.
    public var elapsed: Double {
        let s = startNs.load(ordering: .relaxed)
        return s == 0 ? 0 : Double(MonotonicClock.nanoseconds() - s) / 1e9
    }
}

extension JSONValue {
    /// Roughly the bytes the value holds in memory, to bound what a fan-out keeps. Iterative: a deeply
    /// nested value cannot exhaust the stack here.
    var footprint: Int {
        var total = 0
        var stack: [JSONValue] = [self]
        while let v = stack.popLast() {
            total += 24
            switch v {
            case .null, .bool: break
            case .number(let s), .string(let s): total += s.utf8.count > 15 ? s.utf8.count : 0
            case .array(let a): stack.append(contentsOf: a)
            case .object(let members):
                for m in members {
                    total += m.key.utf8.count > 15 ? 24 + m.key.utf8.count : 24
                    stack.append(m.value)
                }
            }
        }
        return total
    }
}
