import CFaastSys
import FaastCore
import FaastLanguage
import Foundation

/// The interactive prompt: continuation lines while brackets or quotes are open, history shared with other
/// shells, completion, Ctrl-C to clear a line or cancel a running command, Ctrl-D on an empty line to leave;
/// long output paged, keys typed while a command runs kept for the next prompt.
public struct Repl {
    let shell: Shell
    let output: any OutputSink
    let editor: LineEditor

    public init(shell: Shell, output: any OutputSink, historyPath: String? = nil) {
        self.shell = shell
        self.output = output
        editor = LineEditor(history: History(path: historyPath ?? History.defaultPath))
    }

    /// Runs until `exit`, Ctrl-D or SIGTERM; cleans up the session; returns the exit code.
    public func run() async -> Int32 {
        output.err("faast — type 'help' for commands, Tab to complete, Ctrl-D to leave\n")
        var pending = ""
        var lineNumber = 0
        var code = ExitStatus.ok
        loop: while true {
            let context = CompletionContext(functions: await shell.functionNames, variables: await shell.variableNames,
                                            keywords: await shell.keywordNames)
            completionContext.withLock { $0 = context }
            let prompt = await shell.promptText
            let event = await editor.readLineAsync(prompt: pending.isEmpty ? prompt : Self.continuation(of: prompt))
            switch event {
            case .endOfInput:
                if pending.isEmpty {
                    Self.endLine(output)
                    break loop
                }
                // Ctrl-D at a continuation prompt drops the unfinished command, on a line of its own.
                Self.endLine(output)
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
                let status = await runCommand(entry)
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

    /// Runs one command typed at the prompt: echo off meanwhile (type-ahead waits for the next prompt),
    /// its output held and paged when longer than the screen.
    private func runCommand(_ entry: String) async -> CommandStatus {
        let shell = self.shell
        let prompt = output as? PromptOutput
        prompt?.beginPromptCommand(maxLines: await shell.maxLinesSetting)
        let saved = Terminal.echoOff()
        let status = await runInterruptibly { await shell.runLine(entry) }
        Terminal.restore(saved)
        let pager = await shell.pagerEnabled
        if let prompt {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                // The pager blocks until the user quits it: on a thread of its own, not the async pool's.
                Thread { prompt.endPromptCommand(pager: pager); done.resume() }.start()
            }
        }
        return status
    }

    /// Ends the line the prompt is on, where the prompt is: standard output, or standard error when standard
    /// output is redirected (see the line editor).
    static func endLine(_ output: any OutputSink) {
        if output.outIsTerminal || !output.errIsTerminal { output.out("\n") } else { output.err("\n") }
    }

    /// The continuation prompt, right-aligned under the prompt: `  ...> ` under `faast> `.
    static func continuation(of prompt: String) -> String {
        let width = Terminal.width(Substring(prompt))
        return String(repeating: " ", count: max(0, width - 5)) + "...> "
    }
}

extension Shell {
    /// The prompt: `functions.js@local> ` with a module open, `faast> ` without; `set prompt=` replaces it,
    /// with `{module}` and `{provider}` filled in.
    var promptText: String {
        let module = invoker.map { FilePaths.lastComponent($0.provider.module.path) }
        let provider = invoker?.provider.name ?? options.provider
        if let custom = options.session.prompt {
            return custom.replacingOccurrences(of: "{module}", with: module ?? "")
                .replacingOccurrences(of: "{provider}", with: provider)
        }
        return module.map { "\($0)@\(provider)> " } ?? "faast> "
    }

    var pagerEnabled: Bool { options.session.pager }
    var maxLinesSetting: Int { options.session.maxLines }
}
