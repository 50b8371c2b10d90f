import CFaastSys
import FaastCore
import FaastLanguage
import Foundation

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
        if !(await shell.shutdown()), code == ExitStatus.ok { code = ExitStatus.failed }
        return code
    }
}
