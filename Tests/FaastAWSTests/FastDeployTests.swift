import FaastCore
import Foundation
import Testing

@testable import FaastAWS

/// Fresh deploys whose independent steps run at once: what is created (counted by the client that sends the
/// requests), and that a failed step leaves nothing the other steps made. Against moto, in the provider's
/// serialized suite (its gc test collects as if days had passed).
extension AWSProviderTests {
    static func quickSettings(_ configure: (inout DeploySettings) -> Void = { _ in }) -> DeploySettings {
        var s = DeploySettings()
        s.memoryMb = 256
        s.timeout = 10
        configure(&s)
        return s
    }

    @Test("a session that defaults to queue mode gets its queue and topic with the deploy; the first queue call creates nothing")
    func queueDefaultDeploy() async throws {
        let client = try Moto.client()
        let names = ResourceNames.newSession()
        let provider = try await AWSProvider.deploy(try resolveModule(Moto.module("sample.js")),
                                                    settings: Self.quickSettings { $0.mode = .queue }, client: client, names: names)
        let counts = client.requestCounts
        for action in ["sqs CreateQueue", "sns CreateTopic", "sns Subscribe", "lambda POST /2015-03-31/functions",
                       "logs CreateLogGroup"] {
            #expect(counts.count(exactly: action) == 1, "\(action): \(counts.snapshot)")
        }
        #expect(provider.queue.infrastructure?.subscriptionArn != nil)
        let made = try Moto.inventory(containing: names.sessionId)
        #expect(made["queues"]?.count == 1 && made["topics"]?.count == 1, "\(made)")

        let result = await Invoker(provider: provider).call("hello", args: ["q"], options: CallOptions(mode: .queue))
        #expect(result.value == "hello q!", "\(String(describing: result.error))")
        #expect(counts.count(exactly: "sqs CreateQueue") == 1 && counts.count(exactly: "sns CreateTopic") == 1, "\(counts.snapshot)")
        _ = try await provider.cleanup()
        let left = try Moto.inventory(containing: names.sessionId)
        #expect(left["functions"] == [] && left["queues"] == [] && left["topics"] == [], "\(left)")
    }

    @Test("an https session makes no queue resources at deploy")
    func httpsDefaultDeploy() async throws {
        let client = try Moto.client()
        let provider = try await AWSProvider.deploy(try resolveModule(Moto.module("sample.js")), settings: Self.quickSettings(), client: client)
        #expect(client.requestCounts.count(exactly: "sqs CreateQueue") == 0 && client.requestCounts.count(exactly: "sns CreateTopic") == 0,
                "\(client.requestCounts.snapshot)")
        #expect(await Invoker(provider: provider).call("hello", args: ["h"]).value == "hello h!")
        _ = try await provider.cleanup()
    }

    @Test("a failed step of a deploy removes what the steps that ran beside it created", arguments: ["role", "module"])
    func concurrentStepFails(_ failing: String) async throws {
        let names = ResourceNames.newSession()
        let settings = Self.quickSettings {
            $0.mode = .queue
            if failing == "role" { $0.cloud.role = "faast-test-no-such-role" }
        }
        let module = try resolveModule(Moto.module(failing == "role" ? "sample.js" : "broken.js"))
        do {
            _ = try await AWSProvider.deploy(module, settings: settings, client: try Moto.client(), names: names)
            Issue.record("deployed although the \(failing) step fails")
        } catch let e as FaastError {
            #expect(e.kind == .deployFailed)
            #expect(!e.message.contains("rollback could not delete"), "\(e.message)")
        }
        let left = try Moto.inventory(containing: names.sessionId)
        #expect(left.values.allSatisfy { $0.isEmpty }, "\(left)")
    }
}
