import FaastCore
import Foundation

/// One AWS resource that faast made.
public struct FaastResource: Sendable, Hashable {
    public enum Kind: String, Sendable, Comparable {
        case function, topic, queue, logGroup = "log group", role, layer
        public static func < (a: Kind, b: Kind) -> Bool { a.order < b.order }
        var order: Int { [.topic: 0, .queue: 1, .function: 2, .layer: 3, .logGroup: 3, .role: 4][self] ?? 5 }
    }
    public var kind: Kind
    /// The name shown to people.
    public var name: String
    /// What the delete call takes (function name, topic ARN, queue URL, log group name, role name).
    public var handle: String
    public var sessionId: String?
    /// When the session's retention ends, when known.
    public var expires: Date?
}

/// Finds faast's resources by name and tag; `gc` deletes those of sessions past retention, and
/// `faast cleanup aws --execute` deletes all of them. Every list call pages to the end.
public struct GarbageCollector: Sendable {
    let services: AWSServices

    public init(client: AWSClient) { services = AWSServices(client: client) }
    init(services: AWSServices) { self.services = services }

    /// `faast cleanup aws`: at most `rate` requests a second, every one counted (listing, tags, deletes and
    /// the client's own retries).
    public static func rateLimited(client: AWSClient, rate: Double = 5) -> GarbageCollector {
        GarbageCollector(client: client.limited(to: rate))
    }

    /// Requests sent so far by this collector's client.
    public var requestsSent: Int { services.client.requestCount.count }

    static func expiry(_ tags: [String: String]) -> Date? {
        guard let created = tags["faast:created"].flatMap(Double.init) else { return nil }
        let days = tags["faast:retentionDays"].flatMap(Double.init) ?? 1
        return Date(timeIntervalSince1970: created + days * 86_400)
    }

    /// Every faast resource in the region (and the shared role).
    public func inventory() async throws -> [FaastResource] {
        var out: [FaastResource] = []
        for f in try await services.listFunctions() {
            guard let name = f["FunctionName"]?.stringValue, let id = ResourceNames.sessionId(inName: name) else { continue }
            let tags = (try? await services.listTags(arn: f["FunctionArn"]?.stringValue ?? name)) ?? [:]
            out.append(FaastResource(kind: .function, name: name, handle: name, sessionId: id, expires: Self.expiry(tags)))
        }
        for arn in try await services.listTopics() {
            let name = String(arn.split(separator: ":").last ?? "")
            guard let id = ResourceNames.sessionId(inName: name) else { continue }
            let tags = (try? await services.topicTags(arn)) ?? [:]
            out.append(FaastResource(kind: .topic, name: name, handle: arn, sessionId: id, expires: Self.expiry(tags)))
        }
        for url in try await services.listQueues(prefix: ResourceNames.prefix) {
            let name = String(url.split(separator: "/").last ?? "")
            guard let id = ResourceNames.sessionId(inName: name) else { continue }
            let tags = (try? await services.queueTags(url)) ?? [:]
            out.append(FaastResource(kind: .queue, name: name, handle: url, sessionId: id, expires: Self.expiry(tags)))
        }
        for g in try await services.listLogGroups(prefix: "/aws/lambda/" + ResourceNames.prefix) {
            guard let name = g["logGroupName"]?.stringValue, let id = ResourceNames.sessionId(inName: name) else { continue }
            let created = (g["creationTime"]?.doubleValue ?? 0) / 1000
            let days = g["retentionInDays"]?.doubleValue ?? 1
            out.append(FaastResource(kind: .logGroup, name: name, handle: name, sessionId: id,
                                     expires: Date(timeIntervalSince1970: created + days * 86_400)))
        }
        out += try await LayerCache(services: services).inventory()
        if try await services.roleArn(ResourceNames.defaultRole) != nil {
            out.append(FaastResource(kind: .role, name: ResourceNames.defaultRole, handle: ResourceNames.defaultRole))
        }
        return out.sorted { ($0.kind, $0.name) < ($1.kind, $1.name) }
    }

    /// `gc`: deletes the resources of sessions whose retention has passed (never `excluding`'s, nor the role).
    func collect(excluding: String?, execute: Bool, now: Date = Date()) async throws -> CleanupReport {
        let all = try await inventory()
        // Kept sessions: a held one is in use whatever its age; an expired one loses its record too.
        let kept = SessionStore(environment: services.client.environment).collect(now: now)
        let expired = all.filter { r in
            // Only a session's own resources are spared; layers (and the role) belong to no session.
            guard r.kind != .role, excluding == nil || r.sessionId != excluding, let expires = r.expires else { return false }
            return expires < now && !kept.attached.contains(r.sessionId ?? "")
        }
        return await delete(expired) + kept.removed
    }

    /// Deletes `resources` in a safe order (queue resources, functions, log groups, then the role), reporting
    /// each; what could not be deleted is reported as `could not delete …`. The role goes last, and only when
    /// everything else went and no function in the region still runs as it.
    public func delete(_ resources: [FaastResource]) async -> CleanupReport {
        var report: [String] = []
        var failed = 0
        for r in resources.sorted(by: { ($0.kind, $0.name) < ($1.kind, $1.name) }) where r.kind != .role {
            do {
                switch r.kind {
                case .function:
                    try await Self.ignoringNotFound { try await services.deleteEventInvokeConfig(r.handle) }
                    try await Self.ignoringNotFound { try await services.deleteFunction(r.handle) }
                case .topic: try await Self.ignoringNotFound { try await services.deleteTopic(r.handle) }
                case .queue: try await Self.ignoringNotFound { try await services.deleteQueue(r.handle) }
                case .logGroup: try await Self.ignoringNotFound { try await services.deleteLogGroup(r.handle) }
                case .role: break
                case .layer: try await Self.ignoringNotFound { try await LayerCache(services: services).deleteVersion(arn: r.handle) }
                }
                report.append("deleted \(r.kind.rawValue) \(r.name)")
            } catch {
                failed += 1
                report.append("could not delete \(r.kind.rawValue) \(r.name): \(AWSErrors.faastError(error).message)")
            }
        }
        for role in resources where role.kind == .role {
            if failed > 0 {
                report.append("could not delete role \(role.name): kept, since \(failed) resource(s) above were not deleted")
                continue
            }
            do {
                let users = try await functionsUsing(role: role.handle)
                if !users.isEmpty {
                    report.append("could not delete role \(role.name): still used by \(users.joined(separator: ", "))")
                    continue
                }
                try await services.deleteRole(role.handle)
                report.append("deleted role \(role.name)")
            } catch {
                report.append("could not delete role \(role.name): \(AWSErrors.faastError(error).message)")
            }
        }
        return report
    }

    /// Functions in the region whose execution role is `role`.
    func functionsUsing(role: String) async throws -> [String] {
        try await services.listFunctions().compactMap { f in
            guard let arn = f["Role"]?.stringValue, arn.hasSuffix(":role/" + role) || arn.hasSuffix("/" + role) else { return nil }
            return f["FunctionName"]?.stringValue
        }
    }

    static func ignoringNotFound(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let e as AWSServiceError where e.isNotFound {}
    }
}
