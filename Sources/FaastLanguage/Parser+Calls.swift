import FaastCore

/// `FN(ARGS) [xN] [key=value ...]` and `map FN ELEMENTS`: the calls of `call`, `let`, `expect` and `map`.
extension ParserState {

    /// `FN(ARGS) [xN] [key=value ...]`, after the keyword.
    mutating func parseCall(after keyword: String, options optionsSpec: CommandSpec? = nil) throws(ParseError) -> CallExpr {
        guard case .identifier = current.kind else {
            if case .word = current.kind {
                throw error("invalid function name '\(current.text)'", at: current.location)
            }
            throw expected("expected a function name after '\(keyword)'")
        }
        let function = Name(current.text, at: current.location)
        advance()
        guard current.kind == .leftParen else {
            throw expected("expected '(' after function name '\(function.text)'")
        }
        let (arguments, keywords) = try parseArguments()
        var call = CallExpr(function: function, arguments: arguments, keywords: keywords)
        var options: [OptionArg] = []
        var seen: Set<String> = []
        let callSpec = optionsSpec ?? Language.command("call")!
        while true {
            if isOptionStart {
                options.append(try parseOption(seen: &seen, for: callSpec))
            } else if let countToken = countStart {
                if call.count != nil {
                    throw error("the count is already given", at: countToken.location)
                }
                call.count = try parseCount()
            } else {
                break
            }
        }
        call.options = options
        return call
    }

    /// `(ARGS)`, the current token being `(`: positional arguments, then `name=value` keyword arguments.
    mutating func parseArguments() throws(ParseError) -> ([Expr], [KeywordArgument]) {
        let open = advance()
        var arguments: [Expr] = []
        var keywords: [KeywordArgument] = []
        if current.kind == .rightParen {
            advance()
            return (arguments, keywords)
        }
        while true {
            if current.kind == .comma {
                throw error("expected an argument, found ','", at: current.location)
            }
            if current.isEndOfLine {
                throw expected("expected ')' after arguments")
            }
            try closingMismatch(expecting: ")", open: open)
            if case .identifier = current.kind, peek().kind == .equals {
                keywords.append(try parseKeyword(after: keywords))
            } else if let first = keywords.first {
                throw error("positional argument after keyword argument '\(first.name.text)=' "
                            + "(keyword arguments come after the positional ones)", at: current.location)
            } else {
                do {
                    arguments.append(try parseValue())
                } catch {
                    throw stillOpen(error, open: open)
                }
            }
            if current.kind == .comma {
                advance()
                if current.kind == .rightParen {
                    throw error("expected an argument after ',' (trailing commas are not allowed)",
                                at: current.location)
                }
                continue
            }
            if current.kind == .rightParen {
                advance()
                return (arguments, keywords)
            }
            try closingMismatch(expecting: ")", open: open)
            if startsValue(current), !current.isEndOfLine, current.location.line == previous.end.line {
                throw error("expected ',' between arguments", at: current.location)
            }
            throw expected("expected ')' after arguments")
        }
    }

    /// `name=value`, the current token being the name.
    private mutating func parseKeyword(after earlier: [KeywordArgument]) throws(ParseError) -> KeywordArgument {
        let name = Name(current.text, at: current.location)
        if earlier.contains(where: { $0.name.text == name.text }) {
            throw error("keyword argument '\(name.text)' is given twice", at: name.location)
        }
        advance()
        advance()  // '='
        if current.isEndOfLine || current.kind == .comma || current.kind == .rightParen {
            throw expected("expected a value after '\(name.text)='")
        }
        return KeywordArgument(name: name, value: try parseValue())
    }

    /// A command word that begins a later line than an unclosed bracket is a script's next command read as an
    /// argument: the message says where the bracket was opened.
    func stillOpen(_ error: ParseError, open: Token) -> ParseError {
        guard error.location == current.location, current.location.line > previous.end.line,
              Language.command(current.text) != nil else { return error }
        var e = error
        e.message += "; the '\(open.text)' at \(open.location.line):\(open.location.column) is not closed"
        return e
    }

    /// The current token when it starts a count: `x`, `x100`, `x1.5` (an invalid one), not `x=...`.
    var countStart: Token? {
        let token = current
        switch token.kind {
        case .identifier, .word: break
        default: return nil
        }
        guard token.text.first == "x", peek().kind != .equals else { return nil }
        let rest = token.text.dropFirst()
        if rest.isEmpty { return token }
        // `x-1` is a count too, an invalid one (said so, rather than "unexpected 'x-1'").
        if let c = rest.first, c.isASCII, c.isNumber || c == "-" { return token }
        return nil
    }

    mutating func parseCount() throws(ParseError) -> Expr {
        let token = advance()
        let rest = String(token.text.dropFirst())
        let restLocation = SourceLocation(line: token.location.line, column: token.location.column + 1)
        if !rest.isEmpty {
            guard rest.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw error("invalid count '\(rest)' after 'x' (a whole number or $variable)", at: restLocation)
            }
            try checkCount(rest, at: restLocation)
            return .literal(.number(rest), restLocation)
        }
        let next = current
        switch next.kind {
        case .variable(let name) where next.location.line == token.end.line:
            advance()
            return .variable(Name(name, at: next.location))
        case .number where next.location.line == token.end.line:
            guard next.text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw error("invalid count '\(next.text)' after 'x' (a whole number or $variable)",
                            at: next.location)
            }
            advance()
            try checkCount(next.text, at: next.location)
            return .literal(.number(next.text), next.location)
        default:
            throw expected("expected a count after 'x' (e.g. x100 or x$n)")
        }
    }

    /// `FN ELEMENTS [key=value ...]`, after `map`.
    mutating func parseMap() throws(ParseError) -> MapExpr {
        guard case .identifier = current.kind else {
            throw expected("expected a function name after 'map'")
        }
        let function = Name(current.text, at: current.location)
        advance()
        var keywords: [KeywordArgument] = []
        if current.kind == .leftParen {
            // `map f(name=value) [...]`: keyword arguments for every call; the elements give the positional ones.
            let open = current
            let (positional, named) = try parseArguments()
            if let first = positional.first {
                throw error("map's parentheses take only keyword arguments (name=value); the elements after them "
                            + "give the positional ones, e.g. map \(function.text) [1, 2, 3]", at: first.location)
            }
            if named.isEmpty {
                throw error("expected keyword arguments (name=value) in map's parentheses, or none at all",
                            at: open.location)
            }
            keywords = named
        }
        guard startsValue(current), !isOptionStart else {
            throw expected("expected the elements after 'map \(function.text)', e.g. [1, 2, 3]")
        }
        let elements = try parseValue()
        return MapExpr(function: function, keywords: keywords, elements: elements, options: try parseOptions(for: Language.command("map")!))
    }
}
