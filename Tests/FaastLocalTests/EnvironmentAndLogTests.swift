import FaastCore
import FaastLocal
import Foundation
import Testing

@Suite("environment, working directory and logs")
struct EnvironmentAndLogTests {
    @Test("env reaches the functions with Lambda-like variables; the cwd is the module's folder", arguments: ["sample.js", "sample.py"])
    func environment(module: String) async throws {
        let provider = try await Fixtures.deploy(module) { $0.env = ["GREETING": "hi there"]; $0.memoryMb = 512 }
        let invoker = Invoker(provider: provider)
        #expect(await invoker.call("env", args: ["GREETING"]).value == "hi there")
        #expect(await invoker.call("env", args: ["FAAST_PROVIDER"]).value == "local")
        #expect(await invoker.call("env", args: ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]).value == "512")
        #expect(await invoker.call("env", args: ["AWS_LAMBDA_FUNCTION_NAME"]).value?.stringValue?.hasPrefix("faast-") == true)
        let cwd = await invoker.call("cwd", args: [])
        #expect(cwd.value?.stringValue.map { URL(fileURLWithPath: $0).standardizedFileURL.path } == Fixtures.root)
        _ = try await provider.cleanup()
    }

    @Test("what a function prints goes to its worker's log, stamped with time and call id, between START and END", arguments: ["sample.js", "sample.py"])
    func logLines(module: String) async throws {
        let provider = try await Fixtures.deploy(module)
        let invoker = Invoker(provider: provider)
        let outcome = await invoker.call("logs", args: [3])
        #expect(outcome.value == 3, "printing never corrupts the protocol")
        let lines = try await provider.recentLogs(function: "logs", last: 50)
        let callLines = lines.filter { $0.split(separator: " ").count > 2 }
        #expect(callLines.contains { $0.hasSuffix(" START logs") })
        #expect(callLines.contains { $0.contains(" END logs ") })
        #expect(callLines.contains { $0.hasSuffix(" line 2") })
        #expect(callLines.contains { $0.hasSuffix(" to stderr") })
        let callId = try #require(callLines.first { $0.hasSuffix(" line 0") }?.split(separator: " ")[1])
        #expect(callLines.allSatisfy { $0.split(separator: " ")[1] == callId })
        #expect(callLines.allSatisfy { $0.first?.isNumber == true && $0.contains("T") }, "each line starts with a time")
        #expect(provider.logLocation(function: nil).hasPrefix("file://"))
        let other = await invoker.call("hello", args: ["x"])
        #expect(other.value != nil)
        #expect(try await provider.recentLogs(function: "logs", last: 50).allSatisfy { !$0.contains("START hello") })
        _ = try await provider.cleanup()
    }

    @Test("statistics count calls, errors and retries, with latency percentiles")
    func statistics() async throws {
        let provider = try await Fixtures.deploy("sample.js")
        let invoker = Invoker(provider: provider)
        _ = await invoker.fanOut("noop", count: 40) { [.int($0)] }
        _ = await invoker.call("fail", args: ["x"])
        let noop = try #require(invoker.stats.function("noop"))
        #expect(noop.invocations == 40 && noop.completed == 40 && noop.errors == 0)
        #expect(noop.latency.count == 40 && noop.execution.count == 40)
        #expect(noop.billedMs >= 40, "each call bills at least 1 ms")
        let fail = try #require(invoker.stats.function("fail"))
        #expect(fail.errors == 1)
        #expect(invoker.stats.total.invocations == 41)
        let cost = await provider.costSnapshot(usage: invoker.stats.usage)
        #expect(cost.total == 0)
        #expect((cost.estimateTotal ?? 0) > 0)
        #expect(cost.text.contains("estimate"))
        _ = try await provider.cleanup()
    }
}
