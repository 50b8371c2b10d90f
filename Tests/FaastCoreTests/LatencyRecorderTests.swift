import Foundation
import Testing
@testable import FaastCore

/// A fixed 64-bit LCG (Knuth's MMIX constants): the same samples on every run and platform.
struct LCG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    /// Uniform in [0, 1).
    mutating func next() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / 9_007_199_254_740_992
    }
    /// A skewed latency-like sample in ms between 0.05 and 5000: most calls fast (median about 3 ms), a long tail
    /// (p90 near 1 s).
    mutating func latencyMs() -> Double {
        0.05 * pow(100_000, pow(next(), 1.5))
    }
}

private func samples(_ n: Int, seed: UInt64) -> [Double] {
    var g = LCG(seed: seed)
    return (0..<n).map { _ in g.latencyMs() }
}

/// Nearest rank: the smallest sample with at least p% of the samples at or below it, i.e.
/// sorted[ceil(p/100·n) - 1] (less a hair, so that 99.9% of 2000 is rank 1998 despite floating point).
private func nearestRank(_ sorted: [Double], _ p: Double) -> Double {
    sorted[Int((p / 100 * Double(sorted.count) - 1e-9).rounded(.up)) - 1]
}

private func relativeDifference(_ a: Double, _ b: Double) -> Double {
    abs(a - b) / max(abs(a), abs(b), .leastNormalMagnitude)
}

private func sampleStdev(_ xs: [Double]) -> Double {
    let mean = xs.reduce(0, +) / Double(xs.count)
    return (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count - 1)).squareRoot()
}

@Suite("Latency recorder")
struct LatencyRecorderTests {
    /// Counts chosen so that p·n/100 is fractional for some percentiles (rounding up matters).
    @Test("percentiles match the exact nearest rank", arguments: [(3001, UInt64(1)), (4237, 7), (1237, 42), (2000, 99)])
    func percentiles(count: Int, seed: UInt64) {
        let xs = samples(count, seed: seed)
        var recorder = LatencyRecorder()
        for x in xs { recorder.record(ms: x) }
        let sorted = xs.sorted()
        #expect(sorted.first! >= 0.05 && sorted.last! <= 5000)

        let summary = recorder.summary
        for (p, reported) in [(50.0, summary.p50), (90.0, summary.p90), (99.0, summary.p99), (75.0, recorder.percentile(75)),
                              (99.9, recorder.percentile(99.9))] {
            let exact = nearestRank(sorted, p)
            #expect(recorder.isEquivalent(exact, reported), "p\(p): exact \(exact), reported \(reported)")
            #expect(relativeDifference(exact, reported) <= 0.001, "p\(p): exact \(exact), reported \(reported)")
        }
        #expect(recorder.percentile(100) == sorted.last!)
        #expect(summary.count == count)
        #expect(recorder.count == count)
        #expect(summary.min == sorted.first!)
        #expect(summary.max == sorted.last!)
        let mean = xs.reduce(0, +) / Double(count)
        #expect(relativeDifference(summary.mean, mean) <= 1e-9)
        #expect(relativeDifference(summary.stdev, sampleStdev(xs)) <= 1e-9)
    }

    @Test func percentilesDistinguishNeighbouringRanks() {
        // 1, 2, ..., 1000 ms: p50 is exactly 500 and p90 exactly 900, at 3 significant digits.
        var recorder = LatencyRecorder()
        for i in (1...1000).reversed() { recorder.record(ms: Double(i)) }
        #expect(recorder.isEquivalent(recorder.percentile(50), 500))
        #expect(!recorder.isEquivalent(recorder.percentile(50), 502))
        #expect(recorder.isEquivalent(recorder.percentile(90), 900))
        #expect(recorder.isEquivalent(recorder.percentile(99), 990))
        #expect(recorder.percentile(100) == 1000)
        #expect(abs(recorder.summary.mean - 500.5) < 1e-9)
    }

