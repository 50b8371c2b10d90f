import FaastCore
import Foundation
import Testing

@testable import FaastAWS

/// End to end against moto_server: real packages, real signed requests, real responses; only the machine
/// that runs the function is this one.
@Suite("the AWS provider against moto", .serialized)
struct AWSProviderTests {
    func deploy(_ module: String, _ configure: (inout DeploySettings) -> Void = { _ in }) async throws -> AWSProvider {
        var settings = DeploySettings()
        settings.memoryMb = 256
        settings.timeout = 10
        configure(&settings)
        let provider = try await AWSProviderFactory(environment: Moto.environment())
            .deploy(try resolveModule(Moto.module(module)), settings: settings)
        return provider as! AWSProvider
    }

    @Test("node: deploy, https calls, an exception, a timeout, queue fan-out of 200, cost, logs, cleanup leaves only logs")
    func nodeEndToEnd() async throws {
        let provider = try await deploy("sample.js") { $0.timeout = 2 }
        let invoker = Invoker(provider: provider)
        #expect(provider.functions.contains { $0.name == "hello" && $0.parameters == ["name"] })

        let hello = await invoker.call("hello", args: ["lambda"])
        #expect(hello.value == "hello lambda!")
        #expect(hello.billedMs >= 1, "billed duration comes from Lambda's REPORT line")

        let big = await invoker.call("echo", args: [["unicode": "你好 👋", "n": .number("42")]])
        #expect(big.value == ["unicode": "你好 👋", "n": .number("42")])

        let failure = await invoker.call("fail", args: ["boom"])
        #expect(failure.error?.kind == .exception)
        #expect(failure.error?.remote?.message == "boom")
        #expect(failure.error?.logLocation?.contains("console.aws.amazon.com/cloudwatch") == true)

        let slow = await invoker.call("sleep", args: [5000])
        #expect(slow.error?.kind == .timeout, "\(String(describing: slow.error))")
        #expect(slow.attempts == 1)

        let tooLarge = await invoker.call("echo", args: [.string(String(repeating: "y", count: 150 * 1024))],
                                          options: CallOptions(mode: .queue))
        #expect(tooLarge.error?.kind == .serialization, "\(String(describing: tooLarge.error))")
        #expect(tooLarge.error?.message.contains("does not fit queue mode's 256 KB result record") == true)

        let counts = provider.services.client.requestCounts
        let (snsBefore, before) = (counts.count(exactly: "sns PublishBatch"), provider.queue.requests)
        let batch = await invoker.fanOut("noop", count: 200, options: CallOptions(concurrency: 20, mode: .queue)) { [.int($0)] }
        #expect(batch.ok == 200, "\(batch.failureGroups.map(\.message))")
        // moto runs each invocation in a new process: every queue call loaded the module, and its answer says so.
        #expect(batch.coldStarts == 200)
        #expect(batch.results.enumerated().allSatisfy { (try? $0.element.get()) == .int($0.offset + 1) })
        // Each call published once, in PublishBatch requests of up to 10 (one per call would be 200; how full they
        // are depends on how fast answers come back, so the bound is loose); what the transport counts for cost is
        // what the client sent.
        let after = provider.queue.requests
        #expect(after.published - before.published == 200)
        #expect(after.publishBatches - before.publishBatches <= 200 / 2, "\(after)")
        #expect(counts.count(exactly: "sns PublishBatch") - snsBefore == after.publishBatches - before.publishBatches)
        #expect(counts.count(exactly: "sns Publish") == 0)

        let cost = await provider.costSnapshot(usage: invoker.stats.usage)
        #expect(cost.total > 0)
        #expect(cost.metrics.contains { $0.name == "snsPublish" })
        #expect(cost.priceSource.contains("built-in"), "moto has no Pricing API, so the dated table is used and said")

        let logs = try await provider.recentLogs(function: nil, last: 200)
        #expect(logs.contains { $0.contains("START") })

        let report = try await provider.cleanup()
        #expect(report.contains { $0.hasPrefix("deleted function") })
        #expect(report.contains { $0.hasPrefix("deleted queue") })
        let left = try Moto.inventory(containing: provider.names.sessionId)
        #expect(left["functions"] == [])
        #expect(left["topics"] == [])
        #expect(left["queues"] == [])
        #expect(left["logGroups"] == [provider.names.logGroup])
        // Idempotent.
        #expect(try await provider.cleanup() == ["already cleaned up"])
    }

