import Foundation

/// The names and tags of one session's AWS resources: every name carries the session id, so cleanup
/// removes exactly its own, and gc finds what crashed sessions left by name and tag.
public struct ResourceNames: Sendable, Hashable {
    public let sessionId: String

    public init(sessionId: String) { self.sessionId = sessionId }

    /// A new session: 8 hex digits of a UUID keep every name within AWS's limits.
    public static func newSession() -> ResourceNames {
        ResourceNames(sessionId: String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)))
    }

    public static let prefix = "faast-"
    public static let defaultRole = "faast-lambda-role"
    public static let rolePolicyName = "faast-least-privilege"

    public var function: String { Self.prefix + sessionId }
    public var logGroup: String { "/aws/lambda/" + function }
    public var requestTopic: String { function + "-requests" }
    public var responseQueue: String { function + "-responses" }

    /// Tags on every resource: who made it, when, and how long its logs are kept.
    public func tags(retentionDays: Double, created: Date = Date()) -> [String: String] {
        ["faast": "true", "faast:session": sessionId, "faast:created": String(Int(created.timeIntervalSince1970)),
         "faast:retentionDays": String(retentionDays)]
    }

    /// The session id in a resource name (`faast-1a2b3c4d5e6f-requests` → `1a2b3c4d5e6f`), if it is faast's.
    public static func sessionId(inName name: String) -> String? {
        let base = name.split(separator: "/").last.map(String.init) ?? name
        guard base.hasPrefix(prefix) else { return nil }
        let rest = base.dropFirst(prefix.count)
        let id = rest.prefix { $0.isHexDigit }
        return id.count == 12 ? String(id) : nil
    }
}
