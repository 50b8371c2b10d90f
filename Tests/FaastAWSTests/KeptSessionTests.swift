import FaastCore
import Foundation
import Testing

@testable import FaastAWS

/// Kept sessions against moto: keep, re-open (unchanged, code-only change, other settings), the lock, queue
/// infrastructure reused, gc. Requests are counted by the client that sends them. In the provider's serialized
/// suite, so that its gc test (which collects as if 3 days had passed) never runs while these sessions live.
extension AWSProviderTests {
    /// A fresh state folder and a copy of the sample module that the test may edit.
    struct Sandbox {
        let root = NSTemporaryDirectory() + "faast-kept-\(UUID().uuidString.prefix(8))"
        var environment: [String: String]
        var module: ModuleSpec
        var store: SessionStore { SessionStore(environment: environment) }

        init() throws {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            environment = try Moto.environment()
            environment["XDG_STATE_HOME"] = root + "/state"
            let path = root + "/m.js"
            try String(contentsOfFile: Moto.module("sample.js"), encoding: .utf8).write(toFile: path, atomically: true, encoding: .utf8)
            module = try resolveModule(path)
        }

        func client() throws -> AWSClient { try AWSClient.fromEnvironment(region: nil, environment: environment) }

        func append(_ code: String) throws {
            let old = try String(contentsOfFile: module.path, encoding: .utf8)
            try (old + code).write(toFile: module.path, atomically: true, encoding: .utf8)
        }
    }

    static func settings() -> DeploySettings {
        var s = DeploySettings()
        s.memoryMb = 256
        s.timeout = 10
        s.logRetentionDays = 10  // past any other test's gc horizon
        return s
    }

    static func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0) & 0o777
    }

    @Test("keep records the session privately; an unchanged re-open takes 1 request; the lock; a code-only change updates in place")
    func keepAndReopen() async throws {
        let box = try Sandbox()
        let first = try await AWSProvider.deploy(box.module, settings: Self.settings(), client: try box.client())
        let id = first.names.sessionId
        #expect(await Invoker(provider: first).call("hello", args: ["q"], options: CallOptions(mode: .queue)).value == "hello q!")
        let message = try await first.keep()
        #expect(message.contains("faast attach \(id)"))

        // The record: 0600 in a 0700 folder, with what attach needs.
        #expect(Self.mode(box.store.directory) == 0o700)
        #expect(Self.mode(box.store.path(id)) == 0o600)
        let record = try #require(box.store.read(id))
        #expect(record.module == box.module.path && record.region == "us-east-1" && record.functions == first.functions)
        #expect(record.topicArn != nil && record.queueUrl != nil, "the queue infrastructure is recorded")
        #expect(!box.store.isAttached(id))

        // Unchanged: one request (GetFunctionConfiguration) before the first call can be sent.
        let client = try box.client()
        let again = try #require(try await AWSProvider.attachKept(box.module, settings: Self.settings(), client: client, store: box.store))
        #expect(client.requestCounts.total <= 2, "\(client.requestCounts.snapshot)")
        #expect(again.names.sessionId == id)
        #expect(again.reuse?.contains("same code and settings") == true)
        #expect(box.store.isAttached(id))

        // Held: another open does not take it (it would deploy fresh), an explicit attach says why.
        #expect(try await AWSProvider.attachKept(box.module, settings: Self.settings(), client: try box.client(), store: box.store) == nil)
        var explicit = Self.settings()
        explicit.cloud.session = id
        await #expect(throws: FaastError.self) {
            _ = try await AWSProvider.attachKept(box.module, settings: explicit, client: try box.client(), store: box.store)
        }

        // The kept queue infrastructure is used again, not made again.
        let queued = await Invoker(provider: again).call("hello", args: ["again"], options: CallOptions(mode: .queue))
        #expect(queued.value == "hello again!", "\(String(describing: queued.error))")
        #expect(again.queue.infrastructure?.topicArn == record.topicArn)
        _ = try await again.keep()

        // Code-only change: UpdateFunctionCode, no CreateFunction; the new function is there.
        try box.append("\nfunction added(x) { return x * 2; }\nmodule.exports.added = added;\n")
        let updateClient = try box.client()
        let updated = try #require(try await AWSProvider.attachKept(box.module, settings: Self.settings(), client: updateClient, store: box.store))
        #expect(updateClient.requestCounts.count(exactly: "lambda POST /2015-03-31/functions") == 0, "\(updateClient.requestCounts.snapshot)")
        #expect(updateClient.requestCounts.count(exactly: "lambda PUT /2015-03-31/functions/faast-\(id)/code") == 1)
        #expect(updated.names.sessionId == id)
        #expect(updated.reuse?.contains("updated its code in place") == true)
        #expect(await Invoker(provider: updated).call("added", args: [21]).value == 42)
        _ = try await updated.keep()
        #expect(box.store.read(id)?.functions.contains { $0.name == "added" } == true)

        // Other function settings: no reuse.
        var bigger = Self.settings()
        bigger.memoryMb = 512
        #expect(try await AWSProvider.attachKept(box.module, settings: bigger, client: try box.client(), store: box.store) == nil)

        // Attach by id, then clean up: resources and record go.
        let last = try #require(try await AWSProvider.attachKept(box.module, settings: explicit, client: try box.client(), store: box.store))
        _ = try await last.cleanup()
        #expect(box.store.read(id) == nil)
        #expect(!FileManager.default.fileExists(atPath: box.store.path(id)))
        #expect(try Moto.inventory(containing: id)["functions"] == [])
        await #expect(throws: FaastError.self) {
            _ = try await AWSProvider.attachKept(box.module, settings: explicit, client: try box.client(), store: box.store)
        }
    }

    @Test("gc removes an expired kept session and its record, never one a shell holds; a vanished session is dropped")
    func keptSessionGarbageCollection() async throws {
        let box = try Sandbox()
        var settings = Self.settings()
        settings.logRetentionDays = 0.00001  // under a second
        let expired = try await AWSProvider.deploy(box.module, settings: settings, client: try box.client())
        _ = try await expired.keep()
        let held = try await AWSProvider.deploy(box.module, settings: settings, client: try box.client())
        _ = try await held.keep()
        let attached = try #require(try await AWSProvider.attachKept(
            box.module, settings: { var s = settings; s.cloud.session = held.names.sessionId; return s }(),
            client: try box.client(), store: box.store))
        try await Task.sleep(nanoseconds: 1_500_000_000)

        let report = try await GarbageCollector(services: AWSServices(client: try box.client())).collect(excluding: nil, execute: true)
        #expect(report.contains("removed the record of kept session \(expired.names.sessionId)"), "\(report)")
        #expect(box.store.read(expired.names.sessionId) == nil)
        #expect(try Moto.inventory(containing: expired.names.sessionId)["functions"] == [])
        #expect(box.store.read(held.names.sessionId) != nil)
        #expect(try Moto.inventory(containing: held.names.sessionId)["functions"] == [held.names.function])

        // Its function deleted behind faast's back: the listing says so; an implicit open drops the record.
        _ = try await attached.keep()
        try await AWSServices(client: try box.client()).deleteFunction(held.names.function)
        let rows = await box.store.statuses(environment: box.environment)
        #expect(rows.first { $0.session.id == held.names.sessionId }?.exists == false)
        #expect(try await AWSProvider.attachKept(box.module, settings: settings, client: try box.client(), store: box.store,
                                                 now: Date(timeIntervalSince1970: 0)) == nil)
        #expect(box.store.read(held.names.sessionId) == nil)
    }
}
