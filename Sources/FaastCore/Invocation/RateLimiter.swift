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

    /// Waits for a slot; returns the monotonic time (seconds) the slot was granted for.
    @discardableResult
    public func acquire() async throws -> Double {
        let now = MonotonicClock.seconds()
        let start = tat.withLock { tat -> Double in
            let allowed = max(now, tat - tolerance)
            tat = max(tat, allowed) + interval
            return allowed
        }
        let wait = start - MonotonicClock.seconds()
        if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
        return start
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
