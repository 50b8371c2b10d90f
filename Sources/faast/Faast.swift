import ArgumentParser
import FaastCore
import FaastShell
import Foundation

/// Options shared by every way of starting a session.
struct SessionFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Where the module runs.", valueName: "local|aws"),
            completion: .list(["local", "aws"]))
    var provider: String = "local"

    @Option(help: ArgumentHelp("Memory size of each function, in MB.", valueName: "MB"))
    var memory: Int?

    @Option(help: ArgumentHelp("Per-call timeout, in seconds.", valueName: "S"))
    var timeout: Double?

    @Option(help: ArgumentHelp("Calls in flight at once (0: unlimited).", valueName: "N"))
    var concurrency: Int?

    @Option(help: ArgumentHelp("How calls travel.", valueName: "https|queue"), completion: .list(["https", "queue"]))
    var mode: String?

    @Option(help: ArgumentHelp("An environment variable for the functions (repeatable).", valueName: "K=V"))
    var env: [String] = []

    @Option(help: ArgumentHelp("Output for people (text) or one JSON object per command (json).", valueName: "text|json"),
            completion: .list(["text", "json"]))
    var format: String = "text"

    @Flag(help: "Print each command before running it.")
    var echo = false

    @Flag(help: "Go on after a failed call or expect (the exit code still says 1).")
    var continueOnError = false

    @Flag(help: "Leave the deployment up on exit.")
    var keep = false

    func validate() throws {
        guard ["local", "aws"].contains(provider) else {
            throw ValidationError("--provider takes local or aws, not '\(provider)'")
        }
        if let mode, InvocationMode(rawValue: mode) == nil {
            throw ValidationError("--mode takes https or queue, not '\(mode)'")
        }
        guard OutputFormat(rawValue: format) != nil else {
            throw ValidationError("--format takes text or json, not '\(format)'")
        }
        if let memory, memory < 64 { throw ValidationError("--memory must be at least 64 (MB)") }
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be greater than 0") }
        if let concurrency, concurrency < 0 { throw ValidationError("--concurrency must be 0 (unlimited) or more") }
        for e in env where !e.contains("=") || e.hasPrefix("=") {
            throw ValidationError("--env takes KEY=VALUE, not '\(e)'")
        }
    }

    var shellOptions: ShellOptions {
        var o = ShellOptions()
        o.provider = provider
        if let memory { o.deploy.memoryMb = memory }
        if let timeout { o.deploy.timeout = timeout }
        if let concurrency { o.deploy.concurrency = concurrency }
        if let mode, let m = InvocationMode(rawValue: mode) { o.deploy.mode = m }
        for e in env {
            let parts = e.split(separator: "=", maxSplits: 1)
            o.deploy.env[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        o.format = OutputFormat(rawValue: format) ?? .text
        o.echo = echo
        o.continueOnError = continueOnError
        o.keep = keep
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

            Exit codes: 0 all ok, 1 a call or an expect failed, 2 usage or syntax error, 130 interrupted.
            """,
        version: FaastVersion.string,
        subcommands: [Session.self, Run.self, Cleanup.self],
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
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

enum FaastVersion {
    static let string = "0.1.0"
}
