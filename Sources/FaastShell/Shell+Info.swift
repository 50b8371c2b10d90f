import FaastCore
import FaastLanguage
import Foundation

extension Shell {
    func functionsCommand() throws -> CommandStatus {
        let invoker = try requireSession()
        let functions = invoker.provider.functions
        if format == .json {
            emitJSON(command: "functions", ok: true, ["functions": .array(functions.map { f in
                ["name": .string(f.name), "parameters": .array(f.parameters.map { .string($0) })]
            })])
        } else {
            output.out(functions.map { "  " + $0.signature }.joined(separator: "\n") + "\n")
        }
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
        if format == .json {
            emitJSON(command: "help", ok: true, ["text": .string(text)])
        } else {
            output.out(text + "\n")
        }
        return .ok
    }

    func statusCommand() async -> CommandStatus {
        guard let invoker else {
            if format == .json {
                emitJSON(command: "status", ok: true, ["open": false])
            } else {
                output.out("no module is open (open MODULE to start)\n")
            }
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
            ("memory", "\(s.memoryMb) MB"), ("timeout", "\(Format.seconds(timeout)) s"),
            ("concurrency", concurrency == 0 ? "unlimited" : String(concurrency)), ("mode", mode),
            ("retries", String(callDefaults.maxRetries ?? s.maxRetries)),
        ]
        if let rate = callDefaults.rate ?? s.rate { rows.append(("rate", "\(Format.seconds(rate))/s")) }
        if !(callDefaults.pipeline ?? s.pipeline) { rows.append(("pipeline", "off")) }
        rows += p.details
        rows += [
            ("calls", "\(total.invocations) (\(total.completed) ok, \(total.errors) failed, \(total.retries) retries)"),
            ("cost", CostSnapshot.usd(cost.total) + (cost.estimateTotal.map { " (≈ \(CostSnapshot.usd($0)) on Lambda)" } ?? "")),
            ("logs", p.logLocation(function: nil)),
        ]
        if format == .json {
            var fields: [String: JSONValue] = ["open": true]
            for (k, v) in rows { fields[k] = .string(v) }
            emitJSON(command: "status", ok: true, fields)
        } else {
            let width = rows.map(\.0.count).max() ?? 0
            output.out(rows.map { "  " + Format.pad($0.0, width) + "  " + $0.1 }.joined(separator: "\n") + "\n")
        }
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
        if format == .json {
            emitJSON(command: "stats", ok: true, ["functions": .object(entries.map { JSONMember($0.0, statsJSON($0.1)) })])
            return .ok
        }
        if entries.isEmpty {
            output.out("no calls yet\n")
            return .ok
        }
        var rows = [["function", "calls", "ok", "failed", "retries", "p50", "p90", "p99", "mean", "stdev", "min", "max"]]
        for (name, s) in entries {
            let l = s.latency.summary
            rows.append([name, String(s.invocations), String(s.completed), String(s.errors), String(s.retries)]
                + [l.p50, l.p90, l.p99, l.mean, l.stdev, l.min, l.max].map { Format.duration(ms: $0) })
        }
        var text = "latency (round trip):\n" + Format.table(rows, rightAligned: Set(1..<12)) + "\n"
        if let function, let s = invoker.stats.function(function.text) {
            let e = s.execution.summary, q = s.queued.summary, r = s.returnTime.summary
            text += "execution p50 \(Format.duration(ms: e.p50)) · p99 \(Format.duration(ms: e.p99))"
                + " · queued p50 \(Format.duration(ms: q.p50)) · return p50 \(Format.duration(ms: r.p50))\n"
            text += histogram(s.latency)
        }
        output.out(text)
        return .ok
    }

    private func histogram(_ recorder: LatencyRecorder) -> String {
        let buckets = recorder.buckets(8)
        let peak = buckets.map(\.count).max() ?? 0
        guard peak > 0 else { return "" }
        return buckets.map { b in
            let bar = String(repeating: "█", count: Int((Double(b.count) / Double(peak) * 30).rounded(.up)))
            return "  ≤ " + Format.pad(Format.duration(ms: b.upperMs), 9, right: true) + "  " + Format.pad(bar, 30)
                + "  " + String(b.count)
        }.joined(separator: "\n") + "\n"
    }

