import FaastCore

/// A position in the source: 1-based line and column (columns count characters).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public var description: String { "\(line):\(column)" }
}

/// A name as written, with where it was written (for errors and suggestions).
public struct Name: Sendable, Hashable {
    public var text: String
    public var location: SourceLocation
    public init(_ text: String, at location: SourceLocation) {
        self.text = text
        self.location = location
    }
}

/// A value expression: JSON literals, arrays and objects that may contain `$variables`.
public indirect enum Expr: Sendable, Hashable {
    case literal(JSONValue, SourceLocation)
    /// `$name`; `$_` is the last result and `$i` the fan-out index.
    case variable(Name)
    case array([Expr], SourceLocation)
    case object([(key: String, value: Expr)], SourceLocation)

    public var location: SourceLocation {
        switch self {
        case .literal(_, let l), .array(_, let l), .object(_, let l): return l
        case .variable(let n): return n.location
        }
    }

    public static func == (a: Expr, b: Expr) -> Bool {
        switch (a, b) {
        case (.literal(let x, let l1), .literal(let y, let l2)): return x == y && l1 == l2
        case (.variable(let x), .variable(let y)): return x == y
        case (.array(let x, let l1), .array(let y, let l2)): return x == y && l1 == l2
        case (.object(let x, let l1), .object(let y, let l2)):
            return l1 == l2 && x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(location)
    }
}

/// `key=value` after a command. A bare word value is a string literal (`mode=queue`).
public struct OptionArg: Sendable, Hashable {
    public var key: Name
    public var value: Expr
    public init(key: Name, value: Expr) {
        self.key = key
        self.value = value
    }
}

/// `name=value` inside a call's parentheses: a python keyword argument.
public struct KeywordArgument: Sendable, Hashable {
    public var name: Name
    public var value: Expr
    public init(name: Name, value: Expr) {
        self.name = name
        self.value = value
    }
}

/// `FN(ARGS) [xN] [key=value ...]`, the heart of `call`, `let` and `expect`.
public struct CallExpr: Sendable, Hashable {
    public var function: Name
    public var arguments: [Expr]
    /// `name=value` arguments, after the positional ones, in the order written.
    public var keywords: [KeywordArgument]
    /// The fan-out count after `x` (`x100`, `x$n`), nil for a single call.
    public var count: Expr?
    public var options: [OptionArg]
    public init(function: Name, arguments: [Expr], keywords: [KeywordArgument] = [], count: Expr? = nil,
                options: [OptionArg] = []) {
        self.function = function
        self.arguments = arguments
        self.keywords = keywords
        self.count = count
        self.options = options
    }
}

/// `map FN[(name=value, ...)] [v1, v2, ...] [key=value ...]`: one call per element; an array element spreads
/// into arguments; the keyword arguments in parentheses go to every call.
public struct MapExpr: Sendable, Hashable {
    public var function: Name
    public var keywords: [KeywordArgument]
    public var elements: Expr
    public var options: [OptionArg]
    public init(function: Name, keywords: [KeywordArgument] = [], elements: Expr, options: [OptionArg] = []) {
        self.function = function
        self.keywords = keywords
        self.elements = elements
        self.options = options
    }
}

/// What `let NAME = ...` binds.
public enum Binding: Sendable, Hashable {
    case call(CallExpr)
    case map(MapExpr)
    case value(Expr)
}

/// What `expect` checks.
public enum Expectation: Sendable, Hashable {
    /// `expect call FN(ARGS) == VALUE`
    case equals(CallExpr, Expr)
    /// `expect call FN(ARGS) fails [KIND]`
    case fails(CallExpr, kind: Name?)
}

/// One command of the faast language, as parsed from one logical line.
public enum Command: Sendable, Hashable {
    case open(provider: Name?, module: String, options: [OptionArg])
    case call(CallExpr)
    case map(MapExpr)
    case letBinding(Name, Binding)
    case expect(Expectation)
    /// `analyze call FN(ARGS) [xN] memory=… [key=value …]`: the workload, with `memory=` among its options.
    case analyze(CallExpr)
    case functions
    case help(Name?)
    case status
    case stats(Name?)
    /// `cost [text|csv|json]`: the form, when written.
    case cost(Name?)
    case results
    case logUrl(Name?)
    case logs(Name?, options: [OptionArg])
    case history(options: [OptionArg])
    case set([OptionArg])
    /// The text after `print`, unquoted if it was one quoted string; `$name` is interpolated when run.
    case print(String)
    case sleep(Expr)
    case source(String)
    /// What a deploy to Lambda would ship (the open module's, or MODULE's).
    case package(module: String?, options: [OptionArg])
    case cleanup
    case gc
    /// Leave the deployment up at exit, recorded for a later attach (as `--keep`).
    case keep
    /// Deploys the open module's code again (locally: fresh workers), with the same settings.
    case reload
    case exit
}

/// A parsed command and the line it started on.
public struct Statement: Sendable, Hashable {
    public var command: Command
    public var location: SourceLocation
    public init(_ command: Command, at location: SourceLocation) {
        self.command = command
        self.location = location
    }
}
