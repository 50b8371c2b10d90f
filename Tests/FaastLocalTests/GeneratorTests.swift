import FaastCore
import FaastLocal
import Foundation
import Synchronization
import Testing

/// Collects what a generator call streams: (attempt, seq, value) in arrival order.
final class YieldLog: Sendable {
    private let entries = Mutex<[(Int, Int, JSONValue)]>([])
    /// Runs for each value as it arrives, on the provider's thread.
    let onEach: @Sendable (JSONValue) -> Void

    init(onEach: @escaping @Sendable (JSONValue) -> Void = { _ in }) { self.onEach = onEach }

    var handler: YieldHandler {
        { attempt, seq, value in
            self.entries.withLock { $0.append((attempt, seq, value)) }
            self.onEach(value)
        }
    }
    var values: [JSONValue] { entries.withLock { $0.map(\.2) } }
    var positions: [[Int]] { entries.withLock { $0.map { [$0.0, $0.1] } } }
}

@Suite("generator functions on real workers")
struct GeneratorTests {
    static let modules = ["generators.js", "generators.py"]

    @Test("describe marks generator functions", arguments: modules)
    func describes(module: String) async throws {
        let provider = try await Fixtures.deploy(module)
        #expect(provider.functions.first { $0.name == "countdown" }?.isGenerator == true)
        #expect(provider.functions.first { $0.name == "asyncCountdown" }?.isGenerator == true)
        #expect(provider.functions.first { $0.name == "plain" }?.isGenerator == false)
        _ = try await provider.cleanup()
    }

    @Test("values stream in order and the result is their array", arguments: modules)
    func streams(module: String) async throws {
        let provider = try await Fixtures.deploy(module)
        let invoker = Invoker(provider: provider)
        for name in ["countdown", "asyncCountdown"] {
            let log = YieldLog()
            let outcome = await invoker.call(name, args: [3], onYield: log.handler)
            #expect(outcome.value == [3, 2, 1], "\(name): \(outcome.result)")
            #expect(log.values == [3, 2, 1])
            #expect(log.positions == [[0, 0], [0, 1], [0, 2]])
        }
        // Without a handler nothing streams, and the result is the same.
        #expect(await invoker.call("countdown", args: [2]).value == [2, 1])
        let exact = await invoker.call("values", args: [], onYield: YieldLog().handler)
        #expect(exact.value == ["你好 👋🏽", .number("12345678901234567890123"), .tagged("bytes", [JSONMember("base64", "aGk=")]),
                               ["nested": [1, nil, true]], nil])
        _ = try await provider.cleanup()
    }

    @Test("the first value arrives while the function still runs", arguments: modules)
    func firstValueBeforeTheEnd(module: String) async throws {
        // waitForFile cannot yield its second value (nor end) before the flag file exists, and the flag is made
        // by the handler of the first value: the call succeeds only if that value streamed.
        let provider = try await Fixtures.deploy(module)
        let invoker = Invoker(provider: provider)
        for name in ["waitForFile", "asyncWaitForFile"] {
            let flag = NSTemporaryDirectory() + "faast-flag-\(UUID().uuidString)"
            let log = YieldLog { value in
                if value == "first" { _ = FileManager.default.createFile(atPath: flag, contents: Data("go".utf8)) }
            }
            let outcome = await invoker.call(name, args: [.string(flag), 20000], onYield: log.handler)
            #expect(outcome.value == ["first", "second"], "\(name): \(outcome.result)")
            #expect(log.values == ["first", "second"])
            try? FileManager.default.removeItem(atPath: flag)
        }
        _ = try await provider.cleanup()
    }

    @Test("an error after some yields keeps them", arguments: modules)
    func errorAfterYields(module: String) async throws {
        let provider = try await Fixtures.deploy(module)
        let invoker = Invoker(provider: provider)
        let log = YieldLog()
        let outcome = await invoker.call("failAfter", args: [2, "boom"], onYield: log.handler)
        let error = try #require(outcome.error)
        #expect(error.kind == .exception)
        #expect(error.remote?.message == "boom")
        #expect(error.remote?.properties.first { $0.key == "yielded" }?.value == [0, 1])
        #expect(log.values == [0, 1])
        let bad = await invoker.call("yieldsUnserializable", args: [])
        #expect(bad.error?.kind == .serialization)
        #expect(bad.error?.remote?.properties.first { $0.key == "yielded" }?.value == [1])
        _ = try await provider.cleanup()
    }

    @Test("a fan-out of a generator collects each call's array", arguments: modules)
    func fanOut(module: String) async throws {
        let provider = try await Fixtures.deploy(module)
        let invoker = Invoker(provider: provider)
        let batch = await invoker.fanOut("countdown", count: 6, options: CallOptions(concurrency: 3)) { i in [.int(i)] }
        let values = batch.results.map { try? $0.get() }
        #expect(values == (0..<6).map { i in .array((0..<i).map { .int(i - $0) }) })
        _ = try await provider.cleanup()
    }

    @Test("a generator past its timeout fails as a timeout, after its first values", arguments: modules)
    func timeout(module: String) async throws {
        let provider = try await Fixtures.deploy(module)
        let invoker = Invoker(provider: provider)
        let log = YieldLog()
        let outcome = await invoker.call("slowAfter", args: [60000], options: CallOptions(timeout: 1), onYield: log.handler)
        #expect(outcome.error?.kind == .timeout)
        #expect(log.values == [1])
        #expect(await invoker.call("countdown", args: [1]).value == [1])
        _ = try await provider.cleanup()
    }

    @Test("a re-run generator (rerun=1) starts again; its values say which attempt they are from", arguments: modules)
    func retried(module: String) async throws {
        let provider = try await Fixtures.deploy(module)
        let invoker = Invoker(provider: provider)
        let marker = NSTemporaryDirectory() + "faast-once-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let log = YieldLog()
        // A worker that exits mid-call may have run the call: it runs again only when asked (rerun=).
        let outcome = await invoker.call("exitOnce", args: [.string(marker)], options: CallOptions(maxReruns: 1),
                                         onYield: log.handler)
        #expect(outcome.value == ["a", "b"], "\(outcome.result)")
        #expect(outcome.attempts == 2)
        #expect(log.positions == [[0, 0], [1, 0], [1, 1]])
        #expect(log.values == ["a", "a", "b"])
        _ = try await provider.cleanup()
    }

    @Test("cancelling a generator call fails it as cancelled", arguments: modules)
    func cancel(module: String) async throws {
        let provider = try await Fixtures.deploy(module)
        let invoker = Invoker(provider: provider)
        let first = AsyncStream<Void>.makeStream()
        let log = YieldLog { _ in first.continuation.yield() }
        let task = Task { await invoker.call("slowAfter", args: [60000], onYield: log.handler) }
        var it = first.stream.makeAsyncIterator()
        _ = await it.next()  // the first value has arrived: the call is running
        task.cancel()
        let outcome = await task.value
        #expect(outcome.error?.kind == .cancelled)
        #expect(log.values == [1])
        _ = try await provider.cleanup()
    }
}
