import FaastCore

/// `key=value` options, checked against the command's entry in `Language`: an unknown key is a syntax error
/// with a suggestion, and a value written as a literal is checked against its kind before anything runs
/// (values with `$variables` are checked by the shell when it evaluates them, the same way).
extension ParserState {
    /// Whether `key=` starts at the current token.
    var isOptionStart: Bool {
        switch current.kind {
        case .identifier, .word: return peek().kind == .equals && peek().location.line == current.end.line
        default: return false
        }
    }

    mutating func parseOptions(for command: CommandSpec) throws(ParseError) -> [OptionArg] {
        var options: [OptionArg] = []
        var seen: Set<String> = []
        while isOptionStart {
            options.append(try parseOption(seen: &seen, for: command))
        }
        return options
    }

    static func isOptionKey(_ text: String) -> Bool {
        guard let first = text.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return text.allSatisfy { $0 == "_" || $0 == "-" || $0 == "." || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }

    /// `key=value`: a bare word value is a string; numbers, strings, `$variables`, arrays, objects, `true`,
    /// `false` and `null` are values.
    mutating func parseOption(seen: inout Set<String>, for command: CommandSpec) throws(ParseError) -> OptionArg {
        let keyToken = advance()
        guard ParserState.isOptionKey(keyToken.text) else {
            throw error("invalid option name '\(keyToken.text)'", at: keyToken.location)
        }
        let key = Name(keyToken.text, at: keyToken.location)
        guard let spec = command.option(key.text) else {
            throw error(Self.unknownOption(key.text, for: command), at: key.location)
        }
        guard seen.insert(key.text).inserted else {
            throw error("duplicate option '\(key.text)'", at: key.location)
        }
        advance()  // =
        let valueToken = current
        let missing = "expected a value after '\(key.text)='"
        if valueToken.isEndOfLine || valueToken.location.line > previous.end.line || isOptionStart {
            throw error(missing, at: previous.end)
        }
        let value: Expr
        switch valueToken.kind {
        case .identifier, .word, .number:
            var text = joinAdjacentWords()
            if case .counts = spec.kind { text += joinCommaList() }
            let literal: JSONValue
            if text != valueToken.text {
                literal = .string(text)
            } else {
                switch valueToken.kind {
                case .number: literal = .number(text)
                case .identifier where text == "true": literal = .bool(true)
                case .identifier where text == "false": literal = .bool(false)
                case .identifier where text == "null": literal = .null
                default: literal = .string(text)
                }
            }
            value = .literal(literal, valueToken.location)
        case .string, .variable, .leftBracket, .leftBrace:
            value = try parseValue()
        case .doubleEquals:
            throw error(missing, at: previous.end)
        default:
            if isClosingBracket(valueToken) {
                throw error("unbalanced \(valueToken.quotedForMessage): no bracket is open", at: valueToken.location)
            }
            throw error("\(missing), found \(valueToken.quotedForMessage)", at: valueToken.location)
        }
        if let constant = value.constantValue, case .failure(let problem) = spec.check(constant) {
            throw error(problem.message, at: value.location)
        }
        return OptionArg(key: key, value: value)
    }

    /// The rest of a comma-separated list written without spaces (`memory=128,256,512`), from the first comma.
    mutating func joinCommaList() -> String {
        var text = ""
        while current.kind == .comma, !current.precededBySpace, !peek().precededBySpace {
            switch peek().kind {
            case .identifier, .word, .number:
                advance()
                text += "," + joinAdjacentWords()
            default:
                return text
            }
        }
        return text
    }

    /// `unknown option 'mdoe' for call (did you mean 'mode'?); options: mode, timeout, …`
    static func unknownOption(_ key: String, for command: CommandSpec) -> String {
        let keys = command.optionKeys
        if keys.isEmpty { return "'\(command.name)' takes no options" }
        return "unknown option '\(key)' for \(command.name)" + Suggestion.didYouMean(key, in: keys)
            + "; options: " + keys.joined(separator: ", ")
    }

    /// A literal fan-out count must be within the cap (`x1000000000` says what the cap is).
    func checkCount(_ digits: String, at location: SourceLocation) throws(ParseError) {
        if case .failure(let problem) = Language.fanOutCount.check(.number(digits)) {
            throw error(problem.message(subject: "the fan-out count"), at: location)
        }
    }

    /// Checks a value that holds no variables against `kind`.
    func checkLiteral(_ value: Expr, _ kind: ValueKind, subject: String) throws(ParseError) {
        if let constant = value.constantValue, case .failure(let problem) = kind.check(constant) {
            throw error(problem.message(subject: subject), at: value.location)
        }
    }
}

extension Expr {
    /// The value when the expression holds no variables (known before anything runs), else nil.
    public var constantValue: JSONValue? {
        switch self {
        case .literal(let v, _): return v
        case .variable: return nil
        case .array(let items, _):
            var values: [JSONValue] = []
            for item in items {
                guard let v = item.constantValue else { return nil }
                values.append(v)
            }
            return .array(values)
        case .object(let members, _):
            var values: [JSONMember] = []
            for m in members {
                guard let v = m.value.constantValue else { return nil }
                values.append(JSONMember(m.key, v))
            }
            return .object(values)
        }
    }
}