    private func statsJSON(_ s: FunctionStats) -> JSONValue {
        func summary(_ l: LatencySummary) -> JSONValue {
            ["count": .int(l.count), "mean": .double(Self.round(l.mean)), "stdev": .double(Self.round(l.stdev)),
             "min": .double(Self.round(l.min)), "max": .double(Self.round(l.max)), "p50": .double(Self.round(l.p50)),
             "p90": .double(Self.round(l.p90)), "p99": .double(Self.round(l.p99))]
        }
        return ["invocations": .int(s.invocations), "completed": .int(s.completed), "errors": .int(s.errors),
                "retries": .int(s.retries), "latencyMs": summary(s.latency.summary),
                "executionMs": summary(s.execution.summary), "queuedMs": summary(s.queued.summary),
                "returnMs": summary(s.returnTime.summary), "billedMs": .double(s.billedMs)]
    }

    func costCommand() async throws -> CommandStatus {
        let invoker = try requireSession()
        let snapshot = await invoker.provider.costSnapshot(usage: invoker.stats.usage)
        if format == .json {
            emitJSON(command: "cost", ok: true, ["cost": snapshot.json])
        } else {
            output.out(snapshot.text + "\n")
        }
        return .ok
    }

    func resultsCommand() throws -> CommandStatus {
        guard let batch = lastBatch else { throw ShellError("no fan-out has run yet (call FN(ARGS) xN)") }
        if format == .json {
            emitJSON(command: "results", ok: true, ["function": .string(batch.function), "results": .array(batch.results.map { r in
                switch r {
                case .success(let v): return ["ok": true, "value": v]
                case .failure(let e): return ["ok": false, "error": errorJSON(e)]
                }
            })])
            return .ok
        }
        var text = ""
        for (i, r) in batch.results.enumerated() {
            switch r {
            case .success(let v): text += "\(i): \(v.jsonText)\n"
            case .failure(let e): text += "\(i): " + style.red("error") + " (\(e.kind.rawValue)): \(e.message.split(separator: "\n").first ?? "")\n"
            }
        }
        output.out(text)
        return .ok
    }

    func logUrlCommand(_ function: Name?) throws -> CommandStatus {
        let invoker = try requireSession()
        if let function { try validate(invoker, function, argumentCount: 0) }
        let url = invoker.provider.logLocation(function: function?.text)
        if format == .json {
            emitJSON(command: "logUrl", ok: true, ["url": .string(url)])
        } else {
            output.out(url + "\n")
        }
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
        if format == .json {
            emitJSON(command: "logs", ok: true, ["lines": .array(lines.map { .string($0) })])
        } else {
            output.out(lines.isEmpty ? "no log lines yet\n" : lines.joined(separator: "\n") + "\n")
        }
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
        if format == .json { emitJSON(command: "set", ok: true, [:]) }
        return .ok
    }

    func printCommand(_ text: String, at location: SourceLocation) throws -> CommandStatus {
        let expanded = try interpolate(text, at: location)
        if format == .json {
            emitJSON(command: "print", ok: true, ["text": .string(expanded)])
        } else {
            output.out(expanded + "\n")
        }
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
        if format == .json { emitJSON(command: "sleep", ok: true, ["seconds": .double(seconds)]) }
        return .ok
    }

    func sourceCommand(_ path: String, context: SourceContext) async throws -> CommandStatus {
        let full = FilePaths.absolute(path, relativeTo: context.directory)
        guard let data = FileManager.default.contents(atPath: full) else {
            throw ShellError("cannot read \(path): no such file")
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
        if format == .json {
            emitJSON(command: "cleanup", ok: true, ["removed": .array(report.map { .string($0) })])
        } else {
            output.out(report.map { "  " + $0 }.joined(separator: "\n") + "\n")
        }
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
        if format == .json {
            emitJSON(command: "gc", ok: true, ["removed": .array(report.map { .string($0) })])
        } else {
            output.out(report.isEmpty ? "nothing to collect\n" : report.map { "  " + $0 }.joined(separator: "\n") + "\n")
        }
        return .ok
    }
}
