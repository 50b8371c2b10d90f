import CFaastSys
import FaastCore
import FaastLanguage
import Foundation

/// Runs `body` as a task that Ctrl-C (SIGINT) or SIGTERM cancels; returns its status.
public func runInterruptibly(_ body: @escaping @Sendable () async -> CommandStatus) async -> CommandStatus {
    // A Ctrl-C that arrived since the last command (while opening a module, between script lines) counts:
    // the prompt consumes its own, so nothing stale is left here.
    let task = Task { await body() }
    let watcher = Task {
        while true {
            try? await Task.sleep(nanoseconds: 50_000_000)
            // Checked before taking a signal: a watcher that outlived its command must not eat the next Ctrl-C.
            if Task.isCancelled { return }
            if faast_take_sigint() > 0 || faast_sigterm_received() != 0 {
                task.cancel()
                return
            }
        }
    }
    let status = await task.value
    watcher.cancel()
    await watcher.value
    return status
}

/// Installs faast's SIGINT/SIGTERM handling (counting handlers; commands poll them).
public func installSignalHandlers() {
    faast_signals_install()
    signal(SIGPIPE, SIG_IGN)
}

/// Whether SIGTERM or SIGHUP has arrived.
public var terminationRequested: Bool { faast_sigterm_received() != 0 }

/// The interactive prompt: continuation lines while brackets or quotes are open, history, completion,
/// Ctrl-C to clear a line or cancel a running command, Ctrl-D on an empty line to leave.
public struct Repl {
    let shell: Shell
    let output: any OutputSink
    let editor: LineEditor

    public init(shell: Shell, output: any OutputSink, historyPath: String? = nil) {
        self.shell = shell
        self.output = output
        editor = LineEditor(historyPath: historyPath ?? FilePaths.xdg("XDG_STATE_HOME", default: ".local/state") + "/history")
    }

    /// Runs until `exit`, Ctrl-D or SIGTERM; cleans up the session; returns the exit code.
    public func run() async -> Int32 {
        output.err("faast — type 'help' for commands, Tab to complete, Ctrl-D to leave\n")
        var pending = ""
        var lineNumber = 0
        var code = ExitStatus.ok
        loop: while true {
            let context = CompletionContext(functions: await shell.functionNames, variables: await shell.variableNames)
            completionContext.withLock { $0 = context }
            let event = await editor.readLineAsync(prompt: pending.isEmpty ? "faast> " : "  ...> ")
            switch event {
            case .endOfInput:
                if pending.isEmpty {
                    output.out("\n")
                    break loop
                }
                pending = ""
            case .interrupted:
                pending = ""
            case .terminated:
                code = ExitStatus.terminated
                break loop
            case .line(let text):
                lineNumber += 1
                pending += pending.isEmpty ? text : "\n" + text
                guard Parser.isComplete(pending) else { continue }
                let entry = pending
                pending = ""
                if entry.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { continue }
                editor.remember(entry)
                let shell = self.shell
                let status = await runInterruptibly { await shell.runLine(entry) }
                if status == .exit { break loop }
                if terminationRequested {
                    code = ExitStatus.terminated
                    break loop
                }
            }
        }
        await shell.shutdown()
        return code
    }
}
