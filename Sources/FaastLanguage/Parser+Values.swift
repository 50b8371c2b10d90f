import FaastCore

/// JSON-like values with `$variables`: literals, arrays and objects, nested within the parser's depth limit.
extension ParserState {

    func isClosingBracket(_ token: Token) -> Bool {
        switch token.kind {
        case .rightParen, .rightBracket, .rightBrace: return true
        default: return false
        }
    }

    func startsValue(_ token: Token) -> Bool {
        switch token.kind {
        case .string, .number, .variable, .leftBracket, .leftBrace, .identifier, .word: return true
        default: return false
        }
    }

    func looksNumeric(_ text: String) -> Bool {
        guard let first = text.first else { return false }
        if first.isASCII && first.isNumber { return true }
        if first == "-" || first == "+" || first == "." {
            if let second = text.dropFirst().first, second == "." || (second.isASCII && second.isNumber) {
                return true
            }
        }
        return false
    }

    /// When the current token closes a different bracket than the one open, a "mismatched" error.
    func closingMismatch(expecting closer: String, open: Token) throws(ParseError) {
        let token = current
        guard isClosingBracket(token) else { return }
        throw error(
            "mismatched \(token.quotedForMessage): expected '\(closer)' to close the '\(open.text)' at \(open.location)",
            at: token.location)
    }

    /// A JSON-like value: literals, strings in either quotes, arrays, objects (bare-name keys allowed),
    /// `$variables`.
    mutating func parseValue() throws(ParseError) -> Expr {
        let token = current
        switch token.kind {
        case .string(let value):
            advance()
            return .literal(.string(value), token.location)
        case .number:
            advance()
            return .literal(.number(token.text), token.location)
        case .variable(let name):
            advance()
            return .variable(Name(name, at: token.location))
        case .identifier:
            switch token.text {
            case "true": advance(); return .literal(.bool(true), token.location)
            case "false": advance(); return .literal(.bool(false), token.location)
            case "null": advance(); return .literal(.null, token.location)
            default:
                throw error(
                    "expected a value, found '\(token.text)' (strings need quotes: \"\(token.text)\")",
                    at: token.location)
            }
        case .word:
            if looksNumeric(token.text) {
                throw error("invalid number '\(token.text)'", at: token.location)
            }
            throw error("expected a value, found \(token.quotedForMessage)", at: token.location)
        case .leftBracket:
            return try parseArray()
        case .leftBrace:
            return try parseObject()
        case .newline, .end:
            throw expected("expected a value")
        default:
            if isClosingBracket(token) {
                throw error("unexpected \(token.quotedForMessage), expected a value", at: token.location)
            }
            throw error("expected a value, found \(token.quotedForMessage)", at: token.location)
        }
    }

    /// Counts one more level of nesting; past `JSONValue.maxDepth` the value is an error at its bracket,
    /// before the recursion of this parser (and of everything that walks the value later) can exhaust the stack.
    mutating func enterNested(_ open: Token) throws(ParseError) {
        depth += 1
        if depth > JSONValue.maxDepth {
            throw error("value nested deeper than \(JSONValue.maxDepth) levels", at: open.location)
        }
    }

    mutating func parseArray() throws(ParseError) -> Expr {
        let open = advance()
        try enterNested(open)
        defer { depth -= 1 }
        var elements: [Expr] = []
        if current.kind == .rightBracket {
            advance()
            return .array([], open.location)
        }
        while true {
            if current.kind == .comma {
                throw error("expected an array element, found ','", at: current.location)
            }
            if current.isEndOfLine {
                throw expected("expected ']' after array elements")
            }
            try closingMismatch(expecting: "]", open: open)
            elements.append(try parseValue())
            if current.kind == .comma {
                advance()
                if current.kind == .rightBracket {
                    throw error("expected an array element after ',' (trailing commas are not allowed)",
                                at: current.location)
                }
                continue
            }
            if current.kind == .rightBracket {
                advance()
                return .array(elements, open.location)
            }
            try closingMismatch(expecting: "]", open: open)
            if startsValue(current), current.location.line == previous.end.line {
                throw error("expected ',' between array elements", at: current.location)
            }
            throw expected("expected ']' after array elements")
        }
    }

    mutating func parseObject() throws(ParseError) -> Expr {
        let open = advance()
        try enterNested(open)
        defer { depth -= 1 }
        var members: [(key: String, value: Expr)] = []
        if current.kind == .rightBrace {
            advance()
            return .object([], open.location)
        }
        while true {
            let keyToken = current
            let key: String
            switch keyToken.kind {
            case .string(let value): key = value
            case .identifier: key = keyToken.text
            case .comma:
                throw error("expected an object key, found ','", at: keyToken.location)
            default:
                if keyToken.isEndOfLine {
                    throw expected("expected '}' after object members")
                }
                try closingMismatch(expecting: "}", open: open)
                throw error("expected an object key (a string or a name), found \(keyToken.quotedForMessage)",
                            at: keyToken.location)
            }
            advance()
            guard current.kind == .colon else {
                throw expected("expected ':' after object key")
            }
            advance()
            if current.isEndOfLine || current.kind == .comma || current.kind == .rightBrace {
                throw expected("expected a value after '\(keyToken.text):'")
            }
            members.append((key: key, value: try parseValue()))
            if current.kind == .comma {
                advance()
                if current.kind == .rightBrace {
                    throw error("expected an object member after ',' (trailing commas are not allowed)",
                                at: current.location)
                }
                continue
            }
            if current.kind == .rightBrace {
                advance()
                return .object(members, open.location)
            }
            try closingMismatch(expecting: "}", open: open)
            if startsValue(current), current.location.line == previous.end.line {
                throw error("expected ',' between object members", at: current.location)
            }
            throw expected("expected '}' after object members")
        }
    }
}
