import FaastCore
import FaastLanguage
import Foundation

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
            if let c = Language.command(topic.text) {
                text = Reference.help(for: c)
            } else if let f = invoker?.provider.functions.first(where: { $0.name == topic.text }) {
                text = "\(f.signature)  — \(FilePaths.lastComponent(invoker!.provider.module.path))\n  call \(f.name)("
                    + f.parameters.map { _ in "…" }.joined(separator: ", ") + ")"
            } else {
                let names = Language.keywords + functionNames
                throw ShellError("no command or function named '\(topic.text)'" + Suggestion.didYouMean(topic.text, in: names),
                                 at: topic.location)
            }
        } else {
            text = Reference.overview
        }
        report(.help(text), command: "help")
        return .ok
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
        var rows: [(String, String)] = [
            ("provider", p.name), ("module", p.module.path),
            ("functions", p.functions.map(\.name).joined(separator: ", ")),
            ("memory", "\(s.memoryMb) MB"), ("timeout", "\(NumberText.seconds(timeout)) s"),
            ("concurrency", concurrency == 0 ? "unlimited" : String(concurrency)), ("mode", mode),
            ("retries", String(callDefaults.maxRetries ?? s.maxRetries)),
        ]
        if let rate = callDefaults.rate ?? s.rate { rows.append(("rate", "\(NumberText.seconds(rate))/s")) }
        if !(callDefaults.pipeline ?? s.pipeline) { rows.append(("pipeline", "off")) }
        rows += p.details
        rows += [
            ("calls", "\(total.invocations) (\(total.completed) ok, \(total.errors) failed, \(total.retries) retries)"),
            ("cost", CostSnapshot.usd(cost.total) + (cost.estimateTotal.map { " (≈ \(CostSnapshot.usd($0)) on Lambda)" } ?? "")),
            ("logs", p.logLocation(function: nil)),
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

    func costCommand() async throws -> CommandStatus {
        let invoker = try requireSession()
        let snapshot = await invoker.provider.costSnapshot(usage: invoker.stats.usage)
        report(.cost(snapshot), command: "cost")
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

    func setCommand(_ opts: [OptionArg]) throws -> CommandStatus {
        var calls = callDefaults
        var session = options.session
        let set = Language.command("set")!
        for opt in opts {
            let spec = try spec(of: opt, in: set)
            let value = try checkedValue(opt, spec)
            if !spec.apply(value, to: &calls) { spec.apply(value, to: &session) }
        }
        // All or nothing: a bad value in the line changes no setting.
        callDefaults = calls
        options.session = session
        report(.settingsChanged, command: "set")
        return .ok
    }

    func printCommand(_ text: String, at location: SourceLocation) throws -> CommandStatus {
        let expanded = try interpolate(text, at: location)
        report(.printed(expanded), command: "print")
        return .ok
    }

    /// Replaces `$name` (and `${name}`) by the variable's value: strings as they are, other values as JSON.
    func interpolate(_ text: String, at location: SourceLocation) throws -> String {
        var out = ""
        var chars = Substring(text)
        while let dollar = chars.firstIndex(of: "$") {
            out += chars[..<dollar]
            var rest = chars[chars.index(after: dollar)...]
            var braced = false
            if rest.first == "{" {
                braced = true
                rest = rest.dropFirst()
            }
            let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            if name.isEmpty {
                out += "$"
                chars = chars[chars.index(after: dollar)...]
                continue
            }
            guard let value = variables[String(name)] else {
                throw ShellError("unknown variable $\(name)"
                    + Suggestion.didYouMean(String(name), in: variables.keys.filter { $0 != "_" }, sigil: "$"), at: location)
            }
            out += value.stringValue ?? value.jsonText
            rest = rest[name.endIndex...]
            if braced, rest.first == "}" { rest = rest.dropFirst() }
            chars = rest
        }
        return out + chars
    }

    func sleepCommand(_ expr: Expr) async throws -> CommandStatus {
        let seconds = try checked(expr, Language.sleepSeconds, subject: "sleep").double
        do {
            // In range by the check above: at most a day, far below UInt64's nanoseconds.
            try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
        } catch {
            return .interrupted
        }
        report(.slept(seconds: seconds), command: "sleep")
        return .ok
    }

    func sourceCommand(_ path: String, context: SourceContext) async throws -> CommandStatus {
        let full = FilePaths.absolute(path, relativeTo: context.directory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory) else {
            throw ShellError("cannot read \(path): no such file")
        }
        if isDirectory.boolValue { throw ShellError("cannot read \(path): it is a directory (source takes a .faast file)") }
        guard let data = FileManager.default.contents(atPath: full) else {
            throw ShellError("cannot read \(path): permission denied")
        }
        guard !sourceStack.contains(full) else { throw ShellError("\(path) sources itself") }
        sourceStack.append(full)
        defer { sourceStack.removeLast() }
        let text = String(decoding: data, as: UTF8.self)
        let inner = SourceContext(file: path, text: text, directory: (full as NSString).deletingLastPathComponent)
        return await runScript(text, context: inner)
    }

    func cleanupCommand() async throws -> CommandStatus {
        _ = try requireSession()
        let report = try await closeSession(report: true)
        self.report(.cleanedUp(report), command: "cleanup")
        return .ok
    }

    func gcCommand() async throws -> CommandStatus {
        let report: CleanupReport
        if let invoker {
            report = try await invoker.provider.collectGarbage()
        } else {
            guard let factory = factories[options.provider] else { throw ShellError("unknown provider '\(options.provider)'") }
            report = try await factory.collectGarbage(settings: options.deploy)
        }
        self.report(.collected(report), command: "gc")
        return .ok
    }
}
