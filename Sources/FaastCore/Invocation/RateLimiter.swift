import Synchronization

/// A token bucket (as a generic cell rate algorithm): at most `burst` calls at once, then one every
/// `1/rate` seconds, so any one-second window holds at most `rate + burst - 1` starts.
public final class RateLimiter: Sendable {
    private let interval: Double
    private let tolerance: Double
    /// Theoretical arrival time of the next call, seconds on the monotonic clock.
    private let tat = Mutex(0.0)

    public init(rate: Double, burst: Int = 1) {
        precondition(rate > 0)
        interval = 1 / rate
        tolerance = Double(max(1, burst) - 1) / rate
    }

    /// 0 when a slot is granted now (and takes it), else how long until one may be. Lanes wait out the rest
    /// on their own clock (a thread on the fan-out's cancel signal, a task in a sleep).
    func tatWait(_ now: Double) -> Double {
        tat.withLock { tat -> Double in
            let allowed = tat - tolerance
            if allowed <= now {
                tat = max(tat, now) + interval
                return 0
            }
            return allowed - now
        }
    }

    /// Waits for a slot; returns the monotonic time (seconds) it was granted at.
    ///
    /// Slots are granted against the clock when a caller is actually ready, never reserved ahead: a waiter
    /// that wakes late cannot bunch up with the next one, so the spacing holds between real starts.
    @discardableResult
    public func acquire() async throws -> Double {
        while true {
            try Task.checkCancellation()
            let now = MonotonicClock.seconds()
            let wait = tatWait(now)
            if wait == 0 { return now }
            try await Task.sleep(nanoseconds: UInt64(wait * 1e9) + 1)
        }
    }
}

/// The monotonic clock, as numbers that are cheap to subtract.
public enum MonotonicClock {
    public static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
    public static func seconds() -> Double { Double(nanoseconds()) / 1e9 }
    /// Wall-clock milliseconds since the epoch (to compare with a function's own timestamps).
    public static func epochMs() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
