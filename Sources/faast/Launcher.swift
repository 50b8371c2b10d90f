import FaastAWS
import FaastCore
import FaastLocal
import FaastShell
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Wires the command line to a shell: opens the module, runs what was asked, cleans up, picks the exit code.
struct Launcher {
    let flags: SessionFlags

    /// The providers a session can open modules on: chosen here, once, for the whole process.
    static let providers: [any ProviderFactory] = [LocalProviderFactory(), AWSProviderFactory()]

    func makeShell() -> (Shell, PromptOutput) {
        installSignalHandlers()
        let output = PromptOutput()
        return (Shell(options: flags.shellOptions, output: output, providers: Self.providers), output)
    }

    /// The startup file (unless `--norc`), then `-v` variables (so that the command line has the last word).
    func prepare(_ shell: Shell) async {
        if !flags.norc { _ = await runInterruptibly { await shell.runStartupFile() } }
        for v in flags.variables { _ = await shell.define(v) }
    }

    /// The prompt, `-c` commands or standard input, on `module` if one is given.
    func runSession(module: String?, commands: [String]) async -> Int32 {
        let (shell, output) = makeShell()
        await prepare(shell)
        if let module, let failure = await open(shell, module: module) { return failure }
        let code: Int32
        if !commands.isEmpty {
            code = await runLines(shell, commands)
        } else if isatty(0) == 0 {
            switch readStandardInput() {
            case .text(let text): code = await runText(shell, text, file: nil)
            case .interrupted: code = ExitStatus.interrupted
            case .terminated: code = ExitStatus.terminated
            }
        } else {
            return Self.checkingOutput(await Repl(shell: shell, output: output).run())
        }
        return Self.checkingOutput(await Self.shutdown(shell, code: code))
    }

    /// `code`, unless standard output could not be written: then a message (but for a closed pipe) and 1.
    static func checkingOutput(_ code: Int32) -> Int32 {
        guard let failure = StandardOutput.writeFailure else { return code }
        if let message = failure.message { StandardOutput().err(message + "\n") }
        return code == ExitStatus.ok ? ExitStatus.failed : code
    }

    func runScript(path: String, module: String?, extraCommands: [String]) async -> Int32 {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        guard exists, !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
            let why = !exists ? "no such file" : isDirectory.boolValue ? "it is a directory" : "permission denied"
            let near = exists ? [] : PathSuggestion.suggestions(for: path, kind: PathSuggestion.isScript)
            let message = "cannot read \(path): \(why)" + Suggestion.didYouMean(near)
            if flags.format == "json" { StandardOutput().out(JSONOutput.commandLineError(message, suggestions: near) + "\n") }
            StandardOutput().err("error: \(message)\n")
            return ExitStatus.usage
        }
        let (shell, _) = makeShell()
        await prepare(shell)
        if let module, let failure = await open(shell, module: module) { return failure }
        var code = await runText(shell, String(decoding: data, as: UTF8.self), file: path)
        if code == ExitStatus.ok, !extraCommands.isEmpty { code = await runLines(shell, extraCommands) }
        return Self.checkingOutput(await Self.shutdown(shell, code: code))
    }

    /// Cleans up at exit: a cleanup that left something behind (named on stderr) makes a successful run fail.
    static func shutdown(_ shell: Shell, code: Int32) async -> Int32 {
        let clean = await shell.shutdown()
        return clean || code != ExitStatus.ok ? code : ExitStatus.failed
    }

    /// Opens the module given on the command line; returns an exit code when that fails.
    private func open(_ shell: Shell, module: String) async -> Int32? {
        let provider = flags.provider, settings = flags.shellOptions.deploy
        let status = await runInterruptibly { await shell.openFromCommandLine(path: module, provider: provider, settings: settings) }
        if status == .ok, !terminationRequested { return nil }
        await shell.shutdown()
        return ExitStatus.code(for: status == .ok ? .interrupted : status, terminated: terminationRequested)
    }

    private func runText(_ shell: Shell, _ text: String, file: String?) async -> Int32 {
        let directory = file.map { (FilePaths.absolute($0) as NSString).deletingLastPathComponent }
            ?? FileManager.default.currentDirectoryPath
        let context = SourceContext(file: file ?? "<stdin>", text: text, directory: directory)
        let status = await runInterruptibly { await shell.runScript(text, context: context) }
        return ExitStatus.code(for: status, terminated: terminationRequested)
    }

    private func runLines(_ shell: Shell, _ lines: [String]) async -> Int32 {
        // One interruptible run: a Ctrl-C that comes after a command completed stops before the next one.
        let status = await runInterruptibly { await shell.runLines(lines) }
        return ExitStatus.code(for: status, terminated: terminationRequested)
    }

    static func cleanup(provider: String, region: String?, execute: Bool, force: Bool) async -> Int32 {
        let output = StandardOutput()
        switch provider {
        case "local":
            do {
                let report = try await LocalProviderFactory().collectGarbage(settings: DeploySettings())
                output.out(report.isEmpty ? "nothing to clean up\n" : report.joined(separator: "\n") + "\n")
                return ExitStatus.ok
            } catch {
                output.err("error: \(error)\n")
                return ExitStatus.failed
            }
        case "aws":
            return await cleanupAWS(region: region, execute: execute, force: force, output: output)
        default:
            output.err("error: unknown provider '\(provider)'; use local or aws\(Suggestion.didYouMean(provider, in: ["local", "aws"]))\n")
            return ExitStatus.usage
        }
    }
}

extension Launcher {
    /// `faast cleanup aws`: lists every faast resource; deletes them with --execute (asking unless --force).
    static func cleanupAWS(region: String?, execute: Bool, force: Bool, output: StandardOutput) async -> Int32 {
        do {
            let client = try AWSClient.fromEnvironment(region: region)
            let collector = GarbageCollector.rateLimited(client: client)
            let resources = try await collector.inventory()
            if resources.isEmpty {
                output.out("no faast resources in \(client.region)\n")
                return ExitStatus.ok
            }
            output.out("faast resources in \(client.region):\n")
            for r in resources { output.out("  \(r.kind.rawValue)  \(r.name)\n") }
            guard execute else {
                output.out("nothing deleted: run again with --execute to delete these \(resources.count) resources\n")
                return ExitStatus.ok
            }
            if !force {
                guard isatty(0) == 1 else {
                    output.err("error: not deleting without confirmation; add --force to delete from a script\n")
                    return ExitStatus.usage
                }
                output.err("delete these \(resources.count) resources? [y/N] ")
                guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                    output.out("nothing deleted\n")
                    return ExitStatus.ok
                }
            }
            let report = await collector.delete(resources)
            output.out(report.joined(separator: "\n") + "\n")
            return report.contains { $0.hasPrefix("could not") } ? ExitStatus.failed : ExitStatus.ok
        } catch let error as FaastError {
            output.err("error: \(error.message)\n")
            return ExitStatus.failed
        } catch {
            output.err("error: \(error)\n")
            return ExitStatus.failed
        }
    }
}
