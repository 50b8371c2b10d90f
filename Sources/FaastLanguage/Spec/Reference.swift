/// The language table rendered for people: the text of `help` and the README's tables.
public enum Reference {
    /// `help`: one line per command.
    public static var overview: String {
        let width = Language.commands.map(\.usage.count).max() ?? 0
        return (["commands:"] + Language.commands.map { "  " + pad($0.usage, width) + "  " + $0.summary } + [
            "values are JSON ('single quotes' too); # starts a comment; open brackets continue on the next line.",
            "help COMMAND shows its options and examples; help FN a function's signature and documentation.",
            "Ctrl-C cancels a running command, Ctrl-D leaves.",
        ]).joined(separator: "\n")
    }

    /// `help COMMAND`: usage, summary, each option with its values and default, examples.
    public static func help(for command: CommandSpec) -> String {
        var lines = [command.usage, "  " + command.summary]
        if !command.options.isEmpty {
            lines.append("options:")
            let shown = command.options.map { "\($0.key)=\($0.kind.placeholder)" }
            let width = shown.map(\.count).max() ?? 0
            for (option, usage) in zip(command.options, shown) {
                var line = "  " + pad(usage, width) + "  " + option.help + " (" + option.kind.allowed
                    + "; default " + option.defaultValue + ")"
                if !option.providers.isEmpty { line += " [" + option.providers.joined(separator: ", ") + "]" }
                lines.append(line)
            }
        }
        if !command.examples.isEmpty {
            lines.append("examples:")
            lines += command.examples.map { "  " + $0 }
        }
        return lines.joined(separator: "\n")
    }

    /// The README's tables of commands and options, in markdown.
    public static var markdown: String {
        var lines = ["| command | what it does | options |", "|---|---|---|"]
        for c in Language.commands {
            let usage = c.keywords.count > 1 ? c.keywords.map { "`\($0)`" }.joined(separator: " / ")
                : "`" + c.usage.replacingOccurrences(of: "|", with: "\\|") + "`"
            let options = c.options.map { "`\($0.key)`" }.joined(separator: " ")
            lines.append("| \(usage) | \(cell(c.summary)) | \(options) |")
        }
        lines += ["", "| option | value | default | what it does | commands |", "|---|---|---|---|---|"]
        for o in Language.allOptions {
            let commands = Language.commands.filter { $0.option(o.key) != nil }.map(\.name).joined(separator: " ")
            let help = o.help + (o.providers.isEmpty ? "" : " (" + o.providers.joined(separator: ", ") + " only)")
            lines.append("| `\(o.key)=` | \(cell(o.kind.allowed)) | \(cell(o.defaultValue)) | \(cell(help)) | \(commands) |")
        }
        return lines.joined(separator: "\n")
    }

    static func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}
