import FaastCore
import Foundation
import Synchronization
import Testing

@testable import FaastAWS

/// Generator functions on the emulator: the result is the array of yielded values in both modes; queue mode
/// streams each value through the session's queue (python: boto3, as on Lambda; node: the trampoline's own
/// signed SendMessage over node's http), to the emulator's SQS, which the fixture gives the functions as their endpoint.
@Suite("generators on AWS (moto)", .serialized)
struct GeneratorAWSTests {
    final class Collected: Sendable {
        private let items = Mutex<[JSONValue]>([])
        let onEach: @Sendable (JSONValue) -> Void
        init(onEach: @escaping @Sendable (JSONValue) -> Void = { _ in }) { self.onEach = onEach }
        var handler: YieldHandler { { _, _, value in self.items.withLock { $0.append(value) }; self.onEach(value) } }
        var values: [JSONValue] { items.withLock { $0 } }
    }

    func deploy(_ module: String) async throws -> AWSProvider {
        var settings = DeploySettings()
        settings.memoryMb = 256
        settings.timeout = 30
        let provider = try await AWSProviderFactory(environment: Moto.environment())
            .deploy(try resolveModule(Moto.module(module)), settings: settings)
        return provider as! AWSProvider
    }

    @Test("https mode: the array comes with the result; an error keeps the values", arguments: ["generators.js", "generators.py"])
    func https(module: String) async throws {
        let provider = try await deploy(module)
        let invoker = Invoker(provider: provider)
        #expect(provider.functions.first { $0.name == "countdown" }?.isGenerator == true)
        let seen = Collected()
        let outcome = await invoker.call("countdown", args: [3], onYield: seen.handler)
        #expect(outcome.value == [3, 2, 1], "\(outcome.result)")
        #expect(seen.values == [], "https mode does not stream")
        #expect(await invoker.call("asyncCountdown", args: [2]).value == [2, 1])
        let failure = await invoker.call("failAfter", args: [2, "late"])
        #expect(failure.error?.kind == .exception)
        #expect(failure.error?.remote?.properties.first { $0.key == "yielded" }?.value == [0, 1])
        _ = try await provider.cleanup()
    }

    @Test("queue mode streams each value through the queue before the function ends", arguments: ["generators.js", "generators.py"])
    func queueStreams(module: String) async throws {
        let provider = try await deploy(module)
        let invoker = Invoker(provider: provider)
        let queue = CallOptions(mode: .queue)
        let seen = Collected()
        let outcome = await invoker.call("countdown", args: [3], options: queue, onYield: seen.handler)
        #expect(outcome.value == [3, 2, 1], "\(outcome.result)")
        #expect(seen.values == [3, 2, 1])
        // 40 values sent in the background, several at a time: each was sent before the answer, so every one has
        // come (in order) by the time the call returns; a value sent after the answer would be dropped.
        let many = Collected()
        let counted = await invoker.call("countdown", args: [40], options: queue, onYield: many.handler)
        let expected = JSONValue.array((1...40).reversed().map { .int($0) })
        #expect(counted.value == expected, "\(counted.result)")
        #expect(many.values == (1...40).reversed().map { JSONValue.int($0) })
        // The function cannot end before the flag exists, and the flag is made when its first value arrives.
        let flag = NSTemporaryDirectory() + "faast-aws-flag-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: flag) }
        let streamed = Collected { value in
            if value == "first" { _ = FileManager.default.createFile(atPath: flag, contents: Data("go".utf8)) }
        }
        let waited = await invoker.call("waitForFile", args: [.string(flag), 25000], options: queue, onYield: streamed.handler)
        #expect(waited.value == ["first", "second"], "\(waited.result)")
        #expect(streamed.values == ["first", "second"])
        let failure = await invoker.call("failAfter", args: [1, "late"], options: queue)
        #expect(failure.error?.remote?.properties.first { $0.key == "yielded" }?.value == [0])
        // Each streamed value (3 + 40 + 2: failAfter was called with nobody to show its values, so it streamed
        // none) was a SendMessage by the function, which `cost` counts. A value may be taken by another poller
        // just after its call's answer: wait for it (bounded).
        for _ in 0..<100 where provider.queue.requests.yields < 45 { try await Task.sleep(nanoseconds: 100_000_000) }
        #expect(provider.queue.requests.yields == 45)
        let sqs = await provider.costSnapshot(usage: invoker.stats.usage).metrics.first { $0.name == "sqsRequests" }
        #expect(sqs?.note?.contains("45 streamed values sent by functions") == true, "\(String(describing: sqs?.note))")
        _ = try await provider.cleanup()
    }
}
