/// Splits faast source into tokens.
///
/// - `#` starts a comment outside strings.
/// - A line break ends the logical line (a `.newline` token) unless a bracket `( [ {` is open; inside
///   brackets line breaks are plain whitespace, and a string may span lines.
/// - The first word of a logical line being `print`, the rest of that physical line is one `.rawText`
///   token (or one `.string` when it is exactly one quoted string); there a `#` starts a comment only at
///   the start of a word, and quotes count only at the start of a word (`print it's` is fine).
public struct Lexer: Sendable {
    public let source: String
    public let firstLine: Int

    /// `firstLine` is the line number of the source's first line (for a line taken from a larger text).
    public init(_ source: String, firstLine: Int = 1) {
        self.source = source
        self.firstLine = firstLine
    }

    /// All tokens, ending with `.end`; throws on an unterminated string, a bad escape or a lone `$`.
    public func tokenize() throws(ParseError) -> [Token] {
        var scanner = TokenScanner(source, firstLine: firstLine, lenient: false)
        return try scanner.run()
    }

    /// All tokens, never failing: for completion and highlighting of partial input. An unterminated string
    /// becomes `.unterminatedString`, a lone `$` an empty `.variable`, bad escapes are kept as written,
    /// and comments are kept as `.comment` tokens.
    public func tokenizeLeniently() -> [Token] {
        var scanner = TokenScanner(source, firstLine: firstLine, lenient: true)
        do {
            return try scanner.run()
        } catch {
            return scanner.tokens
        }
    }

    /// Whether the source ends with every bracket and quote closed (a closing bracket too many counts as
    /// closed, so that the parser reports it).
    public func isComplete() -> Bool {
        var scanner = TokenScanner(source, firstLine: firstLine, lenient: true)
        _ = try? scanner.run()
        return scanner.depth == 0 && !scanner.endedInString
    }

    public static func tokenize(_ source: String, firstLine: Int = 1) throws(ParseError) -> [Token] {
        try Lexer(source, firstLine: firstLine).tokenize()
    }

    /// Characters that end a word (besides whitespace).
    static let delimiters: Set<Character> = ["(", ")", "[", "]", "{", "}", ",", ":", "=", "\"", "'", "$", "#"]

    static func isWordCharacter(_ ch: Character) -> Bool {
        !ch.isWhitespace && !delimiters.contains(ch)
    }

    public static func isIdentifier(_ text: some StringProtocol) -> Bool {
        guard let first = text.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return text.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }

    /// JSON number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    static func isNumber(_ text: some StringProtocol) -> Bool {
        let chars = Array(text.unicodeScalars)
        var i = 0
        func digit(_ k: Int) -> Bool { k < chars.count && ("0"..."9").contains(chars[k]) }
        if i < chars.count, chars[i] == "-" { i += 1 }
        guard digit(i) else { return false }
        if chars[i] == "0" {
            i += 1
        } else {
            while digit(i) { i += 1 }
        }
        if i < chars.count, chars[i] == "." {
            i += 1
            guard digit(i) else { return false }
            while digit(i) { i += 1 }
        }
        if i < chars.count, chars[i] == "e" || chars[i] == "E" {
            i += 1
            if i < chars.count, chars[i] == "+" || chars[i] == "-" { i += 1 }
            guard digit(i) else { return false }
            while digit(i) { i += 1 }
        }
        return i == chars.count
    }
}

/// The lexer's state machine.
struct TokenScanner {
    let chars: [Character]
    let lines: SourceLines
    let lenient: Bool
    var pos = 0
    var line: Int
    var column = 1
    var tokens: [Token] = []
    /// Open brackets (clamped at zero: a closing bracket too many does not open anything).
    var depth = 0
    /// Whether the source ended inside a string.
    var endedInString = false
    /// Whether the next token starts a logical line.
    var atCommandStart = true
    var sawSpace = true

    init(_ source: String, firstLine: Int, lenient: Bool) {
        var chars = Array(source)
        if chars.first == "\u{FEFF}" { chars.removeFirst() }
        self.chars = chars
        self.lines = SourceLines(source, firstLine: firstLine)
        self.lenient = lenient
        self.line = firstLine
    }

    var location: SourceLocation { SourceLocation(line: line, column: column) }

    func peek(_ offset: Int = 0) -> Character? {
        pos + offset < chars.count ? chars[pos + offset] : nil
    }

    mutating func advance() {
        let ch = chars[pos]
        pos += 1
        if isLineBreak(ch) {
            line += 1
            column = 1
        } else {
            column += 1
        }
    }

    mutating func emit(_ kind: Token.Kind, from start: Int, at location: SourceLocation) {
        let text = String(chars[start..<pos])
        tokens.append(Token(kind, text: text, location: location, end: self.location, precededBySpace: sawSpace))
        sawSpace = false
        switch kind {
        case .comment: break
        case .newline:
            atCommandStart = true
            sawSpace = true
        default:
            atCommandStart = false
        }
    }

