import Crypto
import FaastCore
import FaastPackaging
import Foundation
import Synchronization

/// An AWS deployment's kept-session state: this shell's lock on the session's record (held while attached)
/// and how the deployment was reached (fresh, reused, code updated).
final class KeepState: Sendable {
    struct State {
        var lock: SessionLock?
        var reuse: String?
        var created: Double = Date().timeIntervalSince1970
        var kept = false
    }
    let state = Mutex(State())

    /// After a cleanup: the session is gone, so is its record.
    func forget() {
        state.withLock { s in
            s.lock?.delete()
            s.lock = nil
        }
    }
}

extension AWSProvider: KeepingProvider {
    public var reuse: String? { keeping.state.withLock { $0.reuse } }

    /// Leaves every resource up, records the session (1 request: the function's CodeSha256) and lets go of it.
    public func keep() async throws -> String {
        let store = SessionStore(environment: services.client.environment)
        let config = try await services.getFunctionConfiguration(names.function)
        let held = try keeping.state.withLock { s -> SessionLock in
            if let lock = s.lock { return lock }
            guard let lock = try store.lock(names.sessionId) else {
                throw FaastError(.provider, "session \(names.sessionId) is attached by another shell")
            }
            s.lock = lock
            return lock
        }
        let infra = queue.infrastructure
        let record = KeptSession(
            id: names.sessionId, region: region, module: module.path, codeHash: config["CodeSha256"]?.stringValue ?? "",
            settings: StoredSettings(settings), settingsKey: Self.settingsKey(module: module, settings: settings, layerName: layer?.name),
            functionArn: functionArn, role: roleName, functions: functions, layerName: layer?.name, layerArn: layer?.arn,
            created: keeping.state.withLock { $0.created }, lastUsed: Date().timeIntervalSince1970,
            retentionDays: settings.logRetentionDays, topicArn: infra?.topicArn, queueUrl: infra?.queueUrl,
            queueArn: infra?.queueArn, subscriptionArn: infra?.subscriptionArn)
        try held.write(record)
        queue.stop(lettingPollsFinish: true)
        keeping.state.withLock { s in
            s.lock?.release()
            s.lock = nil
            s.kept = true
        }
        let expires = ISO8601DateFormatter().string(from: record.expires)
        return "session \(names.sessionId) (faast attach \(names.sessionId); gc removes it after \(expires)); logs: "
            + logLocation(function: nil)
    }

    /// What must be equal for an `open` to reuse a kept function as it is: everything the function was created
    /// with but its code (the code is compared by `CodeSha256`, and only it may be updated in place). `layerName`:
    /// the layer of `dependencies=`, named by the dependency files' content, so that changed dependencies never
    /// reuse a function running with the old layer.
    static func settingsKey(module: ModuleSpec, settings: DeploySettings, layerName: String?) -> String {
        let parts: [JSONValue] = [
            .string(module.runtime == .node ? "node" : "python"), .int(settings.memoryMb), .number(String(settings.timeout.rounded(.up))),
            AWSServices.json(settings.env), .string(settings.cloud.architecture.rawValue), .string(settings.cloud.role ?? ""),
            .number(String(settings.logRetentionDays)),
            .array(settings.package.include.map { .string($0) }), .array(settings.package.exclude.map { .string($0) }),
            .string(layerName ?? ""),
        ]
        let digest = SHA256.hash(data: Data(JSONValue.array(parts).jsonText.utf8))
        return digest.map { String(format: "%02x", $0) }.joined().prefix(16).description
    }

    /// Lambda's `CodeSha256` of a package: base64 of the zip's SHA-256.
    static func codeHash(_ zip: [UInt8]) -> String {
        Data(SHA256.hash(data: zip)).base64EncodedString()
    }

    // MARK: - Attach

