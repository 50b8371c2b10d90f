import Histogram

/// Latency samples of one measure (e.g. a function's round trip): exact count, mean, stdev, min and max,
/// and percentiles from an HDR histogram (3 significant digits, constant memory whatever the count).
public struct LatencyRecorder: Sendable {
    private var histogram = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    public private(set) var count = 0
    private var mean = 0.0
    private var m2 = 0.0
    private var minimum = Double.infinity
    private var maximum = -Double.infinity

    public init() {}

    /// Records one sample in milliseconds.
    public mutating func record(ms: Double) {
        let value = max(0, ms)
        count += 1
        let delta = value - mean
        mean += delta / Double(count)
        m2 += delta * (value - mean)
        minimum = min(minimum, value)
        maximum = max(maximum, value)
        // Microseconds, at least 1: the histogram's resolution is 0.1% of a value.
        _ = histogram.record(UInt64(min(3_600_000_000, max(1, (value * 1000).rounded()))))
    }

    /// Adds another recorder's samples to this one.
    public mutating func merge(_ other: LatencyRecorder) {
        guard other.count > 0 else { return }
        let total = count + other.count
        let delta = other.mean - mean
        let newMean = mean + delta * Double(other.count) / Double(total)
        m2 += other.m2 + delta * delta * Double(count) * Double(other.count) / Double(total)
        mean = newMean
        count = total
        minimum = min(minimum, other.minimum)
        maximum = max(maximum, other.maximum)
        histogram.add(other.histogram)
    }

    /// The value at `percentile` (0–100) in ms: nearest rank, at the histogram's resolution.
    public func percentile(_ percentile: Double) -> Double {
        guard count > 0 else { return 0 }
        if percentile >= 100 { return maximum }
        return min(maximum, Double(histogram.valueAtPercentile(percentile)) / 1000)
    }

    /// Whether two millisecond values fall in the same histogram bucket (for checking percentiles).
    public func isEquivalent(_ a: Double, _ b: Double) -> Bool {
        histogram.valuesAreEquivalent(UInt64((a * 1000).rounded()), UInt64((b * 1000).rounded()))
    }

    /// Mean and sample standard deviation in ms, without the percentiles (cheap: no histogram walk).
    public var moments: (mean: Double, stdev: Double) {
        (count > 0 ? mean : 0, count > 1 ? (m2 / Double(count - 1)).squareRoot() : 0)
    }

    public var summary: LatencySummary {
        guard count > 0 else { return LatencySummary() }
        return LatencySummary(
            count: count, mean: mean, stdev: count > 1 ? (m2 / Double(count - 1)).squareRoot() : 0,
            min: minimum, max: maximum, p50: percentile(50), p90: percentile(90), p99: percentile(99))
    }

    /// Counts per bucket for a small text histogram: `buckets` log-spaced ranges from min to max.
    public func buckets(_ buckets: Int) -> [(upperMs: Double, count: Int)] {
        guard count > 0, buckets > 0 else { return [] }
        if maximum - minimum < 0.001 { return [(maximum, count)] }
        let lo = max(0.001, minimum), hi = max(lo * 1.0001, maximum)
        let ratio = pow(hi / lo, 1 / Double(buckets))
        var edges: [Double] = []
        var e = lo
        for _ in 0..<buckets {
            e *= ratio
            edges.append(e)
        }
        edges[edges.count - 1] = hi
        var counts = [Int](repeating: 0, count: buckets)
        for v in histogram.recordedValues() {
            let ms = Double(v.value) / 1000
            let i = edges.firstIndex(where: { ms <= $0 * 1.0005 }) ?? buckets - 1
            counts[i] += Int(v.count)
        }
        return zip(edges, counts).map { ($0, $1) }
    }
}

/// Summary statistics of a measure, in milliseconds.
public struct LatencySummary: Sendable, Hashable {
    public var count = 0
    public var mean = 0.0
    public var stdev = 0.0
    public var min = 0.0
    public var max = 0.0
    public var p50 = 0.0
    public var p90 = 0.0
    public var p99 = 0.0
    public init() {}
    public init(count: Int, mean: Double, stdev: Double, min: Double, max: Double, p50: Double, p90: Double, p99: Double) {
        (self.count, self.mean, self.stdev, self.min, self.max) = (count, mean, stdev, min, max)
        (self.p50, self.p90, self.p99) = (p50, p90, p99)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
