/// A syntax error, with where it is and the source line it is on.
public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var location: SourceLocation
    /// The physical source line the location points into (without its line break).
    public var sourceLine: String
    /// The keyword of the command the error is in, when known (JSON output names it).
    public var command: String?

    public init(_ message: String, at location: SourceLocation, sourceLine: String) {
        self.message = message
        self.location = location
        self.sourceLine = sourceLine
    }

    /// `file:3:14: error: message`, then the source line, then a caret under the column.
    /// With no file (or `<stdin>`) the first line starts at the line number: `3:14: error: ...`.
    /// Tabs before the column are kept in the caret line so the caret lines up in a terminal.
    public func rendered(file: String? = nil) -> String {
        var header = ""
        if let file, !file.isEmpty, file != "<stdin>" { header = file + ":" }
        header += "\(location.line):\(location.column): error: \(message)"
        var caret = ""
        var column = 1
        for ch in sourceLine {
            if column >= location.column { break }
            caret.append(ch == "\t" ? "\t" : " ")
            column += 1
        }
        while column < location.column {
            caret.append(" ")
            column += 1
        }
        caret.append("^")
        return header + "\n" + sourceLine + "\n" + caret
    }

    public var description: String { rendered(file: nil) }
}

extension ParseError {
    /// The error with its command set: `keyword` when given (the parser knew it), else the first word of the
    /// error's line when that is a command (an error of the lexer, before any command was parsed).
    func naming(_ keyword: String?) -> ParseError {
        guard command == nil else { return self }
        var named = self
        let firstWord = sourceLine.drop { $0 == " " || $0 == "\t" }.prefix { $0.isLetter }
        named.command = (keyword.flatMap(Language.command) ?? Language.command(String(firstWord)))?.name
        return named
    }
}

/// The source split into physical lines, to quote a line in an error.
struct SourceLines: Sendable {
    let lines: [String]
    let firstLine: Int

    init(_ source: String, firstLine: Int) {
        var lines: [String] = []
        var current = ""
        for ch in source {
            if isLineBreak(ch) {
                lines.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        lines.append(current)
        if let first = lines.first, first.hasPrefix("\u{FEFF}") { lines[0] = String(first.dropFirst()) }
        self.lines = lines
        self.firstLine = firstLine
    }

    func text(ofLine line: Int) -> String {
        let index = line - firstLine
        return lines.indices.contains(index) ? lines[index] : ""
    }

    func error(_ message: String, at location: SourceLocation) -> ParseError {
        ParseError(message, at: location, sourceLine: text(ofLine: location.line))
    }
}

@inline(__always)
func isLineBreak(_ ch: Character) -> Bool {
    ch == "\n" || ch == "\r\n" || ch == "\r"
}
