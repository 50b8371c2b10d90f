import FaastCore
import FaastLanguage
import Foundation

/// What runs before the first command: the startup file (`faastrc`) and `-v name=value` variables.
extension Shell {
    /// `$XDG_CONFIG_HOME/faast/faastrc` (default `~/.config/faast/faastrc`).
    public static var startupFilePath: String {
        let env = ProcessInfo.processInfo.environment
        let base: String
        if let config = env["XDG_CONFIG_HOME"], config.hasPrefix("/") {
            base = config
        } else {
            base = (env["HOME"] ?? NSHomeDirectory()) + "/.config"
        }
        return base + "/faast/faastrc"
    }

    /// Runs the startup file when there is one: commands of the language (`set concurrency=50`, `let`, `open`).
    /// What succeeds prints nothing (so `-c` and JSON output stay the commands' own); a mistake is reported
    /// with the file's path and line, and the session goes on without the rest of the file.
    public func runStartupFile(at path: String = Shell.startupFilePath) async -> CommandStatus {
        guard let data = FileManager.default.contents(atPath: path) else { return .ok }
        let text = String(decoding: data, as: UTF8.self)
        let context = SourceContext(file: path, text: text, directory: (path as NSString).deletingLastPathComponent)
        quiet = true
        defer { quiet = false }
        return await runScript(text, context: context)
    }

    /// `-v name=value`: `value` is read as a value of the language (JSON, 'single quotes'), else kept as text.
    /// Returns a message for a name that cannot be a variable.
    public func define(_ assignment: String) -> String? {
        guard let problem = Self.checkDefinition(assignment) else {
            let parts = assignment.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]), text = String(parts[1])
            var value = JSONValue.string(text)
            if let statement = try? Parser.parseLine("let \(name) = \(text)"),
               case .letBinding(_, .value(let expr)) = statement.command,
               let parsed = try? evaluate(expr, index: nil) {
                value = parsed
            }
            variables[name] = value
            return nil
        }
        return problem
    }

    /// Why `-v` cannot take `assignment`, or nil when it can.
    public static func checkDefinition(_ assignment: String) -> String? {
        guard let equals = assignment.firstIndex(of: "=") else { return "-v takes NAME=VALUE, not '\(assignment)'" }
        let name = assignment[..<equals]
        guard Lexer.isIdentifier(name) else {
            return "-v takes NAME=VALUE: '\(name)' is not a variable name (letters, digits and '_')"
        }
        if name == "i" || name == "_" { return "-v: $\(name) is reserved" }
        return nil
    }
}
