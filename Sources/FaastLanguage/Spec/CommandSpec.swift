/// What follows a command's keyword, for Tab completion and the parser's dispatch.
public enum Operand: Sendable, Hashable {
    case none
    /// `FN(ARGS) [xN]` (call, and after `let x =` / `expect`).
    case call
    /// `FN [elements]`.
    case map
    /// `NAME = call … | map … | VALUE`.
    case binding
    /// `call FN(ARGS) == VALUE | fails [KIND]`.
    case expectation
    /// `call FN(ARGS) [xN]` (after `analyze`).
    case analysis
    /// An optional function name of the open module.
    case function
    /// A module path, after an optional provider name.
    case module
    /// A `.faast` script path.
    case script
    /// A command or function name.
    case topic
    /// Only `key=value` settings (`set`, `history`).
    case settings
    /// The rest of the line.
    case text
    /// A number of seconds.
    case seconds
    /// One of these words, or none (the first is the default).
    case word([String])
}

/// One command of the language: its keyword, usage line, one-line help, the options it takes, and
/// examples. `Language.commands` is the table every part of faast reads.
public struct CommandSpec: Sendable {
    public let name: String
    /// Other keywords for the same command (`quit` for `exit`).
    public let aliases: [String]
    public let usage: String
    public let summary: String
    public let operand: Operand
    public let options: [OptionSpec]
    public let examples: [String]

    init(
        _ name: String, aliases: [String] = [], usage: String? = nil, _ summary: String, operand: Operand = .none,
        options: [OptionSpec] = [], examples: [String] = []
    ) {
        self.name = name
        self.aliases = aliases
        self.usage = usage ?? name
        self.summary = summary
        self.operand = operand
        self.options = options
        self.examples = examples
    }

    /// The option spelled `key`, if this command takes it.
    public func option(_ key: String) -> OptionSpec? { options.first { $0.key == key } }

    public var optionKeys: [String] { options.map(\.key) }

    /// The keyword and its aliases.
    public var keywords: [String] { [name] + aliases }
}