    func error(_ message: String, at location: SourceLocation) -> ParseError {
        lines.error(message, at: location)
    }

    /// The length of `[123]` or `["key"]` (`'key'`) at the current position, on one line; nil when none is there.
    func bracketStepLength() -> Int? {
        guard peek() == "[" else { return nil }
        var k = 1
        if let quote = peek(k), quote == "\"" || quote == "'" {
            k += 1
            while let c = peek(k), c != quote, !isLineBreak(c) { k += 1 }
            guard peek(k) == quote, peek(k + 1) == "]" else { return nil }
            return k + 2
        }
        while let c = peek(k), c.isASCII, c.isNumber { k += 1 }
        guard k > 1, peek(k) == "]" else { return nil }
        return k + 1
    }

    mutating func run() throws(ParseError) -> [Token] {
        while let ch = peek() {
            let start = pos
            let loc = location
            if isLineBreak(ch) {
                advance()
                if depth == 0 && !atCommandStart {
                    tokens.append(Token(.newline, text: "", location: loc, end: loc, precededBySpace: sawSpace))
                    atCommandStart = true
                }
                sawSpace = true
                continue
            }
            if ch.isWhitespace {
                advance()
                sawSpace = true
                continue
            }
            switch ch {
            case "#":
                skipComment()
                if lenient {
                    let text = String(chars[(start + 1)..<pos])
                    tokens.append(Token(.comment(text), text: "#" + text, location: loc, end: location, precededBySpace: sawSpace))
                }
                sawSpace = true
            case "(", "[", "{":
                advance()
                depth += 1
                emit(ch == "(" ? .leftParen : ch == "[" ? .leftBracket : .leftBrace, from: start, at: loc)
            case ")", "]", "}":
                advance()
                depth = max(0, depth - 1)
                emit(ch == ")" ? .rightParen : ch == "]" ? .rightBracket : .rightBrace, from: start, at: loc)
            case ",":
                advance()
                emit(.comma, from: start, at: loc)
            case ":":
                advance()
                emit(.colon, from: start, at: loc)
            case "=":
                advance()
                if peek() == "=" {
                    advance()
                    emit(.doubleEquals, from: start, at: loc)
                } else {
                    emit(.equals, from: start, at: loc)
                }
            case "\"", "'":
                try scanStringToken()
            case "$":
                advance()
                let nameStart = pos
                while let c = peek(), Lexer.isWordCharacter(c) { advance() }
                // `$o[0]`, `$o["key"].x`: steps into the value, written without spaces.
                while let length = bracketStepLength() {
                    for _ in 0..<length { advance() }
                    while let c = peek(), Lexer.isWordCharacter(c) { advance() }
                }
                let name = String(chars[nameStart..<pos])
                if VariableReference.parse(name) == nil, !lenient {
                    if name.isEmpty {
                        throw error("expected a variable name after '$'", at: loc)
                    }
                    let base = name.prefix { $0 != "." && $0 != "[" }
                    if !Lexer.isIdentifier(base) {
                        throw error("invalid variable name '$\(base)' (names are letters, digits and '_')", at: loc)
                    }
                    throw error("invalid field access '$\(name)' (write $o.name, $o[0] or $o[\"a key\"])", at: loc)
                }
                emit(.variable(name), from: start, at: loc)
            default:
                let commandStart = atCommandStart
                while let c = peek(), Lexer.isWordCharacter(c) { advance() }
                let text = String(chars[start..<pos])
                let kind: Token.Kind =
                    Lexer.isIdentifier(text) ? .identifier : Lexer.isNumber(text) ? .number : .word
                emit(kind, from: start, at: loc)
                if commandStart && text == "print" {
                    try scanPrintText()
                }
            }
        }
        let end = location
        if depth == 0 && !atCommandStart {
            tokens.append(Token(.newline, text: "", location: end, end: end, precededBySpace: sawSpace))
        }
        tokens.append(Token(.end, text: "", location: end, end: end, precededBySpace: true))
        return tokens
    }

    mutating func skipComment() {
        while let c = peek(), !isLineBreak(c) { advance() }
    }

    /// A quoted string at `pos`; emits `.string` (or `.unterminatedString` when lenient).
    mutating func scanStringToken() throws(ParseError) {
        let start = pos
        let loc = location
        switch scanString() {
        case .success(let value):
            emit(.string(value), from: start, at: loc)
        case .failure(let failure):
            if lenient {
                // Only an unterminated string stops the lenient scan; bad escapes were kept as written.
                endedInString = true
                emit(.unterminatedString(failure.partial), from: start, at: loc)
            } else {
                throw error(failure.message, at: failure.location)
            }
        }
    }

    struct StringFailure: Error {
        var message: String
        var location: SourceLocation
        var partial: String
    }

