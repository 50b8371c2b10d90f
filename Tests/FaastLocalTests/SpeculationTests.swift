import FaastCore
import FaastLocal
import Foundation
import Testing

/// Speculative retries (`speculative=K`) against real workers: a straggler gets a duplicate that answers
/// first, the straggler's worker is killed, and both are counted and billed.
@Suite("speculative retries on real workers")
struct SpeculationTests {
    @Test("a straggler in a fan-out is rescued by its duplicate, which is counted")
    func straggler() async throws {
        // The slow attempt would outlast the timeout: the fan-out succeeds only if the duplicate wins.
        let provider = try await Fixtures.deploy("straggler.js") { $0.timeout = 30 }
        let invoker = Invoker(provider: provider)
        let marker = NSTemporaryDirectory() + "faast-straggler-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let batch = await invoker.fanOut("work", count: 40, options: CallOptions(concurrency: 4, speculative: 3)) { i in
            [.int(i), 25, .string(marker), 60_000]
        }
        #expect(FileManager.default.fileExists(atPath: marker), "the slow attempt ran")
        #expect(batch.ok == 40, "\(batch.failureGroups.map(\.message))")
        #expect(batch.results.enumerated().allSatisfy { (try? $0.element.get()) == .int($0.offset) })
        #expect(batch.speculative >= 1)
        #expect(batch.speculativeWins >= 1)
        let stats = try #require(invoker.stats.function("work"))
        #expect(stats.speculative == batch.speculative)
        #expect(stats.speculativeWins == batch.speculativeWins)
        #expect(stats.invocations == 40, "a duplicate is not a call of its own")
        // Both attempts are billed: one request per call, plus one per duplicate.
        #expect(batch.usage.requests == 40 + batch.speculative)
        #expect(batch.usage.speculativeRequests == batch.speculative)
        #expect(batch.usage.speculativeBilledMs >= 1)
        // The losing attempt's worker was killed, and its log says so.
        let logs = try FileManager.default.contentsOfDirectory(atPath: provider.session.logDirectory)
        let text = logs.map { (try? String(contentsOfFile: provider.session.logDirectory + "/" + $0, encoding: .utf8)) ?? "" }.joined()
        #expect(text.contains("ABORTED work"))
        _ = try await provider.cleanup()
    }

    @Test("no duplicate before the function has 10 completed calls")
    func needsHistory() async throws {
        let provider = try await Fixtures.deploy("straggler.js") { $0.timeout = 1 }
        let invoker = Invoker(provider: provider)
        let marker = NSTemporaryDirectory() + "faast-straggler-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let outcome = await invoker.call("work", args: [0, 0, .string(marker), 5000], options: CallOptions(speculative: 0))
        #expect(outcome.error?.kind == .timeout)
        #expect(outcome.speculativeDuplicates == 0)
        #expect(invoker.stats.function("work")?.speculative == 0)
        _ = try await provider.cleanup()
    }

    @Test("the threshold: mean + K·stdev, at least 100 ms, only after 10 completed calls")
    func threshold() {
        #expect(Invoker.speculationThresholdMs(completed: 9, mean: 500, stdev: 10, k: 3) == nil)
        #expect(Invoker.speculationThresholdMs(completed: 10, mean: 500, stdev: 10, k: 3) == 530)
        #expect(Invoker.speculationThresholdMs(completed: 50, mean: 5, stdev: 1, k: 3) == 100)
    }
}
