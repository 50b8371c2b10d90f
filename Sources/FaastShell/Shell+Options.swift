import FaastCore
import FaastLanguage

/// Options as the language table defines them: each value is evaluated (its `$variables` replaced), checked
/// against its kind, and written through the option's setter. The parser has already refused unknown keys
/// and literal values out of range; this catches values that come from variables, in the same words.
extension Shell {
    /// The checked value of `opt`, or a usage error pointing at the value.
    func checkedValue(_ opt: OptionArg, _ spec: OptionSpec) throws -> OptionValue {
        let value = try evaluate(opt.value, index: nil)
        switch spec.check(value) {
        case .success(let checked): return checked
        case .failure(let problem): throw ShellError(problem.message, at: opt.value.location)
        }
    }

    /// The entry of `opt` in `command`'s options (commands built without the parser may hold any key).
    func spec(of opt: OptionArg, in command: CommandSpec) throws -> OptionSpec {
        guard let spec = command.option(opt.key.text) else {
            let keys = command.optionKeys
            throw ShellError("unknown option '\(opt.key.text)' for \(command.name)" + Suggestion.didYouMean(opt.key.text, in: keys)
                + "; options: " + keys.joined(separator: ", "), at: opt.key.location)
        }
        return spec
    }

    /// Per-call options over the session's defaults.
    func callOptions(_ opts: [OptionArg], over base: CallOptions? = nil) throws -> CallOptions {
        var options = base ?? callDefaults
        let call = Language.command("call")!
        for opt in opts {
            let spec = try spec(of: opt, in: call)
            spec.apply(try checkedValue(opt, spec), to: &options)
        }
        return options
    }

    /// `open`'s options over the session's deploy settings.
    func deploySettings(_ opts: [OptionArg], over base: DeploySettings) throws -> DeploySettings {
        var settings = base
        let open = Language.command("open")!
        for opt in opts {
            let spec = try spec(of: opt, in: open)
            spec.apply(try checkedValue(opt, spec), to: &settings)
        }
        return settings
    }

    /// A value that is not an option (a fan-out count, `sleep`'s seconds) checked against `kind`.
    func checked(_ expr: Expr, _ kind: ValueKind, subject: String) throws -> OptionValue {
        let value = try evaluate(expr, index: nil)
        switch kind.check(value) {
        case .success(let checked): return checked
        case .failure(let problem): throw ShellError(problem.message(subject: subject), at: expr.location)
        }
    }
}