    @Test func emptyAndSingleSample() {
        let empty = LatencyRecorder()
        #expect(empty.summary == LatencySummary())
        #expect(empty.percentile(50) == 0)
        #expect(empty.buckets(10).isEmpty)

        var one = LatencyRecorder()
        one.record(ms: 12.5)
        let s = one.summary
        #expect(s.count == 1 && s.mean == 12.5 && s.stdev == 0 && s.min == 12.5 && s.max == 12.5)
        #expect(s.p50 == 12.5 && s.p99 == 12.5)
        #expect(one.buckets(5).map(\.count).reduce(0, +) == 1)
    }

    @Test func negativeSamplesCountAsZero() {
        var r = LatencyRecorder()
        r.record(ms: -3)
        r.record(ms: 1)
        #expect(r.summary.min == 0)
        #expect(r.summary.mean == 0.5)
    }

    @Test func mergeEqualsRecordingEverythingInOne() {
        let a = samples(1500, seed: 3), b = samples(2500, seed: 4)
        var ra = LatencyRecorder(), rb = LatencyRecorder(), all = LatencyRecorder()
        for x in a { ra.record(ms: x); all.record(ms: x) }
        for x in b { rb.record(ms: x); all.record(ms: x) }
        var merged = ra
        merged.merge(rb)
        let m = merged.summary, e = all.summary
        #expect(m.count == 4000 && merged.count == 4000)
        #expect(m.min == e.min && m.max == e.max)
        #expect(m.p50 == e.p50 && m.p90 == e.p90 && m.p99 == e.p99)
        for p in [1.0, 25, 33.3, 66.7, 95, 99.99] { #expect(merged.percentile(p) == all.percentile(p)) }
        #expect(relativeDifference(m.mean, e.mean) <= 1e-9)
        #expect(relativeDifference(m.stdev, e.stdev) <= 1e-9)
        #expect(relativeDifference(m.stdev, sampleStdev(a + b)) <= 1e-9)
        #expect(merged.buckets(12).map(\.count) == all.buckets(12).map(\.count))

        // Merging into an empty recorder, and merging an empty one, change nothing.
        var fromEmpty = LatencyRecorder()
        fromEmpty.merge(ra)
        let f = fromEmpty.summary, s = ra.summary
        #expect(f.count == s.count && f.min == s.min && f.max == s.max && f.p50 == s.p50 && f.p90 == s.p90 && f.p99 == s.p99)
        #expect(relativeDifference(f.mean, s.mean) <= 1e-12 && relativeDifference(f.stdev, s.stdev) <= 1e-12)
        var withEmpty = ra
        withEmpty.merge(LatencyRecorder())
        #expect(withEmpty.summary == ra.summary)
    }

    @Test("bucket counts sum to the count", arguments: [1, 2, 5, 10, 40])
    func buckets(n: Int) {
        let xs = samples(3000, seed: 11)
        var r = LatencyRecorder()
        for x in xs { r.record(ms: x) }
        let buckets = r.buckets(n)
        #expect(buckets.count == n)
        #expect(buckets.map(\.count).reduce(0, +) == 3000)
        #expect(buckets.last?.upperMs == xs.max()!)
        let edges = buckets.map(\.upperMs)
        #expect(edges == edges.sorted())
        // Each bucket holds (to the histogram's resolution) the samples up to its edge.
        var previous = 0.0
        for b in buckets {
            // 0.2% for the histogram's resolution, 1 µs for the rounding of samples to microseconds.
            let exact = xs.filter { $0 > previous * 1.002 + 0.001 && $0 <= b.upperMs * 0.998 - 0.001 }.count
            let loose = xs.filter { $0 > previous * 0.998 - 0.001 && $0 <= b.upperMs * 1.002 + 0.001 }.count
            #expect(b.count >= exact && b.count <= loose, "bucket up to \(b.upperMs): \(b.count) not in \(exact)...\(loose)")
            previous = b.upperMs
        }
    }
}
