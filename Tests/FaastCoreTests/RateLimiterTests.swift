import Synchronization
import Testing
@testable import FaastCore

/// Hands out 0, 1, 2, ... to concurrent tasks.
private final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func next() -> Int { value.add(1, ordering: .relaxed).oldValue }
}

/// Grants of `total` acquires spread over `tasks` concurrent tasks, sorted.
private func grants(_ limiter: RateLimiter, total: Int, tasks: Int) async throws -> [Double] {
    let next = Counter()
    let times = try await withThrowingTaskGroup(of: [Double].self) { group in
        for _ in 0..<tasks {
            group.addTask {
                var mine: [Double] = []
                while next.next() < total { mine.append(try await limiter.acquire()) }
                return mine
            }
        }
        var all: [Double] = []
        for try await t in group { all += t }
        return all
    }
    return times.sorted()
}

/// The most grants in any half-open window [t, t + length) starting at a grant.
private func maxInWindow(_ sorted: [Double], length: Double) -> Int {
    var best = 0, j = 0
    for i in sorted.indices {
        if j < i { j = i }
        while j < sorted.count, sorted[j] < sorted[i] + length { j += 1 }
        best = max(best, j - i)
    }
    return best
}

@Suite("Rate limiter", .serialized)
struct RateLimiterTests {
    @Test func grantsAreSpacedByTheInterval() async throws {
        let rate = 50.0
        let before = MonotonicClock.seconds()
        let times = try await grants(RateLimiter(rate: rate, burst: 1), total: 60, tasks: 8)
        let after = MonotonicClock.seconds()
        #expect(times.count == 60)
        for (a, b) in zip(times, times.dropFirst()) {
            #expect(b - a >= 1 / rate - 1e-6, "grants \(a) and \(b) are \(b - a) s apart")
        }
        #expect(maxInWindow(times, length: 1) <= 50)
        // Granted times are real clock readings taken during the run.
        #expect(times.first! >= before && times.last! <= after)
    }

    @Test func burstStartsAtOnceThenFollowsTheRate() async throws {
        let rate = 50.0, burst = 5
        let times = try await grants(RateLimiter(rate: rate, burst: burst), total: 70, tasks: 8)
        #expect(times.count == 70)
        // The first `burst` grants are immediate.
        #expect(times[burst - 1] - times[0] < 0.01, "burst took \(times[burst - 1] - times[0]) s")
        // The next has to wait for the rate.
        #expect(times[burst] - times[0] >= 1 / rate - 1e-6)
        // Any one-second window holds at most rate + burst - 1 starts.
        #expect(maxInWindow(times, length: 1) <= Int(rate) + burst - 1)
        // Any burst + 1 consecutive grants span at least one interval (a late grant may let the next catch up,
        // but never beyond the burst).
        for i in 1...(times.count - burst) { #expect(times[i + burst - 1] - times[i - 1] >= 1 / rate - 1e-6) }
    }

    @Test func cancellingAWaitingAcquireThrows() async throws {
        let limiter = RateLimiter(rate: 0.05, burst: 1)
        try await limiter.acquire()
        let start = MonotonicClock.seconds()
        let waiter = Task { try await limiter.acquire() }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        let result = await waiter.result
        #expect(throws: CancellationError.self) { try result.get() }
        // The next slot is 20 s away: ending well before shows the wait was cut short.
        #expect(MonotonicClock.seconds() - start < 10, "cancellation should end the wait at once")
    }

    @Test func acquireInACancelledTaskThrowsEvenWithASlotFree() async {
        let limiter = RateLimiter(rate: 1000, burst: 10)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await limiter.acquire()
        }
        await #expect(throws: CancellationError.self) { try await task.value }
    }
}

