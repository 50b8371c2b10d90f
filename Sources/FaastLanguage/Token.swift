/// One token of the faast language, with where it was written.
///
/// Words are maximal runs of characters other than whitespace and `( ) [ ] { } , : = " ' $ #`;
/// a word is classified as a number (JSON grammar, optional leading `-`), an identifier
/// (`[A-Za-z_][A-Za-z0-9_]*`) or a plain word (`eu-west-1`, `examples/f.py`, `1GB`).
public struct Token: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// `[A-Za-z_][A-Za-z0-9_]*`: keywords, function names, option keys, `true`, `false`, `null`.
        case identifier
        /// A number in JSON grammar (a leading `-` allowed); `text` is its exact spelling.
        case number
        /// Any other run of word characters: paths, `eu-west-1`, `1GB`, malformed numbers.
        case word
        /// A quoted string (double or single quotes), decoded.
        case string(String)
        /// A string whose closing quote is missing (only from `Lexer.tokenizeLeniently()`), decoded so far.
        case unterminatedString(String)
        /// `$name`, the name without the `$` (empty only from `Lexer.tokenizeLeniently()`).
        case variable(String)
        case leftParen, rightParen, leftBracket, rightBracket, leftBrace, rightBrace
        case comma, colon, equals, doubleEquals
        /// The rest of the line after `print` (with the one-space separator and a trailing comment removed).
        /// When that rest is exactly one quoted string, the lexer emits `.string` instead.
        case rawText(String)
        /// A `#` comment, its text without the `#` (only from `Lexer.tokenizeLeniently()`).
        case comment(String)
        /// The end of a logical line (a line break outside brackets and strings).
        case newline
        /// The end of the source.
        case end
    }

    public var kind: Kind
    /// The token as written in the source (for `.newline` and `.end`, empty).
    public var text: String
    /// Where the token starts.
    public var location: SourceLocation
    /// Just past the token's last character.
    public var end: SourceLocation
    /// Whether whitespace (or the start of a line) comes right before the token.
    public var precededBySpace: Bool

    public init(_ kind: Kind, text: String, location: SourceLocation, end: SourceLocation, precededBySpace: Bool) {
        self.kind = kind
        self.text = text
        self.location = location
        self.end = end
        self.precededBySpace = precededBySpace
    }

    /// The identifier's text when this token is an identifier.
    public var identifier: String? {
        if case .identifier = kind { return text }
        return nil
    }

    /// Whether this is the identifier `name` (keywords are case-sensitive).
    public func isIdentifier(_ name: String) -> Bool {
        if case .identifier = kind { return text == name }
        return false
    }

    /// Whether the token ends a logical line.
    public var isEndOfLine: Bool {
        switch kind {
        case .newline, .end: return true
        default: return false
        }
    }

    /// How the token is named in messages: `'foo'`, `end of line`.
    var quotedForMessage: String {
        switch kind {
        case .newline, .end: return "end of line"
        default:
            let shown = text.count > 40 ? String(text.prefix(37)) + "..." : text
            return "'\(shown)'"
        }
    }
}
