import ArgumentParser
import FaastCore
import FaastLanguage
import FaastShell
import Foundation

/// Options shared by every way of starting a session. Those that are also language options (`--timeout` is
/// `timeout=`) take their help, completion and checks from the language table.
struct SessionFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Where the module runs.", valueName: Launcher.providers.map(\.name).joined(separator: "|")),
            completion: .list(Launcher.providers.map(\.name)))
    var provider: String = "local"

    @Option(help: flagHelp("memory"))
    var memory: Int?

    @Option(help: flagHelp("timeout"))
    var timeout: Double?

    @Option(help: flagHelp("concurrency"))
    var concurrency: Int?

    @Option(help: flagHelp("mode"), completion: .list(Language.option("mode")!.kind.choices))
    var mode: String?

    @Option(help: ArgumentHelp("An environment variable for the functions (repeatable).", valueName: "K=V"))
    var env: [String] = []

    // Optional so that --help says the default once (from the table), not again as "(default: text)".
    @Option(help: flagHelp("format"), completion: .list(Language.option("format")!.kind.choices))
    var format: String?

    @Option(help: flagHelp("dependencies", file: true), completion: .file())
    var dependencies: String?

    @Flag(help: "Print each command before running it.")
    var echo = false

    @Flag(help: "Go on after a failed call or expect (the exit code still says 1).")
    var continueOnError = false

    @Flag(help: "Leave the deployment up on exit, recorded for `faast attach` (AWS: `faast sessions` lists them).")
    var keep = false

    @Option(name: .customShort("v"), help: ArgumentHelp("Set $NAME to VALUE (a JSON value, else text) before anything runs (repeatable).",
                                                         valueName: "NAME=VALUE"))
    var variables: [String] = []

    @Flag(help: "Do not run the startup file ($XDG_CONFIG_HOME/faast/faastrc).")
    var norc = false

    @Option(help: ArgumentHelp("Attach a kept AWS session instead of deploying (see `faast sessions`).", valueName: "ID"))
    var session: String?

    /// `--timeout`'s help from `timeout=`'s entry: its text, values and default. A `file` flag takes a path:
    /// its value is `<FILE>`, and "(text; default none)" would say nothing.
    static func flagHelp(_ key: String, file: Bool = false) -> ArgumentHelp {
        let option = Language.option(key)!
        let help = option.help.prefix(1).uppercased() + option.help.dropFirst()
        if file { return ArgumentHelp(help + ".", valueName: "FILE") }
        return ArgumentHelp("\(help) (\(option.kind.allowed); default \(option.defaultValue)).", valueName: option.kind.placeholder)
    }

    func validate() throws {
        let providers = Launcher.providers.map(\.name)
        guard providers.contains(provider) else {
            throw ValidationError("--provider takes \(providers.joined(separator: " or ")), not '\(provider)'"
                + Suggestion.didYouMean(provider, in: providers))
        }
        for e in env where !e.contains("=") || e.hasPrefix("=") {
            throw ValidationError("--env takes KEY=VALUE, not '\(e)'")
        }
        for v in variables {
            if let problem = Shell.checkDefinition(v) { throw ValidationError(problem) }
        }
        _ = try checkedSettings()
    }

    /// The language options given as flags, checked against the table; the first bad one is the error.
    private func checkedSettings() throws -> (deploy: DeploySettings, session: SessionSettings) {
        var deploy = DeploySettings()
        var session = SessionSettings()
        var given: [(String, JSONValue)] = [("format", .string(format ?? "text"))]
        if let memory { given.append(("memory", .int(memory))) }
        // Written as the user typed them, so that inf and nan are refused as such.
        if let timeout { given.append(("timeout", .number(String(timeout)))) }
        if let concurrency { given.append(("concurrency", .int(concurrency))) }
        if let mode { given.append(("mode", .string(mode))) }
        if let dependencies { given.append(("dependencies", .string(dependencies))) }
        for (key, value) in given {
            let option = Language.option(key)!
            switch option.kind.check(value) {
            case .success(let checked):
                if !option.apply(checked, to: &deploy) { option.apply(checked, to: &session) }
            case .failure(let problem):
                throw ValidationError(problem.message(subject: "--" + key))
            }
        }
        return (deploy, session)
    }

    var shellOptions: ShellOptions {
        var o = ShellOptions()
        o.provider = provider
        if let checked = try? checkedSettings() {
            o.deploy = checked.deploy
            o.session = checked.session
        }
        for e in env {
            let parts = e.split(separator: "=", maxSplits: 1)
            o.deploy.env[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        o.echo = echo
        o.continueOnError = continueOnError
        o.keep = keep
        o.deploy.cloud.session = session
        return o
    }
}

@main
struct Faast: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faast",
        abstract: "A shell for calling the functions of a JavaScript or Python module, locally or on AWS Lambda.",
        discussion: """
            faast MODULE                 open a session on MODULE and start the prompt
            faast MODULE -c 'COMMAND'    run commands and exit
            faast SCRIPT.faast [MODULE]  run a script (also: faast run SCRIPT.faast)
            COMMANDS | faast MODULE      run commands from standard input

            Exit codes: 0 all ok, 1 a call or an expect failed, 2 usage or syntax error, 130 interrupted, 143 terminated.
            """,
        version: FaastVersion.string,
        subcommands: [Session.self, Run.self, Cleanup.self, PackageCommand.self, Sessions.self, Attach.self],
        defaultSubcommand: Session.self)

    /// Parses, runs, and maps errors to faast's exit codes (usage errors are 2, not EX_USAGE).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            let code = exitCode(for: error)
            var message = fullMessage(for: error)
            if code == .success {
                if let shell = CompletionShell.requesting { message = CompletionScripts.patched(message, for: shell) }
                print(message, terminator: message.hasSuffix("\n") ? "" : "\n")
                Foundation.exit(0)
            }
            if Self.asksForJSON(CommandLine.arguments) {
                // A script reading standard output sees a JSON object for this error too, never text.
                let first = message.split(separator: "\n").first.map(String.init) ?? message
                StandardOutput().out(JSONOutput.commandLineError(first.hasPrefix("Error: ") ? String(first.dropFirst(7)) : first) + "\n")
            }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(code == .validationFailure ? ExitStatus.usage : code.rawValue)
        }
    }
}

extension Faast {
    /// Whether the command line asks for `--format json` (looked for in the words, as parsing failed).
    static func asksForJSON(_ arguments: [String]) -> Bool {
        zip(arguments, arguments.dropFirst()).contains { $0 == "--format" && $1 == "json" } || arguments.contains("--format=json")
    }
}

enum FaastVersion {
    static let string = "0.1.0"
}
