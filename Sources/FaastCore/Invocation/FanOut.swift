import Foundation
import Synchronization

/// What the lanes of one fan-out share: the plan, the next index, the rate limiter, the cancel signal,
/// and where outcomes go. Everything here is safe to use from every lane at once; per-call work touches
/// only atomics (the next index) and the lane's own `LaneCalls`.
final class FanOut: Sendable {
    /// How many outcomes a lane collects before it records them in the session's statistics.
    static let statsBatch = 32

    let plan: CallPlan
    let count: Int
    let arguments: @Sendable (Int) -> [JSONValue]
    let keywords: (@Sendable (Int) -> [JSONMember])?
    let limiter: RateLimiter?
    let pipeline: Bool
    let retryPolicy: RetryPolicy
    let retention: ResultRetention
    let progress: BatchProgress?
    let observer: (@Sendable (Int, CallOutcome) -> Void)?
    let stats: SessionStats
    let cancellation = CancelSignal()
    private let newCallId: @Sendable () -> String
    private let nextIndex = Atomic<Int>(0)
    /// Values are kept for the calls below this index; lowered when what is kept reaches its byte budget.
    private let keepBelow: Atomic<Int>
    private let keptBytes = Atomic<Int>(0)

    init(plan: CallPlan, count: Int, arguments: @escaping @Sendable (Int) -> [JSONValue],
         keywords: (@Sendable (Int) -> [JSONMember])? = nil, limiter: RateLimiter?,
         pipeline: Bool, retryPolicy: RetryPolicy, retention: ResultRetention, progress: BatchProgress?,
         observer: (@Sendable (Int, CallOutcome) -> Void)?, stats: SessionStats, newCallId: @escaping @Sendable () -> String) {
        self.plan = plan
        self.count = count
        self.arguments = arguments
        self.keywords = keywords
        self.limiter = limiter
        self.pipeline = pipeline
        self.retryPolicy = retryPolicy
        self.retention = retention
        self.progress = progress
        self.observer = observer
        self.stats = stats
        self.newCallId = newCallId
        keepBelow = Atomic(min(count, retention.maxValues))
    }

    /// The next call of the fan-out, its arguments made now (never ahead: a fan-out's memory does not grow
    /// with calls that have not started); nil when every index is taken.
    func take(now: Double) -> LaneCall? {
        let i = nextIndex.add(1, ordering: .relaxed).oldValue
        guard i < count else { return nil }
        let attempts = CallAttempts(plan: plan, callId: newCallId(), queuedSince: now)
        return LaneCall(request: attempts.request(arguments(i), keywords: keywords?(i) ?? []), index: i, attempts: attempts)
    }

    var hasIndicesLeft: Bool { nextIndex.load(ordering: .relaxed) < count }
    /// How many calls were taken (the others never started).
    var taken: Int { min(count, nextIndex.load(ordering: .relaxed)) }

    func cancel() { cancellation.set() }

    /// Whether the value of call `index` is kept.
    func keeps(_ index: Int) -> Bool { index < keepBelow.load(ordering: .relaxed) }
    var keptCount: Int { keepBelow.load(ordering: .relaxed) }

    /// Adds the bytes of values a lane kept; past the budget, values of calls not yet taken are not kept.
    func addKept(bytes: Int) {
        guard bytes > 0 else { return }
        if keptBytes.add(bytes, ordering: .relaxed).newValue > retention.maxBytes {
            let taken = nextIndex.load(ordering: .relaxed)
            var current = keepBelow.load(ordering: .relaxed)
            while taken < current {
                let (exchanged, original) = keepBelow.compareExchange(expected: current, desired: taken, ordering: .relaxed)
                if exchanged { break }
                current = original
            }
        }
    }
}

/// How many of a fan-out's values faast keeps (for `results` and `$_`): summary statistics always, the values
/// of the first calls up to a count and an estimate of their size in memory.
public struct ResultRetention: Sendable, Hashable {
    public var maxValues: Int
    public var maxBytes: Int
    public init(maxValues: Int = 100_000, maxBytes: Int = 256 << 20) {
        self.maxValues = maxValues
        self.maxBytes = maxBytes
    }
}

/// A flag set once (a cancel), read by many lanes, that also ends their timed waits at once.
final class CancelSignal: Sendable {
    private let flag = Atomic<Bool>(false)
    /// Only the wake-up for waits: the flag is what is read.
    private let condition = NSCondition()

    var isSet: Bool { flag.load(ordering: .acquiring) }

    func set() {
        flag.store(true, ordering: .releasing)
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until `until` (`MonotonicClock.seconds()`) or a cancel, whichever comes first.
    func wait(until: Double) {
        condition.lock()
        defer { condition.unlock() }
        while !isSet {
            let left = until - MonotonicClock.seconds()
            if left <= 0 { return }
            _ = condition.wait(until: Date(timeIntervalSinceNow: left))
        }
    }
}