    /// Attaches a kept session: `id` when given (`open --session ID`, `faast attach ID`), else the most recently
    /// used kept session of this module, region and settings that no other shell holds. Nil when there is none.
    /// Requests: one `GetFunctionConfiguration` when the code is unchanged; when only the code changed,
    /// `UpdateFunctionCode`, polls until the update is done, and one describe.
    static func attachKept(_ module: ModuleSpec, settings: DeploySettings, client: AWSClient, store: SessionStore,
                           now: Date = Date()) async throws -> AWSProvider? {
        var settings = settings
        let lock: SessionLock
        let record: KeptSession
        if let id = settings.cloud.session {
            guard let found = store.read(id) else {
                throw FaastError(.deployFailed, "no kept session '\(id)' (faast sessions lists them)")
            }
            guard let held = try store.lock(id) else {
                throw FaastError(.deployFailed, "session \(id) is attached by another shell")
            }
            // The function keeps what it was created with; the session's calls follow it.
            settings = found.settings.applied(to: settings)
            let layerName: String?
            do {
                layerName = try DeployPackage.layerName(module, settings: settings)
            } catch {
                held.release()
                throw error
            }
            if layerName != found.layerName {
                held.release()
                throw FaastError(.deployFailed, "the dependencies of kept session \(id) changed since it was kept "
                    + "(\(found.settings.dependencies ?? "none") then); open without session= to deploy them fresh")
            }
            record = found
            lock = held
        } else {
            let key = settingsKey(module: module, settings: settings, layerName: try DeployPackage.layerName(module, settings: settings))
            let candidates = store.list().filter {
                $0.region == client.region && $0.module == module.path && $0.settingsKey == key && $0.expires > now
            }
            guard let (found, held) = candidates.lazy.compactMap({ r in (try? store.lock(r.id)).flatMap { $0 }.map { (r, $0) } }).first
            else { return nil }
            record = found
            lock = held
        }
        let services = AWSServices(client: client)
        let names = ResourceNames(sessionId: record.id)
        // The package is built (locally: tracing, zipping) while AWS is asked about the function.
        async let packaged = DeployPackage.codePackage(module, settings: settings, notices: Notices())
        let config: JSONValue
        do {
            config = try await services.getFunctionConfiguration(names.function)
        } catch let e as AWSServiceError where e.isNotFound {
            lock.delete()
            if settings.cloud.session != nil {
                throw FaastError(.deployFailed, "kept session \(record.id) no longer exists (its function is gone); its record is removed")
            }
            return nil
        } catch {
            lock.release()
            throw FaastError(.deployFailed, AWSErrors.faastError(error).message)
        }
        var functions = ModuleDescription(record.functions)
        // Attached by id (`attach`, `session=`), or found by `open` because code and settings match.
        let attached = settings.cloud.session != nil
        let verb = attached ? "attached" : "reused"
        var reuse = "\(verb) kept session \(record.id)" + (attached ? "" : " (same code and settings)")
        let hash: String
        do {
            let package = try await packaged
            hash = codeHash(package.zip)
            if config["CodeSha256"]?.stringValue != hash {
                // Described here while the code is updated (as a fresh deploy does: see `ModuleDescription`), unless
                // the module needs installed dependencies; Lambda's description comes beside the first call.
                let env = settings.env, plain = settings.package.dependencies == nil
                async let local = plain ? LocalDescription.run(module, modulePath: nil, provider: "local", environment: env) : nil
                try await services.updateFunctionCode(names.function, zip: package.zip)
                try await waitForUpdate(names.function, services: services)
                let remote = Task { try await describe(names.function, services: services, module: module) }
                if let local = await local {
                    functions = ModuleDescription(local: local, remote: remote)
                } else {
                    functions = ModuleDescription(try await withTaskCancellationHandler { try await remote.value } onCancel: { remote.cancel() })
                }
                reuse = "\(verb) kept session \(record.id): updated its code in place"
            } else if config["State"]?.stringValue != "Active" {
                try await waitUntilActive(names.function, services: services)
            }
        } catch {
            lock.release()
            let e = AWSErrors.faastError(error)
            throw FaastError(.deployFailed, e.message, remote: e.remote)
        }
        let layer = record.layerArn.map { LayerCache.Layer(arn: $0, name: record.layerName ?? "", published: false, unzippedBytes: 0) }
        let provider = AWSProvider(module: module, functions: functions, settings: settings, names: names,
                                   functionArn: record.functionArn, services: services, roleName: record.role, layer: layer)
        var updated = record
        updated.module = module.path
        updated.codeHash = hash
        updated.functions = functions.functions
        updated.lastUsed = now.timeIntervalSince1970
        try? lock.write(updated)
        provider.keeping.state.withLock { s in
            s.lock = lock
            s.reuse = reuse
            s.created = record.created
        }
        if let topic = record.topicArn, let url = record.queueUrl, let arn = record.queueArn {
            provider.queue.adopt(.init(topicArn: topic, queueUrl: url, queueArn: arn, subscriptionArn: record.subscriptionArn))
        }
        return provider
    }

