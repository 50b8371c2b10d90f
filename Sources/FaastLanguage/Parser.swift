import FaastCore

/// Parses the faast command language: one command per logical line.
public enum Parser {
    /// Parses a whole script, stopping at the first error. `firstLine` numbers the source's first line.
    /// `functions` (the open module's, when one is) only sharpens the message for a word that is not a command:
    /// `hello("x")` naming a function suggests `call hello("x")`.
    public static func parse(_ source: String, firstLine: Int = 1, functions: [String] = []) throws(ParseError) -> [Statement] {
        do throws(ParseError) {
            let tokens = try Lexer(source, firstLine: firstLine).tokenize()
            var state = ParserState(tokens: tokens, lines: SourceLines(source, firstLine: firstLine), functions: functions)
            return try state.parseStatements()
        } catch {
            throw error.naming(nil)
        }
    }

    /// Parses one logical line (which may span physical lines, as joined by a REPL's continuation prompt).
    /// Nil for a blank or comment-only line; an error when the text holds more than one command.
    public static func parseLine(_ line: String, lineNumber: Int = 1, functions: [String] = []) throws(ParseError) -> Statement? {
        do throws(ParseError) {
            let tokens = try Lexer(line, firstLine: lineNumber).tokenize()
            var state = ParserState(tokens: tokens, lines: SourceLines(line, firstLine: lineNumber), functions: functions)
            let statements = try state.parseStatements()
            if statements.count > 1 {
                throw state.lines.error("expected one command per line", at: statements[1].location)
            }
            return statements.first
        } catch {
            throw error.naming(nil)
        }
    }
}

/// Recursive descent over the tokens of one source.
struct ParserState {
    let tokens: [Token]
    let lines: SourceLines
    var index = 0
    /// Arrays and objects open around the value being parsed (bounded by `JSONValue.maxDepth`).
    var depth = 0
    /// The open module's function names (for the message of a word that is not a command).
    let functions: [String]

    init(tokens: [Token], lines: SourceLines, functions: [String] = []) {
        self.tokens = tokens
        self.lines = lines
        self.functions = functions
    }

    // MARK: - Token access

    var current: Token { tokens[index] }

    func peek(_ offset: Int = 1) -> Token {
        tokens[min(index + offset, tokens.count - 1)]
    }

    /// The token just consumed (or the current one at the very start).
    var previous: Token { tokens[max(index - 1, 0)] }

    @discardableResult
    mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    func error(_ message: String, at location: SourceLocation) -> ParseError {
        lines.error(message, at: location)
    }

    /// Where to point at for something missing before the current token: the current token, unless it is
    /// the end of the line or on a later line than the previous token, then just past the previous token.
    var missingLocation: SourceLocation {
        let token = current
        if index > 0, token.isEndOfLine || token.location.line > previous.end.line {
            return previous.end
        }
        return token.location
    }

    func expected(_ what: String) -> ParseError {
        error(what, at: missingLocation)
    }

    // MARK: - Statements

    mutating func parseStatements() throws(ParseError) -> [Statement] {
        var statements: [Statement] = []
        while true {
            switch current.kind {
            case .end:
                return statements
            case .newline:
                advance()
            default:
                let first = current
                do throws(ParseError) {
                    statements.append(try parseStatement())
                } catch {
                    throw error.naming(first.text)
                }
            }
        }
    }

    mutating func parseStatement() throws(ParseError) -> Statement {
        let first = current
        guard case .identifier = first.kind else {
            if isClosingBracket(first) {
                throw error("unbalanced \(first.quotedForMessage): no bracket is open", at: first.location)
            }
            throw error("expected a command, found \(first.quotedForMessage)", at: first.location)
        }
        guard let spec = Language.command(first.text) else {
            throw unknownCommand(first)
        }
        advance()
        let command: Command
        switch spec.name {
        case "open": command = try parseOpen()
        case "call": command = .call(try parseCall(after: "call"))
        case "map": command = .map(try parseMap())
        case "let": command = try parseLet()
        case "expect": command = try parseExpect()
        case "analyze":
            guard current.isIdentifier("call") else {
                throw expected("expected 'call' after 'analyze' (analyze call FN(ARGS) [xN] memory=128,256)")
            }
            advance()
            command = .analyze(try parseCall(after: "call", options: spec))
        case "functions": command = .functions
        case "help":
            var topic: Name?
            if case .identifier = current.kind {
                topic = Name(current.text, at: current.location)
                advance()
            } else if case .word = current.kind {
                topic = Name(current.text, at: current.location)
                advance()
            }
            command = .help(topic)
        case "status": command = .status
        case "stats": command = .stats(optionalFunctionName())
        case "cost": command = .cost(try optionalWord(of: spec))
        case "results": command = .results
        case "logUrl": command = .logUrl(optionalFunctionName())
        case "history": command = .history(options: try parseOptions(for: spec))
        case "logs":
            let function = isOptionStart ? nil : optionalFunctionName()
            command = .logs(function, options: try parseOptions(for: spec))
        case "set":
            guard isOptionStart else {
                throw expected("expected key=value after 'set'")
            }
            command = .set(try parseOptions(for: spec))
        case "print":
            switch current.kind {
            case .string(let value):
                advance()
                command = .print(value)
            case .rawText(let text):
                advance()
                command = .print(text)
            default:
                command = .print("")
            }
        case "sleep":
            command = .sleep(try parseSleep())
        case "source":
            guard let path = parsePath() else {
                throw expected("expected a file path after 'source'")
            }
            command = .source(path)
        case "package": command = .package(module: parsePath(), options: try parseOptions(for: spec))
        case "cleanup": command = .cleanup
        case "gc": command = .gc
        case "keep": command = .keep
        case "reload": command = .reload
        default: command = .exit
        }
        try expectEndOfCommand()
        return Statement(command, at: first.location)
    }