    /// Scans a string whose opening quote is at `pos`. On success `pos` is past the closing quote. Line breaks
    /// are allowed inside (a string left open continues on the next line). When lenient, bad escapes are kept as
    /// written and only a missing closing quote fails (with `pos` at the end of the source).
    mutating func scanString(singleLine: Bool = false) -> Result<String, StringFailure> {
        let quote = chars[pos]
        let openLoc = location
        advance()
        var value = ""
        var pendingHigh: (UInt32, SourceLocation)?
        func unpaired(_ loc: SourceLocation) -> StringFailure {
            StringFailure(message: "unpaired surrogate in '\\u' escape", location: loc, partial: value)
        }
        while true {
            guard let ch = peek(), !(singleLine && isLineBreak(ch)) else {
                return .failure(StringFailure(message: "unterminated string", location: openLoc, partial: value))
            }
            if ch != "\\", let (_, loc) = pendingHigh {
                if !lenient { return .failure(unpaired(loc)) }
                value.append("\u{FFFD}")
                pendingHigh = nil
            }
            if ch == quote {
                advance()
                return .success(value)
            }
            if ch != "\\" {
                value.append(ch)
                advance()
                continue
            }
            let escLoc = location
            advance()
            guard let e = peek() else { continue }
            if e != "u", let (_, loc) = pendingHigh {
                if !lenient { return .failure(unpaired(loc)) }
                value.append("\u{FFFD}")
                pendingHigh = nil
            }
            switch e {
            case "\"", "'", "\\", "/":
                value.append(e)
                advance()
            case "b": value.append("\u{08}"); advance()
            case "f": value.append("\u{0C}"); advance()
            case "n": value.append("\n"); advance()
            case "r": value.append("\r"); advance()
            case "t": value.append("\t"); advance()
            case "u":
                advance()
                var hex = ""
                while hex.count < 4, let h = peek(), h.isHexDigit {
                    hex.append(h)
                    advance()
                }
                guard hex.count == 4, let code = UInt32(hex, radix: 16) else {
                    if !lenient {
                        return .failure(StringFailure(
                            message: "invalid '\\u' escape: expected 4 hex digits", location: escLoc, partial: value))
                    }
                    value.append("\\u" + hex)
                    continue
                }
                if let (high, loc) = pendingHigh {
                    pendingHigh = nil
                    if (0xDC00...0xDFFF).contains(code) {
                        let scalar = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00)
                        value.unicodeScalars.append(Unicode.Scalar(scalar)!)
                        continue
                    }
                    if !lenient { return .failure(unpaired(loc)) }
                    value.append("\u{FFFD}")
                }
                if (0xD800...0xDBFF).contains(code) {
                    pendingHigh = (code, escLoc)
                } else if (0xDC00...0xDFFF).contains(code) {
                    if !lenient { return .failure(unpaired(escLoc)) }
                    value.append("\u{FFFD}")
                } else {
                    value.unicodeScalars.append(Unicode.Scalar(code)!)
                }
            default:
                if !lenient {
                    let shown = isLineBreak(e) ? "\\ at the end of a line" : "'\\\(e)'"
                    return .failure(StringFailure(
                        message: "invalid escape \(shown) in string", location: escLoc, partial: value))
                }
                value.append("\\")
            }
        }
    }

    /// After `print` at the start of a logical line: the rest of the physical line.
    mutating func scanPrintText() throws(ParseError) {
        if let c = peek(), c == " " || c == "\t" {
            advance()
        }
        sawSpace = true
        let start = pos
        let loc = location
        // Exactly one quoted string, then nothing but spaces and a comment: its decoded value.
        if let q = peek(), q == "\"" || q == "'" {
            let saved = self
            if case .success(let value) = scanString(singleLine: true) {
                var k = pos
                while k < chars.count, chars[k] == " " || chars[k] == "\t" { k += 1 }
                if k == chars.count || isLineBreak(chars[k]) || chars[k] == "#" {
                    emit(.string(value), from: start, at: loc)
                    return
                }
            }
            self = saved
        }
        var quote: Character?
        var lastContent = pos
        var previousIsSpace = true
        while let c = peek(), !isLineBreak(c) {
            if let q = quote {
                if c == "\\", let next = peek(1), !isLineBreak(next) {
                    advance()
                } else if c == q {
                    quote = nil
                }
            } else if c == "#" && previousIsSpace {
                break
            } else if (c == "\"" || c == "'") && previousIsSpace {
                quote = c
            }
            previousIsSpace = c == " " || c == "\t"
            advance()
            if !previousIsSpace { lastContent = pos }
        }
        let text = String(chars[start..<lastContent])
        // The raw text never spans lines.
        let endLoc = SourceLocation(line: loc.line, column: loc.column + (lastContent - start))
        tokens.append(Token(.rawText(text), text: text, location: loc, end: endLoc, precededBySpace: true))
        atCommandStart = false
        sawSpace = true
        if let c = peek(), c == "#" {
            let commentLoc = location
            let commentStart = pos
            skipComment()
            if lenient {
                let body = String(chars[(commentStart + 1)..<pos])
                tokens.append(Token(.comment(body), text: "#" + body, location: commentLoc, end: location,
                                    precededBySpace: true))
            }
        }
    }
}