    /// Polls `LastUpdateStatus` after `UpdateFunctionCode` (50 ms doubling to 1 s between polls).
    static func waitForUpdate(_ name: String, services: AWSServices) async throws {
        let done = try await poll(limit: 120) { () -> Bool? in
            let c = try await services.getFunctionConfiguration(name)
            switch c["LastUpdateStatus"]?.stringValue ?? "Successful" {
            case "Successful": return true
            case "Failed":
                throw FaastError(.deployFailed, "updating the function's code failed: \(c["LastUpdateStatusReason"]?.stringValue ?? "no reason given")")
            default: return nil
            }
        }
        if done == nil { throw FaastError(.deployFailed, "the function's code update did not finish within 2 minutes") }
    }
}

/// The function-side settings a kept session was created with, so that `attach` calls it with the same
/// memory, timeout and environment.
public struct StoredSettings: Codable, Sendable, Hashable {
    public var memoryMb: Int
    public var timeout: Double
    public var env: [String: String]
    public var architecture: String
    public var role: String?
    public var include: [String]
    public var exclude: [String]
    /// `dependencies=` (the file's path as given); nil in records kept before dependencies existed.
    public var dependencies: String?

    init(_ s: DeploySettings) {
        memoryMb = s.memoryMb
        timeout = s.timeout
        env = s.env
        architecture = s.cloud.architecture.rawValue
        role = s.cloud.role
        include = s.package.include
        exclude = s.package.exclude
        dependencies = s.package.dependencies
    }

    func applied(to base: DeploySettings) -> DeploySettings {
        var s = base
        s.memoryMb = memoryMb
        s.timeout = timeout
        s.env = env
        s.cloud.architecture = Architecture(rawValue: architecture) ?? s.cloud.architecture
        s.cloud.role = role
        s.package.include = include
        s.package.exclude = exclude
        s.package.dependencies = dependencies
        return s
    }
}

/// One row of `faast sessions`.
public struct KeptSessionStatus: Sendable {
    public var session: KeptSession
    /// Whether its function still exists; nil when AWS could not be asked.
    public var exists: Bool?
    /// Whether another shell holds it now.
    public var attached: Bool
}

extension SessionStore {
    /// Every kept session, with whether its resources still exist (one `GetFunctionConfiguration` each).
    public func statuses(environment: [String: String]) async -> [KeptSessionStatus] {
        var out: [KeptSessionStatus] = []
        for record in list() {
            var exists: Bool?
            if let client = try? AWSClient.fromEnvironment(region: record.region, environment: environment) {
                do {
                    _ = try await AWSServices(client: client).getFunctionConfiguration(ResourceNames(sessionId: record.id).function)
                    exists = true
                } catch let e as AWSServiceError where e.isNotFound {
                    exists = false
                } catch {}
            }
            out.append(KeptSessionStatus(session: record, exists: exists, attached: isAttached(record.id)))
        }
        return out
    }

    /// For `gc`: removes the records of expired sessions nobody holds; returns the ids of held (attached)
    /// sessions, which gc leaves alone whatever their age, and what it removed.
    func collect(now: Date) -> (attached: Set<String>, removed: [String]) {
        var attached = Set<String>()
        var removed: [String] = []
        for record in list() {
            if isAttached(record.id) {
                attached.insert(record.id)
            } else if record.expires < now {
                remove(record.id)
                removed.append("removed the record of kept session \(record.id)")
            }
        }
        return (attached, removed)
    }
}