    mutating func expectEndOfCommand() throws(ParseError) {
        let token = current
        if token.isEndOfLine {
            advance()
            return
        }
        if isClosingBracket(token) {
            throw error("unbalanced \(token.quotedForMessage): no bracket is open", at: token.location)
        }
        throw error("unexpected \(token.quotedForMessage) after the command", at: token.location)
    }

    /// The word a `.word` operand allows (`cost csv`), nil when none is written; another word is an error
    /// that lists them.
    mutating func optionalWord(of spec: CommandSpec) throws(ParseError) -> Name? {
        guard case .word(let words) = spec.operand, case .identifier = current.kind else { return nil }
        let word = Name(current.text, at: current.location)
        guard words.contains(word.text) else {
            throw error("\(spec.name) takes \(words.joined(separator: ", ")) or nothing, not '\(word.text)'"
                + Suggestion.didYouMean(word.text, in: words), at: word.location)
        }
        advance()
        return word
    }

    mutating func optionalFunctionName() -> Name? {
        guard case .identifier = current.kind else { return nil }
        let name = Name(current.text, at: current.location)
        advance()
        return name
    }

    // MARK: - Commands

    mutating func parseOpen() throws(ParseError) -> Command {
        var provider: Name?
        if current.isIdentifier("local") || current.isIdentifier("aws") {
            let next = peek()
            // A provider when another token, the module, follows (separated by whitespace).
            if next.precededBySpace, startsPath(at: index + 1) {
                provider = Name(current.text, at: current.location)
                advance()
            }
        }
        guard let module = parsePath() else {
            throw expected("expected a module path after 'open'")
        }
        return .open(provider: provider, module: module, options: try parseOptions(for: Language.command("open")!))
    }

    /// Whether a path starts at token `i`: a quoted string, or a word that is not an option key.
    func startsPath(at i: Int) -> Bool {
        guard i < tokens.count else { return false }
        switch tokens[i].kind {
        case .string: return true
        case .identifier, .word, .number:
            return !(i + 1 < tokens.count && tokens[i + 1].kind == .equals)
        default: return false
        }
    }

    /// A path: a quoted string, or a run of adjacent words (and colons: `C:\dir`) up to whitespace.
    mutating func parsePath() -> String? {
        guard startsPath(at: index) else { return nil }
        if case .string(let value) = current.kind {
            advance()
            return value
        }
        return joinAdjacentWords()
    }

    /// The text of the current word and of the words and colons written right after it, without space.
    mutating func joinAdjacentWords() -> String {
        var text = advance().text
        while !current.precededBySpace {
            switch current.kind {
            case .identifier, .word, .number, .colon:
                text += advance().text
            default:
                return text
            }
        }
        return text
    }

    mutating func parseLet() throws(ParseError) -> Command {
        let nameToken = current
        let name: Name
        switch nameToken.kind {
        case .identifier:
            name = Name(nameToken.text, at: nameToken.location)
        case .variable(let text):
            name = Name(text, at: nameToken.location)
        default:
            throw expected("expected a variable name after 'let'")
        }
        advance()
        guard current.kind == .equals else {
            throw expected("expected '=' after 'let \(name.text)'")
        }
        advance()
        if current.isIdentifier("call") {
            advance()
            return .letBinding(name, .call(try parseCall(after: "call")))
        }
        if current.isIdentifier("map") {
            advance()
            return .letBinding(name, .map(try parseMap()))
        }
        if current.isEndOfLine {
            throw expected("expected a value after 'let \(name.text) ='")
        }
        return .letBinding(name, .value(try parseValue()))
    }

    mutating func parseExpect() throws(ParseError) -> Command {
        guard current.isIdentifier("call") else {
            throw expected("expected 'call' after 'expect'")
        }
        advance()
        let call = try parseCall(after: "call")
        if current.kind == .doubleEquals {
            advance()
            if current.isEndOfLine {
                throw expected("expected a value after '=='")
            }
            return .expect(.equals(call, try parseValue()))
        }
        if current.isIdentifier("fails") {
            advance()
            var kind: Name?
            if case .identifier = current.kind {
                kind = Name(current.text, at: current.location)
                advance()
            }
            return .expect(.fails(call, kind: kind))
        }
        if current.kind == .equals {
            throw error("expected '==' or 'fails' after the call ('=' assigns, '==' compares)", at: current.location)
        }
        throw expected("expected '==' or 'fails' after the call")
    }

    mutating func parseSleep() throws(ParseError) -> Expr {
        let token = current
        switch token.kind {
        case .number:
            let value = try parseValue()
            try checkLiteral(value, Language.sleepSeconds, subject: "sleep")
            return value
        case .variable:
            return try parseValue()
        case .word where looksNumeric(token.text):
            throw error("invalid number '\(token.text)' (the duration is in seconds, e.g. sleep 0.5)",
                        at: token.location)
        default:
            throw expected("expected a duration in seconds after 'sleep' (a number or $variable)")
        }
    }
}
