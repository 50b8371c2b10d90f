import FaastCore
import FaastLocal
import Foundation
import Synchronization
import Testing

/// Collects outcomes as they finish (fan-out observer).
final class OutcomeLog: Sendable {
    private let entries = Mutex<[(Int, CallOutcome)]>([])
    func add(_ i: Int, _ o: CallOutcome) { entries.withLock { $0.append((i, o)) } }
    var all: [(Int, CallOutcome)] { entries.withLock { $0 } }
}

@Suite("limits, cancellation and the process table")
struct LimitTests {
    static let spanModule = """
        exports.span = async function span(ms) {
          const start = Date.now();
          await new Promise((r) => setTimeout(r, ms));
          return [start, Date.now(), process.pid];
        };
        """

    @Test("concurrency is held exactly under 200 concurrent slow calls")
    func concurrencyExact() async throws {
        let path = Fixtures.writeModule("span.js", Self.spanModule)
        let provider = try await LocalProviderFactory(stateDirectory: Fixtures.stateDirectory())
            .deploy(try resolveModule(path), settings: { var s = DeploySettings(); s.concurrency = 10; return s }())
        let invoker = Invoker(provider: provider)
        let batch = await invoker.fanOut("span", count: 200) { _ in [100] }
        #expect(batch.ok == 200)
        var events: [(Double, Int)] = []
        var pids = Set<Int>()
        for r in batch.results {
            let v = try #require(try? r.get().arrayValue)
            events.append((v[0].doubleValue!, 1))
            events.append((v[1].doubleValue!, -1))
            pids.insert(v[2].intValue!)
        }
        // Ends sort before starts at the same millisecond: a call that ended is no longer in flight.
        events.sort { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
        var inFlight = 0, peak = 0
        for e in events {
            inFlight += e.1
            peak = max(peak, inFlight)
        }
        #expect(peak == 10)
        #expect(pids.count == 10, "ten warm workers served all calls")
        _ = try await provider.cleanup()
    }

    @Test("unlimited concurrency (0) runs every call at once")
    func unlimited() async throws {
        let path = Fixtures.writeModule("span.js", Self.spanModule)
        let provider = try await LocalProviderFactory(stateDirectory: Fixtures.stateDirectory())
            .deploy(try resolveModule(path), settings: DeploySettings())
        let batch = await Invoker(provider: provider).fanOut("span", count: 24, options: CallOptions(concurrency: 0)) { _ in [2000] }
        let pids = Set(batch.results.compactMap { try? $0.get().arrayValue?[2] })
        #expect(pids.count == 24)
        _ = try await provider.cleanup()
    }

    @Test("rate is held over every one-second window")
    func rateLimit() async throws {
        let provider = try await Fixtures.deploy("sample.js")
        let invoker = Invoker(provider: provider)
        let log = OutcomeLog()
        let rate = 20.0
        let batch = await invoker.fanOut("noop", count: 50, options: CallOptions(rate: rate), observer: log.add) { [.int($0)] }
        #expect(batch.ok == 50)
        let starts = log.all.map(\.1.dispatchedAt).sorted()
        var worst = 0
        for (i, t) in starts.enumerated() {
            let inWindow = starts[i...].prefix { $0 < t + 1 }.count
            worst = max(worst, inWindow)
        }
        // Burst 1: one call per 1/rate s; one more may fall in a window when a wake-up runs late.
        #expect(worst <= Int(rate) + 1, "\(worst) calls started within one second")
        #expect(starts.last! - starts.first! >= 49 / rate * 0.98)
        _ = try await provider.cleanup()
    }

    @Test("cancelling a fan-out stops queued calls, kills the calls in flight, and the session stays usable")
    func cancellation() async throws {
        let provider = try await Fixtures.deploy("sample.py") { $0.concurrency = 5 }
        let invoker = Invoker(provider: provider)
        // Warm workers first, so that the calls below are in flight when the cancel comes.
        _ = await invoker.fanOut("sleep", count: 5) { _ in [300] }
        let started = MonotonicClock.seconds()
        let task = Task { await invoker.fanOut("sleep", count: 50) { _ in [10_000] } }
        try await Task.sleep(nanoseconds: 500_000_000)
        // Each of the five lanes holds a worker: every worker of the session is running a call now.
        let warm = provider.workerPids
        #expect(!warm.isEmpty && warm.count <= 5)
        task.cancel()
        let batch = await task.value
        // The calls sleep 10 s: ending well before shows they were killed, not awaited.
        #expect(MonotonicClock.seconds() - started < 8)
        #expect(batch.cancelled == 50)
        #expect(batch.ok == 0)
        try await Task.sleep(nanoseconds: 300_000_000)
        for pid in warm { #expect(!processIsRunning(pid), "worker \(pid) was killed") }
        #expect(await invoker.call("hello", args: ["after"]).value == "hello after!")
        _ = try await provider.cleanup()
    }

    @Test("cleanup stops every worker and keeps only the logs")
    func cleanupLeavesNoProcesses() async throws {
        let provider = try await Fixtures.deploy("sample.js") { $0.concurrency = 4 }
        let invoker = Invoker(provider: provider)
        // Four calls of 3 s on four lanes: a lane could take a second call only after its first ended, and by
        // then every lane has taken one.
        _ = await invoker.fanOut("sleep", count: 4) { _ in [3000] }
        let pids = provider.workerPids
        #expect(pids.count == 4)
        let report = try await provider.cleanup()
        #expect(report.first == "stopped 4 workers")
        for pid in pids { #expect(!processIsRunning(pid)) }
        let left = try FileManager.default.contentsOfDirectory(atPath: provider.session.path).sorted()
        #expect(left == ["logs", "session.json"])
        // Idempotent.
        _ = try await provider.cleanup()
    }
}
