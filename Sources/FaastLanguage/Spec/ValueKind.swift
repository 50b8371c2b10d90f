import FaastCore

/// The numbers a numeric option accepts: a lower bound (inclusive or not) and an inclusive upper bound.
/// Every bound is finite, so a checked value always converts (to `Int`, to nanoseconds) without a trap.
public struct NumberRange: Sendable, Hashable {
    public var lower: Double
    /// Whether `lower` itself is allowed (`0` for a sleep, not for a timeout).
    public var lowerIncluded: Bool
    public var upper: Double

    public init(_ lower: Double, _ upper: Double, lowerIncluded: Bool = true) {
        self.lower = lower
        self.upper = upper
        self.lowerIncluded = lowerIncluded
    }

    /// Above `lower`, up to `upper` (for durations that must not be zero).
    public static func above(_ lower: Double, upTo upper: Double) -> NumberRange {
        NumberRange(lower, upper, lowerIncluded: false)
    }

    public func contains(_ value: Double) -> Bool {
        value.isFinite && (lowerIncluded ? value >= lower : value > lower) && value <= upper
    }

    /// `from 0 to 100` or `above 0 and up to 86,400`.
    public var description: String {
        (lowerIncluded ? "from \(ReadableNumber.plain(lower)) to " : "above \(ReadableNumber.plain(lower)) and up to ")
            + ReadableNumber.plain(upper)
    }
}

/// What an option's value must be: the one definition that parsing, validation, help and completion read.
public enum ValueKind: Sendable, Hashable {
    /// A number in a range, e.g. seconds or calls per second (`unit` is what the number counts, plural).
    case number(NumberRange, unit: String)
    /// A whole number in a range.
    case count(ClosedRange<Int>, unit: String)
    /// One of a fixed set of words.
    case choice([String])
    /// `on` or `off` (also `true`/`false`, `yes`/`no`).
    case flag
    /// A JSON object of names to values (`env={"K": "v"}`).
    case object
    /// Glob patterns: a comma-separated string or an array of strings.
    case globs
    /// Whole numbers in a range, comma-separated or as an array (`memory=128,256,512`), at least one.
    case counts(ClosedRange<Int>, unit: String)
    /// Any text.
    case text

    /// The words Tab offers after `key=`.
    public var choices: [String] {
        switch self {
        case .choice(let words): return words
        case .flag: return ["on", "off"]
        default: return []
        }
    }

    /// A placeholder for usage lines: `SECONDS`, `https|queue`, `on|off`.
    public var placeholder: String {
        switch self {
        case .number(_, let unit), .count(_, let unit): return unit.uppercased()
        case .counts(_, let unit): return "\(unit.uppercased()),\(unit.uppercased()),…"
        case .choice(let words): return words.joined(separator: "|")
        case .flag: return "on|off"
        case .object: return "{…}"
        case .globs: return "GLOBS"
        case .text: return "TEXT"
        }
    }

    /// What values are allowed, for help and error messages: `seconds above 0 and up to 86,400`.
    public var allowed: String {
        switch self {
        case .number(let range, let unit): return "\(unit) \(range.description)"
        case .count(let range, let unit):
            return "a whole number of \(unit) from \(ReadableNumber.plain(Double(range.lowerBound))) to "
                + ReadableNumber.plain(Double(range.upperBound))
        case .choice(let words):
            return words.count == 2 ? "\(words[0]) or \(words[1])" : "one of " + words.joined(separator: ", ")
        case .flag: return "on or off"
        case .object: return "an object, e.g. {\"KEY\": \"value\"}"
        case .globs: return "glob patterns: one, a quoted comma-separated list (\"*.json,data/*\") or an array of strings"
        case .counts(let range, let unit):
            return "whole numbers of \(unit) from \(ReadableNumber.plain(Double(range.lowerBound))) to "
                + "\(ReadableNumber.plain(Double(range.upperBound))), comma-separated"
        case .text: return "text"
        }
    }

