import FaastCore
import FaastLanguage
import Foundation

/// Commands that describe the session: functions, help, status, stats, cost, results, logs.
extension Shell {
    func functionsCommand() throws -> CommandStatus {
        let invoker = try requireSession()
        let functions = invoker.provider.functions
        report(.functions(functions), command: "functions")
        return .ok
    }

    func helpCommand(_ topic: Name?) throws -> CommandStatus {
        var text: String
        if let topic {
            let function = invoker?.provider.functions.first(where: { $0.name == topic.text })
            let module = (invoker?.provider.module.path).map(FilePaths.lastComponent) ?? ""
            if let c = Language.command(topic.text) {
                text = Reference.help(for: c)
                // `help sleep` with a function named sleep: the command's help, then the function's.
                if let function { text += "\n\n" + Self.functionHelpText(function, module: module) }
            } else if let function {
                report(.functionHelp(function, module: module), command: "help")
                return .ok
            } else {
                let names = functionNames + Language.keywords  // functions first: `help helo` is about hello, not help
                throw ShellError("no command or function named '\(topic.text)'" + Suggestion.didYouMean(topic.text, in: names),
                                 at: topic.location)
            }
        } else {
            text = Reference.overview
        }
        report(.help(text), command: "help")
        return .ok
    }

    /// `help FN` for people: the signature with defaults and where the function is, then its docstring.
    static func functionHelpText(_ info: FunctionInfo, module: String) -> String {
        var text = "\(info.fullSignature)  — \(module)"
        if info.isGenerator { text += "\n  a generator: a call returns the array of what it yields" }
        if let doc = info.doc, !doc.isEmpty {
            text += "\n\n" + doc.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.isEmpty ? "" : "  " + $0 }.joined(separator: "\n")
        } else {
            text += "\n  (no " + (module.hasSuffix(".py") ? "docstring" : "comment above it in the source") + ")"
        }
        return text
    }

    func statusCommand() async -> CommandStatus {
        guard let invoker else {
            report(.status(nil), command: "status")
            return .ok
        }
        let p = invoker.provider
        let s = p.settings
        let total = invoker.stats.total
        let cost = await p.costSnapshot(usage: invoker.stats.usage)
        let mode = (callDefaults.mode ?? s.mode).rawValue
        let concurrency = callDefaults.concurrency ?? s.concurrency
        let timeout = callDefaults.timeout ?? s.timeout
        let retries = callDefaults.maxRetries ?? s.maxRetries
        let rate = callDefaults.rate ?? s.rate
        let pipeline = callDefaults.pipeline ?? s.pipeline
        // Text for people, typed values for JSON: numbers in the units the options take (MB, seconds, calls/s).
        var rows: [StatusRow] = [
            StatusRow("provider", p.name, .string(p.name)), StatusRow("module", p.module.path, .string(p.module.path)),
            StatusRow("functions", p.functions.map(\.name).joined(separator: ", "), .array(p.functions.map { .string($0.name) })),
            StatusRow("memory", "\(s.memoryMb) MB", .int(s.memoryMb)),
            StatusRow("timeout", "\(NumberText.seconds(timeout)) s", .double(timeout)),
            StatusRow("concurrency", concurrency == 0 ? "unlimited" : String(concurrency), .int(concurrency)),
            StatusRow("mode", mode, .string(mode)), StatusRow("retries", String(retries), .int(retries)),
        ]
        // Shown to people only when not the default; JSON always has them (`rate` null when there is none).
        rows.append(StatusRow("rate", rate.map { "\(NumberText.seconds($0))/s" }, rate.map { .double($0) } ?? .null))
        rows.append(StatusRow("pipeline", pipeline ? nil : "off", .bool(pipeline)))
        let typed = p.detailValues
        rows += p.details.map { StatusRow($0.0, $0.1, typed[$0.0] ?? .string($0.1)) }
        let calls: JSONValue = ["invocations": .int(total.invocations), "completed": .int(total.completed),
                                "failed": .int(total.errors), "retries": .int(total.retries), "reruns": .int(total.reruns)]
        var costValue: [JSONMember] = [JSONMember("total", .double(cost.total))]
        if let e = cost.estimateTotal { costValue.append(JSONMember("lambdaEstimate", .double(e))) }
        let logs = p.logLocation(function: nil)
        rows += [
            StatusRow("calls", "\(total.invocations) (\(total.completed) ok, \(total.errors) failed, \(total.retries) retries"
                + (total.reruns > 0 ? ", \(total.reruns) re-runs)" : ")"), calls),
            StatusRow("cost", CostSnapshot.usd(cost.total) + (cost.estimateTotal.map { " (≈ \(CostSnapshot.usd($0)) on Lambda)" } ?? ""),
                      .object(costValue)),
            StatusRow("logs", logs, .string(logs)),
        ]
        report(.status(rows), command: "status")
        return .ok
    }

    func statsCommand(_ function: Name?) throws -> CommandStatus {
        let invoker = try requireSession()
        var names = invoker.stats.functionNames
        if let function {
            guard names.contains(function.text) else {
                let known = invoker.provider.functions.map(\.name)
                if known.contains(function.text) {
                    throw ShellError("\(function.text) has not been called yet", at: function.location)
                }
                throw ShellError("no function '\(function.text)'" + Suggestion.didYouMean(function.text, in: known), at: function.location)
            }
            names = [function.text]
        }
        let entries: [(String, FunctionStats)] = names.compactMap { n in invoker.stats.function(n).map { (n, $0) } }
            + (function == nil && names.count > 1 ? [("(all)", invoker.stats.total)] : [])
        let detail = function.flatMap { invoker.stats.function($0.text) }
        report(.stats(StatsReport(entries: entries.map { (name: $0.0, stats: $0.1) }, detail: detail)), command: "stats")
        return .ok
    }

    func costCommand(_ form: Name?) async throws -> CommandStatus {
        let invoker = try requireSession()
        let usage = invoker.stats.usage
        var snapshot = await invoker.provider.costSnapshot(usage: usage)
        snapshot.noteSpeculation(usage)
        report(.cost(snapshot, form: form.flatMap { CostForm(rawValue: $0.text) } ?? .text), command: "cost")
        return .ok
    }

    func resultsCommand() throws -> CommandStatus {
        guard let batch = lastBatch else { throw ShellError("no fan-out has run yet (call FN(ARGS) xN)") }
        report(.results(batch), command: "results")
        return .ok
    }

    func logUrlCommand(_ function: Name?) throws -> CommandStatus {
        let invoker = try requireSession()
        if let function { try validate(invoker, function, argumentCount: 0) }
        let url = invoker.provider.logLocation(function: function?.text)
        report(.logUrl(url), command: "logUrl")
        return .ok
    }

    func logsCommand(_ function: Name?, options opts: [OptionArg]) async throws -> CommandStatus {
        let invoker = try requireSession()
        if let function { try validate(invoker, function, argumentCount: 0) }
        var last = 20
        let logs = Language.command("logs")!
        for opt in opts {
            last = try checkedValue(opt, try spec(of: opt, in: logs)).int
        }
        let lines = try await invoker.provider.recentLogs(function: function?.text, last: last)
        report(.logs(lines), command: "logs")
        return .ok
    }
}
