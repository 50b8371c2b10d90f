import FaastCore
import FaastLanguage
import Foundation

/// The session evaluator: runs parsed commands against the open deployment and renders what happened.
/// It knows nothing of characters (the parser's job) nor of terminals beyond the output sink.
public actor Shell {
    let output: any OutputSink
    let style: Style
    var options: ShellOptions
    /// The providers the executable registered (`local`, `aws`; tests add their own): the shell knows only the protocol.
    let factories: [String: any ProviderFactory]
    var invoker: Invoker?
    var variables: [String: JSONValue] = [:]
    var lastBatch: BatchResult?
    /// The open module's files as they were when loaded, and the last change announced (see Shell+Reload).
    var sourceSnapshot: SourceSnapshot?
    var announcedChange: [String]?
    /// Session defaults for calls (`set concurrency=5`, `set retries=0`).
    var callDefaults = CallOptions()
    /// Scripts being sourced, to refuse a `source` loop.
    var sourceStack: [String] = []
    /// While the startup file runs: only mistakes and failures are shown.
    var quiet = false
    /// The keyword of the command running (`map`, `let`, `expect`, …): what its results are reported as.
    var running = "call"
    /// Where the running command was written (JSON failures carry its line).
    var place: CommandPlace?

    /// A shell over `providers`, chosen once by the executable (as swift-log's `bootstrap` picks a back end).
    public init(options: ShellOptions, output: any OutputSink, providers: [any ProviderFactory]) {
        self.options = options
        self.output = output
        style = Style(terminal: output.outIsTerminal)
        factories = Dictionary(providers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    var format: OutputFormat { options.format }
    var showTiming: Bool { options.timing ?? output.outIsTerminal }

    /// The open deployment's functions (for completion).
    public var functionNames: [String] { invoker?.provider.functions.map(\.name) ?? [] }
    public var hasSession: Bool { invoker != nil }
    public var variableNames: [String] { variables.keys.sorted() }

    // MARK: - Running text

    /// Parses and runs a whole script; stops at the first failure unless `continueOnError`.
    /// A syntax error anywhere stops it before anything runs.
    public func runScript(_ text: String, context: SourceContext) async -> CommandStatus {
        let statements: [Statement]
        do {
            statements = try Parser.parse(text, functions: functionNames)
        } catch {
            report(.syntaxError(error, file: context.file), command: nil)
            return .usage
        }
        return await runInOrder(statements.count) { await execute(statements[$0], context: context) }
    }

    /// Runs `-c` commands in order, each parsed on its own (a syntax error in one stops the run there).
    public func runLines(_ lines: [String]) async -> CommandStatus {
        await runInOrder(lines.count) { await runLine(lines[$0], lineNumber: $0 + 1) }
    }

    /// Runs `count` steps in order: stops at the first failure (unless `continueOnError`), at `exit`, or when a
    /// Ctrl-C or SIGTERM came during a step that still completed (the run is interrupted before the next one).
    private func runInOrder(_ count: Int, _ step: (Int) async -> CommandStatus) async -> CommandStatus {
        var worst = CommandStatus.ok
        for i in 0..<count {
            if Task.isCancelled { return .interrupted }
            let status = await step(i)
            switch status {
            case .ok: continue
            case .exit, .interrupted: return status == .exit ? worst : status
            case .usage: return .usage
            case .failed:
                worst = .failed
                if !options.continueOnError { return .failed }
            }
        }
        return worst
    }

    /// Parses and runs one logical line typed at the prompt.
    public func runLine(_ text: String, lineNumber: Int = 1) async -> CommandStatus {
        let context = SourceContext(file: nil, text: text, directory: FileManager.default.currentDirectoryPath,
                                    firstLine: lineNumber)
        do {
            guard let statement = try Parser.parseLine(text, lineNumber: lineNumber, functions: functionNames) else { return .ok }
            return await execute(statement, context: context)
        } catch {
            report(.syntaxError(error, file: context.file), command: nil)
            return .usage
        }
    }

    /// Runs one command; never throws: every problem is rendered and becomes a status.
    public func execute(_ statement: Statement, context: SourceContext) async -> CommandStatus {
        let name = statement.command.name
        let outer = (running, place)
        (running, place) = (name, CommandPlace(file: context.file, line: statement.location.line))
        defer { (running, place) = outer }
        if options.echo {
            report(.echo(context.line(statement.location.line).trimmingCharacters(in: .whitespaces)), command: name)
        }
        return await reporting(command: name, context: context) {
            try await dispatch(statement.command, at: statement.location, context: context)
        }
    }

    /// Runs `body`, reporting what it throws: a user mistake is a usage error, a `FaastError` a failure
    /// (or an interruption when it is a cancellation).
    private func reporting(
        command: String, context: SourceContext, _ body: () async throws -> CommandStatus
    ) async -> CommandStatus {
        do {
            return try await body()
        } catch let error as ShellError {
            report(.usageError(error, context), command: command)
            return .usage
        } catch let error as FaastError {
            remember(error, function: nil)
            report(.failure(error), command: command)
            return error.kind == .cancelled ? .interrupted : .failed
        } catch {
            report(.usageError(ShellError(SystemErrorText.describe(error)), context), command: command)
            return .usage
        }
    }

    /// Opens the module named on the command line, reporting a failure as `open` would.
    public func openFromCommandLine(path: String, provider: String, settings: DeploySettings) async -> CommandStatus {
        let context = SourceContext(file: nil, text: "", directory: FileManager.default.currentDirectoryPath)
        return await reporting(command: "open", context: context) {
            try await openModule(path: path, provider: provider, settings: settings)
            return .ok
        }
    }

    private func dispatch(_ command: Command, at location: SourceLocation, context: SourceContext) async throws -> CommandStatus {
        try await reloadIfChanged(before: command)
        switch command {
        case .open(let provider, let module, let opts):
            return try await open(provider: provider, module: module, options: opts, context: context)
        case .call(let call):
            return try await runCall(call, context: context).status
        case .map(let map):
            return try await runMap(map, context: context, listsValues: true).status
        case .letBinding(let name, let binding):
            return try await runLet(name, binding, context: context)
        case .expect(let expectation):
            return try await runExpect(expectation, context: context)
        case .analyze(let call):
            return try await runAnalyze(call, context: context)
        case .functions: return try functionsCommand()
        case .help(let topic): return try helpCommand(topic)
        case .status: return await statusCommand()
        case .stats(let fn): return try statsCommand(fn)
        case .cost(let form): return try await costCommand(form)
        case .results: return try resultsCommand()
        case .logUrl(let fn): return try logUrlCommand(fn)
        case .logs(let fn, let opts): return try await logsCommand(fn, options: opts)
        case .history(let opts): return try historyCommand(opts)
        case .set(let opts): return try setCommand(opts)
        case .print(let text): return try printCommand(text, at: location, line: context.line(location.line))
        case .sleep(let expr): return try await sleepCommand(expr)
        case .source(let path): return try await sourceCommand(path, context: context)
        case .package(let module, let opts): return try await packageCommand(module, options: opts, context: context)
        case .cleanup: return try await cleanupCommand()
        case .gc: return try await gcCommand()
        case .reload: return try await reloadCommand()
        case .keep:
            options.keep = true
            output.err(invoker == nil ? "the next module opened will be kept at exit\n" : "the deployment will be kept at exit (faast attach re-opens it)\n")
            report(.settingsChanged, command: "keep")  // `--format json`: an object, like every command's
            return .ok
        case .exit: return .exit
        }
    }

    // MARK: - Sessions

    private func open(provider: Name?, module: String, options opts: [OptionArg], context: SourceContext) async throws -> CommandStatus {
        let settings = try deploySettings(opts, over: options.deploy)
        let providerName = provider?.text ?? options.provider
        try await openModule(path: module, relativeTo: context.directory, provider: providerName, settings: settings,
                             at: provider?.location)
        return .ok
    }

    /// Deploys `path` (relative to `directory`, default the working directory; named in errors as given) and makes
    /// it the session's module, replacing (and cleaning up) the previous one.
    public func openModule(path: String, relativeTo directory: String? = nil, provider providerName: String, settings: DeploySettings,
                           at location: SourceLocation? = nil) async throws {
        guard let factory = factories[providerName] else {
            let known = factories.keys.sorted()
            throw ShellError("unknown provider '\(providerName)'; use \(known.joined(separator: " or "))"
                + Suggestion.didYouMean(providerName, in: known), at: location)
        }
        let spec: ModuleSpec
        do {
            spec = try resolveModule(path, relativeTo: directory)
        } catch {
            // A missing file or one that is not a module is the user's mistake (exit 2), not a failed deploy.
            throw ShellError(error.message, at: location, suggestions: error.suggestions)
        }
        if invoker != nil {
            // The previous deployment goes; whatever its cleanup left is named, never dropped silently.
            do { try await closeSession(report: false) } catch {
                report(.failure(error as? FaastError ?? FaastError(.provider, "\(error)")), command: "cleanup")
                self.invoker = nil
            }
        }
        let started = MonotonicClock.seconds(), since = Date()
        let provider = try await factory.deploy(spec, settings: settings)
        invoker = Invoker(provider: provider)
        watchSources(of: provider, loadedSince: since)
        options.provider = providerName
        let ms = (MonotonicClock.seconds() - started) * 1000
        report(.opened(provider: providerName, module: spec.path, functions: provider.functions, ms: ms), command: "open")
        if let reuse = (provider as? KeepingProvider)?.reuse { output.err(reuse + "\n") }
    }

    /// Cleans up the open deployment; returns what was removed. A cleanup that fails keeps the session open,
    /// so that `cleanup` can be run again.
    @discardableResult
    func closeSession(report: Bool) async throws -> CleanupReport {
        guard let invoker else { return [] }
        lastBatch = nil
        let removed = try await invoker.provider.cleanup()
        self.invoker = nil
        sourceSnapshot = nil
        return removed
    }

    /// Ends the session: cleans up unless `--keep`. Returns false when the cleanup left something behind,
    /// which it has said on standard error (what, and how to remove it).
    @discardableResult
    public func shutdown() async -> Bool {
        guard let invoker else { return true }
        // A reused kept session stays kept: it was someone's to keep before this shell attached it.
        if options.keep || (invoker.provider as? KeepingProvider)?.reuse != nil {
            var kept = invoker.provider.logLocation(function: nil)
            if let keeping = invoker.provider as? KeepingProvider {
                do { kept = try await keeping.keep() } catch { output.err("could not record the kept session: \(error)\n") }
            }
            report(.kept(logs: kept), command: nil)
            return true
        }
        do {
            try await closeSession(report: false)
            return true
        } catch {
            report(.failure(error as? FaastError ?? FaastError(.provider, "\(error)")), command: "cleanup")
            self.invoker = nil
            return false
        }
    }

    func requireSession(at location: SourceLocation? = nil) throws -> Invoker {
        guard let invoker else {
            throw ShellError("no module is open: use 'open MODULE' first (e.g. open examples/functions.js)", at: location)
        }
        return invoker
    }
}
