import FaastCore

/// Messages for a first word that is not a command: the nearest name from the namespace the user was
/// most likely reaching for (a command, or a function of the open module), and for `fn(args)` as IPython
/// and node users type it, the same line with `call` in front. Nothing runs: it is a syntax error.
extension ParserState {
    mutating func unknownCommand(_ first: Token) -> ParseError {
        let word = first.text
        if peek().kind == .leftParen, !peek().precededBySpace {
            let written = writtenCall(startingAt: first)
            if functions.contains(word) {
                return error("'\(word)' is a function: write call \(written)", at: first.location)
            }
            if let near = Suggestion.closest(to: word, in: functions) {
                return error("unknown command '\(word)' (did you mean call \(near)(…)?)", at: first.location)
            }
            if let near = Suggestion.closest(to: word, in: Language.keywords) {
                return error("unknown command '\(word)' (did you mean '\(near)'?)", at: first.location)
            }
            return error("unknown command '\(word)'; to call a function, write call \(written)", at: first.location)
        }
        if let near = Suggestion.closest(to: word, in: Language.keywords) {
            return error("unknown command '\(word)' (did you mean '\(near)'?)", at: first.location)
        }
        if functions.contains(word) {
            return error("'\(word)' is a function: write call \(word)(ARGS)", at: first.location)
        }
        if let near = Suggestion.closest(to: word, in: functions) {
            return error("unknown command '\(word)' (did you mean call \(near)(…)?)", at: first.location)
        }
        return error("unknown command '\(word)' (help lists the commands)", at: first.location)
    }

    /// The text of `fn(args)` as written on its line (up to the matching parenthesis), for the suggestion.
    private mutating func writtenCall(startingAt first: Token) -> String {
        let line = lines.text(ofLine: first.location.line)
        let start = line.index(line.startIndex, offsetBy: max(0, first.location.column - 1), limitedBy: line.endIndex) ?? line.endIndex
        var end = line.endIndex
        if (try? parseCall(after: "call")) != nil, previous.end.line == first.location.line {
            end = line.index(line.startIndex, offsetBy: max(0, previous.end.column - 1), limitedBy: line.endIndex) ?? line.endIndex
        }
        if end < start { end = line.endIndex }
        var text = Substring(line[start..<end])
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return String(text)
    }
}