    @Test("python: deploy and call in both modes")
    func pythonModule() async throws {
        let provider = try await deploy("sample.py")
        let invoker = Invoker(provider: provider)
        #expect(await invoker.call("add", args: [.number("12345678901234567890123"), 1]).value == .number("12345678901234567890124"))
        let queued = await invoker.call("hello", args: ["q"], options: CallOptions(mode: .queue))
        #expect(queued.value == "hello q!")
        #expect(queued.coldStart, "each moto invocation is its instance's first; the queue answer says so")
        let failure = await invoker.call("fail", args: ["py"], options: CallOptions(mode: .queue))
        #expect(failure.error?.kind == .exception)
        #expect(failure.coldStart)
        // SNS takes 256 KB: a larger request fails before anything is sent.
        let big = JSONValue.string(String(repeating: "x", count: 300 * 1024))
        let tooBig = await invoker.call("echo", args: [big], options: CallOptions(mode: .queue))
        #expect(tooBig.error?.kind == .invalidArgument)
        #expect(tooBig.error?.message.contains("queue mode allows 256 KB") == true)
        #expect(tooBig.billedRequests == 0)
        // Non-ASCII takes up to 6 bytes in the result record: 120 KB of UTF-8 that would not fit fails before sending.
        let wide = await invoker.call("echo", args: [.string(String(repeating: "é", count: 60 * 1024))], options: CallOptions(mode: .queue))
        #expect(wide.error?.kind == .invalidArgument)
        #expect(wide.error?.message.contains("in the result record") == true, "\(String(describing: wide.error))")
        // A result that would not fit the record with its request is answered at once as an error, not a timeout.
        let half = JSONValue.string(String(repeating: "y", count: 150 * 1024))
        let tooLarge = await invoker.call("echo", args: [half], options: CallOptions(mode: .queue))
        #expect(tooLarge.error?.kind == .serialization, "\(String(describing: tooLarge.error))")
        #expect(tooLarge.error?.message.contains("does not fit queue mode's 256 KB result record") == true)
        _ = try await provider.cleanup()
    }

    @Test("a failed deploy rolls back what it created")
    func rollback() async throws {
        do {
            _ = try await deploy("sample.js") { $0.cloud.role = "no-such-role" }
            Issue.record("deployed with a missing role")
        } catch let e as FaastError {
            #expect(e.kind == .deployFailed)
            #expect(e.message.contains("no-such-role"))
        }
        do {
            _ = try await deploy("broken.js")
            Issue.record("deployed a module that does not load")
        } catch let e as FaastError {
            #expect(e.kind == .deployFailed)
        }
        let left = try Moto.inventory(containing: "faast-")
        let services = AWSServices(client: try Moto.client())
        for f in left["functions"] ?? [] {
            let tags = try await services.listTags(arn: "arn:aws:lambda:us-east-1:123456789012:function:\(f)")
            #expect(tags["faast:session"] != nil)
        }
        #expect((left["functions"] ?? []).count == (left["functions"] ?? []).filter { f in (left["logGroups"] ?? []).contains("/aws/lambda/" + f) }.count)
    }

    @Test("gc removes sessions past their retention, and only those")
    func garbageCollection() async throws {
        let old = try await deploy("sample.js")
        let invoker = Invoker(provider: old)
        _ = await invoker.call("hello", args: ["x"], options: CallOptions(mode: .queue))
        let current = try await deploy("sample.js")
        let collector = GarbageCollector(client: try Moto.client())
        let inventory = try await collector.inventory()
        #expect(inventory.contains { $0.kind == .function && $0.sessionId == old.names.sessionId })
        #expect(inventory.contains { $0.kind == .queue && $0.sessionId == old.names.sessionId })
        #expect(inventory.contains { $0.kind == .role })
        let report = try await collector.collect(excluding: current.names.sessionId, execute: true, now: Date().addingTimeInterval(3 * 86_400))
        #expect(report.contains("deleted function \(old.names.function)"))
        let leftOld = try Moto.inventory(containing: old.names.sessionId)
        #expect(leftOld.values.allSatisfy { $0.isEmpty }, "\(leftOld)")
        let leftCurrent = try Moto.inventory(containing: current.names.sessionId)
        #expect(leftCurrent["functions"] == [current.names.function])
        _ = try await current.cleanup()
    }
}
