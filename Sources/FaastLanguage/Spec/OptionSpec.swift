import FaastCore

/// The settings `set` changes that are not call defaults: how the session writes.
public struct SessionSettings: Sendable, Hashable {
    public var format = OutputFormat.text
    /// Show latencies after results; nil: only when standard output is a terminal.
    public var timing: Bool?
    /// Print each command before running it.
    public var echo = false
    /// The prompt (`{module}`, `{provider}` replaced); nil: `MODULE@PROVIDER> `.
    public var prompt: String?
    /// At the prompt, long output goes through the pager.
    public var pager = true
    /// At the prompt, a value of more lines is shortened; 0: never.
    public var maxLines = 100
    /// A single call's text output shows what the function printed during it, below its value.
    public var output = true
    /// Locally, an edited module (or a file it imports) is reloaded on fresh workers before the next call.
    public var autoreload = true
    public init() {}
}

/// How results are written: for people, or one JSON object per command for scripts.
public enum OutputFormat: String, Sendable, CaseIterable {
    case text
    case json
}

/// One `key=value` option: its name, the values it takes, its default, one line of help, and where a checked
/// value goes. A command lists the options it accepts (see `Language`); parsing, validation, `help`, Tab
/// completion and the README's option table all read this one definition.
public struct OptionSpec: Sendable {
    public let key: String
    public let kind: ValueKind
    /// The default as shown in help (`60`, `https`, `none`).
    public let defaultValue: String
    public let help: String
    /// Only some providers read it (`aws` for `region=`); empty: every provider.
    public let providers: [String]
    /// Where the value goes in a call's options (`call … key=`, and `set key=` for the session's defaults).
    let toCall: (@Sendable (inout CallOptions, OptionValue) -> Void)?
    /// Where the value goes in the deployment's settings (`open … key=`).
    let toDeploy: (@Sendable (inout DeploySettings, OptionValue) -> Void)?
    /// Where the value goes in the session's output settings (`set key=`).
    let toSession: (@Sendable (inout SessionSettings, OptionValue) -> Void)?

    init(
        _ key: String, _ kind: ValueKind, default defaultValue: String, help: String, providers: [String] = [],
        call: (@Sendable (inout CallOptions, OptionValue) -> Void)? = nil,
        deploy: (@Sendable (inout DeploySettings, OptionValue) -> Void)? = nil,
        session: (@Sendable (inout SessionSettings, OptionValue) -> Void)? = nil
    ) {
        self.key = key
        self.kind = kind
        self.defaultValue = defaultValue
        self.help = help
        self.providers = providers
        toCall = call
        toDeploy = deploy
        toSession = session
    }

    /// Whether a call can take it (and `set` as a session default).
    public var isCallOption: Bool { toCall != nil }

    /// Checks `value` against the kind; the error message names the option (`timeout= takes …`).
    public func check(_ value: JSONValue) -> Result<OptionValue, OptionError> {
        kind.check(value).mapError { OptionError(message: $0.message(subject: key + "=")) }
    }

    /// Writes a checked value into call options; false when this option is not a call option.
    @discardableResult
    public func apply(_ value: OptionValue, to options: inout CallOptions) -> Bool {
        guard let toCall else { return false }
        toCall(&options, value)
        return true
    }

    /// Writes a checked value into deploy settings; false when `open` does not take this option.
    @discardableResult
    public func apply(_ value: OptionValue, to settings: inout DeploySettings) -> Bool {
        guard let toDeploy else { return false }
        toDeploy(&settings, value)
        return true
    }

    /// Writes a checked value into the session's output settings; false when it is not one.
    @discardableResult
    public func apply(_ value: OptionValue, to settings: inout SessionSettings) -> Bool {
        guard let toSession else { return false }
        toSession(&settings, value)
        return true
    }
}

/// A value that does not fit its option, with the message to show.
public struct OptionError: Error, Sendable, Hashable {
    public var message: String
}

extension OptionValue {
    // Accessors for the table's setters: each setter reads the case its option's kind produces.
    public var double: Double { if case .number(let d) = self { return d }; if case .count(let n) = self { return Double(n) }; return 0 }
    public var int: Int { if case .count(let n) = self { return n }; return 0 }
    public var bool: Bool { if case .flag(let b) = self { return b }; return false }
    public var string: String {
        switch self {
        case .choice(let s), .text(let s): return s
        default: return ""
        }
    }
    public var strings: [String] { if case .list(let l) = self { return l }; return [] }
    public var ints: [Int] { if case .counts(let n) = self { return n }; return [] }
    public var pairList: [Pair] { if case .pairs(let p) = self { return p }; return [] }
}