@Suite("Retry policy and error kinds")
struct RetryPolicyTests {
    @Test("delays are equal-jittered within [full/2, full]", arguments: [
        (0.05, 5.0), (0.001, 0.01), (1.0, 3.0), (0.2, 0.2),
    ])
    func delays(base: Double, cap: Double) {
        let policy = RetryPolicy(base: base, cap: cap)
        for attempt in 0...6 {
            let full = min(cap, base * Double(1 << attempt))
            var lowest = Double.infinity, highest = 0.0
            for _ in 0..<300 {
                let d = Double(policy.delayNanoseconds(afterAttempt: attempt)) / 1e9
                #expect(d >= full / 2 - 1e-9 && d <= full + 1e-9, "attempt \(attempt): \(d) not in [\(full / 2), \(full)]")
                lowest = min(lowest, d)
                highest = max(highest, d)
            }
            // The jitter is used: 300 uniform draws cover most of the range.
            #expect(lowest < full * 0.6 && highest > full * 0.9, "attempt \(attempt): \(lowest)...\(highest)")
        }
    }

    @Test func defaultPolicyAndHugeAttempts() {
        let policy = RetryPolicy()
        #expect(policy.base == 0.05 && policy.cap == 5)
        for attempt in [10, 20, 62, 63, 1000, Int.max] {
            let d = Double(policy.delayNanoseconds(afterAttempt: attempt)) / 1e9
            #expect(d >= 2.5 - 1e-9 && d <= 5 + 1e-9)
        }
    }

    @Test("only throttling and attempts marked as not started are retried; lost workers and transport may have run",
          arguments: FaastError.Kind.allCases)
    func retryable(kind: FaastError.Kind) {
        let plain = FaastError(kind, "x")
        #expect(plain.attemptDidNotStart == (kind == .throttled))
        #expect(plain.mayHaveRun == (kind == .workerExited || kind == .transport || kind == .mayHaveRun))
        let unsent = FaastError(kind, "x", notStarted: true)
        // A cancelled call is never run again, whether it had started or not.
        #expect(unsent.attemptDidNotStart == (kind != .cancelled))
        #expect(!unsent.mayHaveRun)
    }

    @Test func unknownErrorsAreNeverRetried() {
        struct Odd: Error {}
        let mapped = FaastError.mapping(Odd())
        #expect(mapped.kind == .provider && !mapped.attemptDidNotStart && !mapped.mayHaveRun)
        #expect(FaastError.mapping(CancellationError()).kind == .cancelled)
        let own = FaastError(.throttled, "slow down", notStarted: true)
        #expect(FaastError.mapping(own) == own)
    }

    @Test("runtime error kinds", arguments: [
        ("serialization", FaastError.Kind.serialization, "no JSON form"), ("outOfMemory", .outOfMemory, "no JSON form"),
        ("notFound", .notFound, "no JSON form"), ("protocol", .transport, "no JSON form"),
        (nil, .exception, "RangeError: no JSON form"), ("timeout", .exception, "RangeError: no JSON form"),
    ] as [(String?, FaastError.Kind, String)])
    func fromRuntime(_ kind: String?, _ expected: FaastError.Kind, _ message: String) {
        let remote = RemoteError(name: "RangeError", message: "no JSON form", properties: [JSONMember("code", 7)])
        let timing = RemoteTiming(start: 1, end: 2)
        let error = FaastError.fromRuntime(remote, kind: kind, timing: timing, logLocation: "file:///tmp/log")
        #expect(error.kind == expected)
        #expect(error.message == message)
        #expect(error.remote == remote)
        #expect(error.timing == timing)
        #expect(error.logLocation == "file:///tmp/log")
        #expect(error.notStarted == (kind == "protocol"), "a request the runtime could not read never ran")
    }

    @Test func kindNamesAreStable() {
        #expect(FaastError.Kind.allCases.map(\.rawValue) == [
            "exception", "timeout", "outOfMemory", "workerExited", "serialization", "cancelled", "throttled",
            "transport", "mayHaveRun", "deployFailed", "notFound", "invalidArgument", "provider",
        ])
        #expect(FaastError(.timeout, "f ran past 3 s").description == "timeout: f ran past 3 s")
    }
}
