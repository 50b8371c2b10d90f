import FaastCore
import FaastLanguage
import Foundation

/// Edit and rerun: the shell watches the files the open module was loaded from (the module and the user's own
/// files it imports, as the provider reports them; else the module alone), one `stat` each, once per command that
/// calls the module. Locally a changed file is reloaded on fresh workers before the command (`set autoreload=off`
/// to opt out); on AWS the shell says so, and `reload` deploys the code again.
extension Shell {
    /// Starts watching the open module's files; `since`: when its deploy began.
    func watchSources(of provider: any Provider, loadedSince since: Date) {
        var files = (provider as? SourceTracking)?.sourceFiles ?? []
        if !files.contains(provider.module.path) { files.insert(provider.module.path, at: 0) }
        sourceSnapshot = SourceSnapshot(files: files, loadedSince: since)
        announcedChange = nil
    }

    /// Before a command that uses the module: reloads it when its files changed (locally, autoreload on), or says
    /// once that they did.
    func reloadIfChanged(before command: Command) async throws {
        guard command.usesTheModule, let invoker, let snapshot = sourceSnapshot else { return }
        let changed = snapshot.changed()
        guard !changed.isEmpty else { return }
        if invoker.provider.name == "local", options.session.autoreload {
            try await reload(changed: changed, automatic: true)
            return
        }
        guard announcedChange != changed else { return }
        announcedChange = changed
        let module = FilePaths.lastComponent(invoker.provider.module.path)
        let how = invoker.provider.name == "local" ? "reload runs the new code (autoreload is off)"
            : "the session still runs the code deployed before; reload deploys it again"
        output.err("\(module) changed since it was loaded (\(Self.names(changed))): \(how)\n")
    }

    func reloadCommand() async throws -> CommandStatus {
        _ = try requireSession()
        try await reload(changed: sourceSnapshot?.changed() ?? [], automatic: false)
        return .ok
    }

    /// Deploys the open module again with the same settings and provider, then removes the previous deployment
    /// (locally: stops its workers). If the module no longer loads, the previous deployment stays and the error
    /// is the command's. Statistics carry over.
    private func reload(changed: [String], automatic: Bool) async throws {
        guard let old = invoker else { return }
        let provider = old.provider
        if let keeping = provider as? KeepingProvider, keeping.reuse != nil {
            throw ShellError("this is a kept session: open \(FilePaths.lastComponent(provider.module.path)) again to update its code in place")
        }
        guard let factory = factories[provider.name] else { throw ShellError("unknown provider '\(provider.name)'") }
        let since = Date()
        let started = MonotonicClock.seconds()
        let fresh: any Provider
        do {
            fresh = try await factory.deploy(provider.module, settings: provider.settings)
        } catch let error as FaastError {
            let module = FilePaths.lastComponent(provider.module.path)
            throw FaastError(error.kind, "reloading \(module) failed, the session still runs the code loaded before: \(error.message)",
                             remote: error.remote, logLocation: error.logLocation)
        }
        var removed: CleanupReport = []
        do { removed = try await provider.cleanup() } catch {
            report(.failure(error as? FaastError ?? FaastError(.provider, "\(error)")), command: "cleanup")
        }
        invoker = Invoker(provider: fresh, stats: old.stats)
        watchSources(of: fresh, loadedSince: since)
        let ms = (MonotonicClock.seconds() - started) * 1000
        report(.reloaded(provider: fresh.name, module: fresh.module.path, changed: changed, functions: fresh.functions,
                         removed: removed, automatic: automatic, ms: ms), command: "reload")
    }

    /// `greet.py, helper.py`.
    static func names(_ files: [String]) -> String { files.map(FilePaths.lastComponent).joined(separator: ", ") }
}

extension Command {
    /// Commands that call or describe the module: before them, an edited module is noticed.
    var usesTheModule: Bool {
        switch self {
        case .call, .map, .expect, .analyze, .functions: return true
        case .letBinding(_, let binding):
            if case .value = binding { return false }
            return true
        case .help(let topic): return topic != nil
        default: return false
        }
    }
}
