/// Why a JSON text could not be read, and where (a byte offset into the UTF-8 text).
public struct JSONParseError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var description: String { "\(message) at offset \(offset)" }
}

/// A strict JSON reader over UTF-8 bytes that keeps number literals as text.
///
/// Hand-written on purpose: no maintained JSON library keeps the literal text of numbers, which faast
/// must (integers beyond 2^53 round-trip exactly), and this reader sits on the hot path of every call.
public struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let maxDepth: Int
    private var index = 0

    /// The deepest nesting of arrays and objects a document may have: a value of `JSONValue.maxDepth` levels
    /// inside the wire envelope (a response object, or a request object and its `args` array).
    public static let maxDepth = JSONValue.maxDepth + 2

    private init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// Parses one complete JSON document from `text`, nested at most `maxDepth` levels.
    public static func parse(_ text: String, maxDepth: Int = JSONParser.maxDepth) throws(JSONParseError) -> JSONValue {
        var text = text
        let result: Result<JSONValue, JSONParseError> = text.withUTF8 { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parseDocument(buffer, maxDepth: maxDepth) }
        }
        return try result.get()
    }

    /// Parses one complete JSON document from UTF-8 bytes, nested at most `maxDepth` levels.
    public static func parse(bytes: [UInt8], maxDepth: Int = JSONParser.maxDepth) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parseDocument(buffer, maxDepth: maxDepth) }
        }
        return try result.get()
    }

    /// Parses a complete document from a buffer, nested at most `maxDepth` levels.
    public static func parseDocument(
        _ buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int = JSONParser.maxDepth
    ) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(buffer, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.index != buffer.count { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    private func error(_ message: String) -> JSONParseError { JSONParseError(message: message, offset: index) }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// An array or object whose members are still being read: what `parseValue` keeps instead of recursing.
    private enum OpenContainer {
        case array([JSONValue])
        /// The members so far and the key of the member whose value comes next.
        case object([JSONMember], key: String)
    }

    /// Reads one value with an explicit stack of open containers instead of recursion, so that no input can
    /// overflow a thread's stack (lanes run on 512 KB stacks, and debug builds use several KB a frame).
    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        var open: [OpenContainer] = []
        while true {
            // Read the start of a value: a scalar completes it, a non-empty container is opened.
            guard index < bytes.count else { throw error("unexpected end of JSON") }
            var value: JSONValue
            switch bytes[index] {
            case UInt8(ascii: "["):
                try checkDepth(open.count + 1)
                index += 1
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    value = .array([])
                } else {
                    open.append(.array([]))
                    continue
                }
            case UInt8(ascii: "{"):
                try checkDepth(open.count + 1)
                index += 1
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    value = .object([])
                } else {
                    open.append(.object([], key: try parseMemberName()))
                    continue
                }
            case UInt8(ascii: "\""): value = .string(try parseString())
            case UInt8(ascii: "t"): try expectWord("true"); value = .bool(true)
            case UInt8(ascii: "f"): try expectWord("false"); value = .bool(false)
            case UInt8(ascii: "n"): try expectWord("null"); value = .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): value = .number(try parseNumber())
            default: throw error("unexpected character '\(Character(Unicode.Scalar(bytes[index])))'")
            }
            // Hand the completed value to the containers it closes, up to one that expects another member.
            while true {
                guard let container = open.popLast() else { return value }
                skipWhitespace()
                guard index < bytes.count else { throw error("unexpected end of JSON") }
                let next = bytes[index]
                switch container {
                case .array(var elements):
                    elements.append(value)
                    if next == UInt8(ascii: "]") {
                        index += 1
                        value = .array(elements)
                        continue
                    }
                    guard next == UInt8(ascii: ",") else { throw error("expected ',' or ']'") }
                    index += 1
                    open.append(.array(elements))
                case .object(var members, let key):
                    members.append(JSONMember(key, value))
                    if next == UInt8(ascii: "}") {
                        index += 1
                        value = .object(members)
                        continue
                    }
                    guard next == UInt8(ascii: ",") else { throw error("expected ',' or '}'") }
                    index += 1
                    skipWhitespace()
                    open.append(.object(members, key: try parseMemberName()))
                }
                break
            }
            skipWhitespace()
        }
    }

    /// Reads `"name" :` and leaves the index at the member's value.
    private mutating func parseMemberName() throws(JSONParseError) -> String {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name") }
        let key = try parseString()
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
        index += 1
        skipWhitespace()
        return key
    }

    private mutating func expectWord(_ word: StaticString) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("invalid literal") }
        let base = word.utf8Start
        for i in 0..<count where bytes[index + i] != base[i] { throw error("invalid literal") }
        index += count
    }

    private func checkDepth(_ depth: Int) throws(JSONParseError) {
        if depth > maxDepth { throw error("JSON nested too deeply (more than \(maxDepth) levels)") }
    }

    private mutating func parseNumber() throws(JSONParseError) -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        let start = index
        // Fast path: no escapes (and for ASCII, nothing to validate).
        var ascii = true
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let text = UnsafeBufferPointer(rebasing: bytes[start..<index])
                guard let s = ascii ? String(decoding: text, as: UTF8.self) : String(validating: text, as: UTF8.self) else {
                    throw JSONParseError(message: "invalid UTF-8 in string", offset: start)
                }
                index += 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error("control character in string") }
            if b >= 0x80 { ascii = false }
            index += 1
        }
        var out = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                guard let s = String(validating: out, as: UTF8.self) else {
                    throw JSONParseError(message: "invalid UTF-8 in string", offset: start)
                }
                index += 1
                return s
            }
            if b < 0x20 { throw error("control character in string") }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { break }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if scalar >= 0xD800, scalar < 0xDC00 {
                    // A high surrogate must be followed by a low one.
                    if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                        index += 2
                        let low = try parseHex4()
                        guard low >= 0xDC00, low < 0xE000 else { throw error("invalid surrogate pair") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        throw error("lone surrogate in string")
                    }
                } else if scalar >= 0xDC00, scalar < 0xE000 {
                    throw error("lone surrogate in string")
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("invalid unicode escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))'")
            }
        }
        throw error("unterminated string")
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("invalid unicode escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt32
            switch b {
            case 0x30...0x39: digit = UInt32(b - 0x30)
            case 0x41...0x46: digit = UInt32(b - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(b - 0x61 + 10)
            default: throw error("invalid unicode escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}
