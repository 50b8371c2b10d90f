/// A JSON value that keeps numbers as their literal text, so that integers beyond 2^53 and the exact
/// digits of a float survive a round trip through faast untouched.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number's JSON text, e.g. `12345678901234567890` or `1.5e300`.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in their original order (JSON objects are ordered for display; lookups are linear).
    case object([JSONMember])

    /// A number from a Swift integer.
    public static func int<I: BinaryInteger>(_ value: I) -> JSONValue { .number(String(value)) }

    /// A number from a Swift double; non-finite values become faast's tagged form.
    public static func double(_ value: Double) -> JSONValue {
        if value.isNaN { return .tagged("NaN") }
        if value.isInfinite { return .tagged(value > 0 ? "Infinity" : "-Infinity") }
        if value == value.rounded(), abs(value) < 1e15 { return .number(String(Int64(value))) }
        return .number(String(value))
    }

    /// A faast tagged value `{"$faast": tag, ...}` for what JSON lacks (bytes, NaN, undefined, dates).
    public static func tagged(_ tag: String, _ members: [JSONMember] = []) -> JSONValue {
        .object([JSONMember("$faast", .string(tag))] + members)
    }

    /// The tag of a faast tagged value, if this is one.
    public var tag: String? {
        if case .object(let members) = self, let first = members.first, first.key == "$faast",
           case .string(let tag) = first.value {
            return tag
        }
        return nil
    }

    /// The member named `key` of an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.key == key })?.value
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }

    public var intValue: Int? {
        guard case .number(let text) = self else { return nil }
        if let i = Int(text) { return i }
        if let d = Double(text), d == d.rounded(), abs(d) < 9.0e18 { return Int(d) }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// A short name of the value's type for messages ("string", "number", ...).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return tag ?? "object"
        }
    }

    static func isIntegerLiteral(_ text: String) -> Bool {
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        return !digits.isEmpty && digits.allSatisfy { $0 >= "0" && $0 <= "9" }
    }

    /// Structural equality where numbers compare by value (`1.0 == 1`, `1e2 == 100`) as well as by text.
    public func isEquivalent(to other: JSONValue) -> Bool {
        switch (self, other) {
        case (.number(let a), .number(let b)):
            if a == b { return true }
            // JSON integer literals have no leading zeros, so equal integers have equal text (but -0 and 0).
            if Self.isIntegerLiteral(a), Self.isIntegerLiteral(b) {
                return (a == "-0" || a == "0") && (b == "-0" || b == "0")
            }
            // An integer too large for a double is equal to no other number than itself.
            if (Self.isIntegerLiteral(a) && a.count > 15) || (Self.isIntegerLiteral(b) && b.count > 15) { return false }
            guard let x = Double(a), let y = Double(b), x.isFinite, y.isFinite else { return false }
            return x == y
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.isEquivalent(to: $1) }
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            return a.allSatisfy { m in b.contains { $0.key == m.key && $0.value.isEquivalent(to: m.value) } }
        default:
            return self == other
        }
    }
}

/// One member of a JSON object.
public struct JSONMember: Sendable, Hashable {
    public var key: String
    public var value: JSONValue
    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(String(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(elements.map { JSONMember($0.0, $0.1) })
    }
}
