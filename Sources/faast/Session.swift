import ArgumentParser
import FaastCore
import FaastLanguage
import FaastShell
import Foundation

/// `faast [MODULE | SCRIPT.faast [MODULE]] [-c COMMAND ...]`: the default command.
struct Session: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Open a session on a module: the prompt, -c commands, a script, or commands on standard input.")

    @Argument(help: ArgumentHelp("A module (.js .cjs .mjs .py) or a script (.faast).", valueName: "MODULE|SCRIPT"),
              completion: .file(extensions: ["js", "cjs", "mjs", "py", "faast"]))
    var target: String?

    @Argument(help: ArgumentHelp("With a script: the module to open before it runs.", valueName: "MODULE"),
              completion: .file(extensions: ["js", "cjs", "mjs", "py"]))
    var module: String?

    @Option(name: .customShort("c"), help: ArgumentHelp("A command to run (repeatable); then exit.", valueName: "COMMAND"))
    var commands: [String] = []

    @OptionGroup var flags: SessionFlags

    /// Prints the README's tables of commands and options (scripts/completions writes them into README.md).
    @Flag(name: .customLong("generate-language-reference"), help: .private)
    var generateLanguageReference = false

    func run() async throws {
        if generateLanguageReference {
            print(Reference.markdown)
            return
        }
        if let target, let command = Self.mistypedCommand(target) {
            throw ValidationError("unknown command '\(target)' (did you mean 'faast \(command)'?); "
                + "faast opens a module (.js .cjs .mjs .py) or runs a script (.faast)")
        }
        let code: Int32
        if let target, target.hasSuffix(".faast") {
            code = await Launcher(flags: flags).runScript(path: target, module: module, extraCommands: commands)
        } else {
            if module != nil {
                throw ValidationError("a second argument is only for scripts: faast SCRIPT.faast MODULE")
            }
            code = await Launcher(flags: flags).runSession(module: target, commands: commands)
        }
        throw ExitCode(code)
    }
}

extension Session {
    /// The subcommand `word` (`hepl`, `sesions`) was most likely meant as: only for a bare word that names no file.
    static func mistypedCommand(_ word: String) -> String? {
        guard !word.contains("."), !word.contains("/"), !FileManager.default.fileExists(atPath: word) else { return nil }
        let commands = Faast.configuration.subcommands.map { $0._commandName }.filter { $0 != "open" } + ["help"]
        return Suggestion.closest(to: word, in: commands)
    }
}

/// `faast run SCRIPT.faast [MODULE]`.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a .faast script.")

    @Argument(help: ArgumentHelp("The script.", valueName: "SCRIPT"), completion: .file(extensions: ["faast"]))
    var script: String

    @Argument(help: ArgumentHelp("A module to open before the script runs.", valueName: "MODULE"),
              completion: .file(extensions: ["js", "cjs", "mjs", "py"]))
    var module: String?

    @OptionGroup var flags: SessionFlags

    func run() async throws {
        throw ExitCode(await Launcher(flags: flags).runScript(path: script, module: module, extraCommands: []))
    }
}

/// `faast cleanup local|aws [--region R] [--execute] [--force]`.
struct Cleanup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List (and with --execute, delete) what faast sessions left on a provider.")

    // valueName is also a shell variable name in the generated zsh completion: no '|' in it.
    @Argument(help: ArgumentHelp("The provider: local or aws.", valueName: "provider"), completion: .list(["local", "aws"]))
    var provider: String

    @Option(help: "The AWS region.")
    var region: String?

    @Flag(help: "Delete what is listed.")
    var execute = false

    @Flag(help: "Do not ask for confirmation.")
    var force = false

    func run() async throws {
        throw ExitCode(await Launcher.cleanup(provider: provider, region: region, execute: execute, force: force))
    }
}
