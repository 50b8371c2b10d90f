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

    /// The deepest nesting of arrays and objects a value may have anywhere in faast: in the command language,
    /// as an argument or a result (both trampolines check it), so that code walking a value never runs out of
    /// stack. Lambda's runtimes and python's `json` (1,000 levels by default) read values this deep.
    public static let maxDepth = 512

    /// Whether this is an array or an object.
    public var isContainer: Bool {
        switch self {
        case .array, .object: return true
        default: return false
        }
    }

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

    /// A number literal's exact decimal value in a canonical form (sign, significant digits without leading or
    /// trailing zeros, exponent of the last digit); zero has no sign. Nil when the exponent does not fit an Int.
    static func decimal(_ text: String) -> (negative: Bool, digits: Substring, exponent: Int)? {
        var rest = Substring(text)
        let negative = rest.first == "-"
        if negative { rest = rest.dropFirst() }
        var exponent = 0
        if let e = rest.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let value = Int(rest[rest.index(after: e)...]) else { return nil }
            exponent = value
            rest = rest[..<e]
        }
        var digits = rest
        if let dot = rest.firstIndex(of: ".") {
            let fraction = rest[rest.index(after: dot)...]
            digits = rest[..<dot] + fraction
            let (e, overflow) = exponent.subtractingReportingOverflow(fraction.count)
            guard !overflow else { return nil }
            exponent = e
        }
        digits = digits.drop(while: { $0 == "0" })
        guard !digits.isEmpty else { return (false, "", 0) }
        while digits.last == "0" {
            digits = digits.dropLast()
            let (e, overflow) = exponent.addingReportingOverflow(1)
            guard !overflow else { return nil }
            exponent = e
        }
        return (negative, digits, exponent)
    }

    static func isIntegerLiteral(_ text: String) -> Bool {
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        return !digits.isEmpty && digits.allSatisfy { $0 >= "0" && $0 <= "9" }
    }

    /// Structural equality where numbers compare by value (`1.0 == 1`, `1e2 == 100`) as well as by text.
    /// Object members pair up by key in any order (the n-th member named k with the n-th named k on the other
    /// side). Walks both values with an explicit stack: values as deep as any reader accepts compare on a
    /// 512 KB thread stack, in debug builds too.
    public func isEquivalent(to other: JSONValue) -> Bool {
        var pending: [(JSONValue, JSONValue)] = [(self, other)]
        while let (a, b) = pending.popLast() {
            switch (a, b) {
            case (.number(let x), .number(let y)):
                if !Self.numbersAreEqual(x, y) { return false }
            case (.array(let x), .array(let y)):
                guard x.count == y.count else { return false }
                pending.append(contentsOf: zip(x, y))
            case (.object(let x), .object(let y)):
                guard x.count == y.count else { return false }
                var others: [String: [JSONValue]] = [:]
                for m in y { others[m.key, default: []].append(m.value) }
                var taken: [String: Int] = [:]
                for m in x {
                    let n = taken[m.key, default: 0]
                    guard let values = others[m.key], n < values.count else { return false }
                    taken[m.key] = n + 1
                    pending.append((m.value, values[n]))
                }
            default:
                if a != b { return false }
            }
        }
        return true
    }

    /// Two JSON number literals denote the same number: the same decimal value exactly
    /// (`99999999999999999999 == 99999999999999999999.0`), or the same double when neither is an integer too
    /// large for a double to tell apart from its neighbours.
    static func numbersAreEqual(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        if let x = decimal(a), let y = decimal(b), x == y { return true }
        // JSON integer literals have no leading zeros, so equal integers have equal text (but -0 and 0).
        if isIntegerLiteral(a), isIntegerLiteral(b) {
            return (a == "-0" || a == "0") && (b == "-0" || b == "0")
        }
        // An integer too large for a double is equal to no other number than itself.
        if (isIntegerLiteral(a) && a.count > 15) || (isIntegerLiteral(b) && b.count > 15) { return false }
        guard let x = Double(a), let y = Double(b), x.isFinite, y.isFinite else { return false }
        return x == y
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