    /// The typed value of `value`, or why it is not one: checked before any conversion, so that no number,
    /// however large, traps.
    public func check(_ value: JSONValue) -> Result<OptionValue, ValueError> {
        switch self {
        case .number(let range, _):
            guard let d = Self.number(value), range.contains(d) else { return .failure(ValueError(self, value)) }
            return .success(.number(d))
        case .count(let range, _):
            guard let d = Self.number(value), d == d.rounded(),
                  d >= Double(range.lowerBound), d <= Double(range.upperBound)
            else { return .failure(ValueError(self, value)) }
            return .success(.count(Int(d)))
        case .choice(let words):
            let s = value.stringValue ?? value.jsonText
            guard words.contains(s) else { return .failure(ValueError(self, value, suggestions: words)) }
            return .success(.choice(s))
        case .flag:
            if let b = value.boolValue { return .success(.flag(b)) }
            switch value.stringValue ?? "" {
            case "on", "yes", "true": return .success(.flag(true))
            case "off", "no", "false": return .success(.flag(false))
            default: return .failure(ValueError(self, value, suggestions: ["on", "off"]))
            }
        case .object:
            guard case .object(let members) = value else { return .failure(ValueError(self, value)) }
            return .success(.pairs(members.map { ($0.key, $0.value.stringValue ?? $0.value.jsonText) }))
        case .globs:
            let parts: [String]
            if case .array(let items) = value { parts = items.map { $0.stringValue ?? $0.jsonText } }
            else { parts = (value.stringValue ?? value.jsonText).split(separator: ",").map(String.init) }
            return .success(.list(parts.map { $0.trimmingWhitespace }.filter { !$0.isEmpty }))
        case .text:
            return .success(.text(value.stringValue ?? value.jsonText))
        case .counts(let range, let unit):
            let parts: [JSONValue]
            if case .array(let items) = value { parts = items }
            else if let text = value.stringValue { parts = text.split(separator: ",").map { JSONValue.string(String($0).trimmingWhitespace) } }
            else { parts = [value] }
            var numbers: [Int] = []
            for part in parts {
                guard case .success(.count(let n)) = ValueKind.count(range, unit: unit).check(part) else {
                    return .failure(ValueError(self, value))
                }
                numbers.append(n)
            }
            guard !numbers.isEmpty else { return .failure(ValueError(self, value)) }
            return .success(.counts(numbers))
        }
    }

    /// A number from a JSON number or a bare word (`timeout=5` is a number, `timeout=inf` a word).
    /// Nil for anything that is not a finite number.
    static func number(_ value: JSONValue) -> Double? {
        let d: Double?
        switch value {
        case .number(let text): d = Double(text)
        case .string(let text): d = Double(text)
        default: d = nil
        }
        guard let d, d.isFinite else { return nil }
        return d
    }
}

/// A checked option value, typed by its kind.
public enum OptionValue: Sendable, Hashable {
    case number(Double)
    case count(Int)
    case choice(String)
    case flag(Bool)
    case pairs([Pair])
    case list([String])
    case text(String)
    case counts([Int])

    public struct Pair: Sendable, Hashable {
        public var name: String
        public var value: String
    }

    static func pairs(_ items: [(String, String)]) -> OptionValue { .pairs(items.map { Pair(name: $0.0, value: $0.1) }) }
}

/// Why a value does not fit its kind; the option's name is added where it is known.
public struct ValueError: Error, Sendable, Hashable {
    public var kind: ValueKind
    public var value: JSONValue
    var suggestions: [String]

    init(_ kind: ValueKind, _ value: JSONValue, suggestions: [String] = []) {
        self.kind = kind
        self.value = value
        self.suggestions = suggestions
    }

    /// `timeout= takes seconds above 0 and up to 86,400, not 1e308`.
    public func message(subject: String) -> String {
        let shown = value.stringValue.map { "'\($0)'" } ?? value.jsonText
        let hint = suggestions.isEmpty ? "" : Suggestion.didYouMean(value.stringValue ?? value.jsonText, in: suggestions)
        return "\(subject) takes \(kind.allowed), not \(shown)" + hint
    }
}

/// Numbers as people read them in messages, help and summaries: `86,400`, `0.001`, `100,000,000 (1e8)`.
public enum ReadableNumber {
    static func plain(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 {
            let n = Int(d)
            let grouped = grouped(n)
            // Large round caps are easier to compare with what was typed in scientific notation.
            if n >= 10_000_000, let e = powerOfTen(n) { return "\(grouped) (1e\(e))" }
            return grouped
        }
        return String(d)
    }

    /// `2,310`: thousands separated by commas.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return value < 0 ? "-" + out : out
    }

    static func powerOfTen(_ n: Int) -> Int? {
        var n = n, e = 0
        while n > 1, n % 10 == 0 { n /= 10; e += 1 }
        return n == 1 ? e : nil
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}
