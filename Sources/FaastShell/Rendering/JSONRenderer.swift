import FaastCore
import FaastLanguage

/// `--format json`: one JSON object per command on standard output, and nothing else: `command`, `ok`, then
/// the result's fields sorted by name. A fan-out's object is written as its calls finish (see `FanOutStream`):
/// `command`, its `values`, `ok`, then the other fields. Field names are stable; Tests/Fixtures/schema/output.json
/// describes every object (README, "Output").
struct JSONRenderer: Renderer {
    let output: any OutputSink
    /// Where the running command was written, for objects that report a failure (`line`, `file`).
    var place: CommandPlace?

    var showsProgress: Bool { false }

    func render(_ result: CommandResult, command: String?) {
        guard let (ok, fields) = object(result) else { return }
        // A syntax error is found before any command runs: the parser says which command it was in.
        if case .syntaxError(let error, _) = result { return emit(error.command, ok: ok, fields) }
        emit(command, ok: ok, fields)
    }

    func valueStream(command: String) -> FanOutStream? {
        FanOutStream(renderer: self, command: command)
    }

    /// `ok` and the fields of `result`'s object; nil for what JSON output leaves out (an echo, a banner, a note).
    /// `streamed`: a fan-out's values were written already (`FanOutStream`).
    func object(_ result: CommandResult, streamed: Bool = false) -> (ok: Bool, fields: [String: JSONValue])? {
        var (ok, fields): (Bool, [String: JSONValue])
        switch result {
        case .syntaxError(let error, let file):
            var e: [String: JSONValue] = ["kind": "syntax", "message": .string(error.message),
                                          "line": .int(error.location.line), "column": .int(error.location.column)]
            (ok, fields) = (false, ["error": Self.object(e), "line": .int(error.location.line)])
            if let file = Self.scriptFile(file) {
                e["file"] = .string(file)
                fields["file"] = .string(file)
            }
            fields["error"] = Self.object(e)
        case .usageError(let error, let context):
            var e: [String: JSONValue] = ["kind": "usage", "message": .string(error.message)]
            if !error.suggestions.isEmpty { e["suggestions"] = .array(error.suggestions.map { .string($0) }) }
            if let l = error.location {
                e["line"] = .int(l.line)
                e["column"] = .int(l.column)
                if let file = Self.scriptFile(context.file) { e["file"] = .string(file) }
            }
            (ok, fields) = (false, ["error": Self.object(e)])
        case .failure(let error, let function, let attempts):
            (ok, fields) = (false, ["error": Self.error(error)])
            if let function { fields["function"] = .string(function) }
            if let attempts { fields["attempts"] = .int(attempts) }
        case .echo, .kept, .yieldsVoided, .analysisStarted:
            return nil  // for people; each yielded value says its attempt
        case .opened(let provider, let module, let functions, _):
            (ok, fields) = (true, ["provider": .string(provider), "module": .string(module),
                                   "functions": .array(functions.map { .string($0.signature) })])
        case .reloaded(let provider, let module, let changed, let functions, let removed, let automatic, _):
            (ok, fields) = (true, ["provider": .string(provider), "module": .string(module), "automatic": .bool(automatic),
                                   "changed": .array(changed.map { .string($0) }),
                                   "functions": .array(functions.map { .string($0.signature) }),
                                   "removed": .array(removed.map { .string($0) })])
        case .value(let function, let value, let latencyMs, let attempts, let coldStart, let output):
            (ok, fields) = (true, ["function": .string(function), "value": value, "coldStart": .bool(coldStart),
                                   "latencyMs": .double(Self.round(latencyMs)), "attempts": .int(attempts)])
            if let output { fields["output"] = .array(output.map { .string($0) }) }
        case .yielded(let function, let attempt, let seq, let value):
            (ok, fields) = (true, ["event": "yield", "function": .string(function), "attempt": .int(attempt),
                                   "seq": .int(seq), "value": value])
        case .analysis(let report):
            (ok, fields) = (report.ok, Self.analysis(report))
        case .batch(let batch, let cost, let interrupted, _):
            fields = Self.batch(batch)
            fields["cost"] = .double(cost.total)
            if let e = cost.estimateTotal { fields["lambdaEstimate"] = .double(e) }
            if interrupted { fields["interrupted"] = true }
            if !streamed {
                // A fan-out not streamed (reported only for its failure): the values kept, in call order.
                fields["values"] = .array(batch.results.map { (try? $0.get()) ?? .null })
                if batch.droppedResults > 0 { fields["valuesDropped"] = .int(batch.droppedResults) }
            }
            ok = batch.failed == 0 && !interrupted
        case .bound(let name, let value, let printed):
            (ok, fields) = (true, ["name": .string(name), "value": value])
            if let printed { fields["output"] = .array(printed.map { .string($0) }) }
        case .expectation(let passed, let description, let detail, let printed):
            (ok, fields) = (passed, ["expectation": .string(description)])
            if let detail { fields["detail"] = .string(detail) }
            if let printed { fields["output"] = .array(printed.map { .string($0) }) }
        case .functions(let functions):
            (ok, fields) = (true, ["functions": .array(functions.map { f in
                ["name": .string(f.name), "parameters": .array(f.parameters.map { .string($0) })]
            })])
        case .help(let text), .printed(let text):
            (ok, fields) = (true, ["text": .string(text)])
        case .functionHelp(let info, let module):
            (ok, fields) = (true, [
                "function": .string(info.name), "module": .string(module), "signature": .string(info.fullSignature),
                "parameters": .array((info.declared ?? info.parameters.map { ParameterInfo(name: $0) }).map { p in
                    var members = [JSONMember("name", .string(p.name)), JSONMember("kind", .string(p.kind.rawValue))]
                    if let d = p.defaultText { members.append(JSONMember("default", .string(d))) }
                    return .object(members)
                }),
                "doc": info.doc.map { .string($0) } ?? .null, "generator": .bool(info.isGenerator),
                "text": .string(Shell.functionHelpText(info, module: module)),
            ])
        case .status(let rows):
            (ok, fields) = (true, ["open": .bool(rows != nil)])
            for row in rows ?? [] { fields[row.key] = row.value }
        case .stats(let report):
            (ok, fields) = (true, ["functions": .object(report.entries.map { JSONMember($0.name, Self.stats($0.stats)) })])
        case .cost(let snapshot, let form):
            (ok, fields) = (true, ["cost": snapshot.json])
            if form == .csv { fields["csv"] = .string(snapshot.csv) }
        case .results(let batch):
            (ok, fields) = (true, ["function": .string(batch.function), "count": .int(batch.count),
                                   "kept": .int(batch.results.count), "results": .array(batch.results.map { r in
                switch r {
                case .success(let v): return ["ok": true, "value": v]
                case .failure(let e): return ["ok": false, "error": Self.error(e)]
                }
            })])
        case .logUrl(let url):
            (ok, fields) = (true, ["url": .string(url)])
        case .logs(let lines):
            (ok, fields) = (true, ["lines": .array(lines.map { .string($0) })])
        case .history(let entries, _):
            (ok, fields) = (true, ["entries": .array(entries.map { .string($0) })])
        case .settingsChanged:
            (ok, fields) = (true, [:])
        case .slept(let seconds):
            (ok, fields) = (true, ["seconds": .double(seconds)])
        case .packaged(let listing):
            (ok, fields) = (true, [:])
            if case .object(let members) = listing.json { for m in members { fields[m.key] = m.value } }
        case .cleanedUp(let report), .collected(let report):
            (ok, fields) = (true, ["removed": .array(report.map { .string($0) })])
        }
        // A failure says where its command was written (a script's file, the line).
        if !ok, let place, fields["line"] == nil {
            fields["line"] = .int(place.line)
            if let file = Self.scriptFile(place.file) { fields["file"] = .string(file) }
        }
        return (ok, fields)
    }

    private func emit(_ command: String?, ok: Bool, _ fields: [String: JSONValue]) {
        output.out(Self.text(command, first: [JSONMember("ok", .bool(ok))], fields) + "\n")
    }

    /// `{"command": …, <first>, <fields sorted by name>}` on one line.
    static func text(_ command: String?, first: [JSONMember], _ fields: [String: JSONValue]) -> String {
        var members = [JSONMember("command", command.map { .string($0) } ?? .null)] + first
        for key in fields.keys.sorted() { members.append(JSONMember(key, fields[key]!)) }
        return JSONValue.object(members).jsonText
    }

    /// An object with its members sorted by name.
    static func object(_ fields: [String: JSONValue]) -> JSONValue {
        .object(fields.keys.sorted().map { JSONMember($0, fields[$0]!) })
    }

    /// A script's path for output; nil for the prompt, `-c` and standard input.
    static func scriptFile(_ file: String?) -> String? {
        guard let file, !file.isEmpty, file != "<stdin>" else { return nil }
        return file
    }

    static func error(_ error: FaastError) -> JSONValue {
        var e: [JSONMember] = [JSONMember("kind", .string(error.kind.rawValue)), JSONMember("message", .string(error.message))]
        if let r = error.remote {
            e.append(JSONMember("name", .string(r.name)))
            if let s = r.stack { e.append(JSONMember("stack", .string(s))) }
            if !r.properties.isEmpty { e.append(JSONMember("properties", .object(r.properties))) }
        }
        if let log = error.logLocation { e.append(JSONMember("logUrl", .string(log))) }
        if let output = error.output { e.append(JSONMember("output", .array(output.map { .string($0) }))) }
        if !error.suggestions.isEmpty { e.append(JSONMember("suggestions", .array(error.suggestions.map { .string($0) }))) }
        return .object(e)
    }

    static func batch(_ batch: BatchResult) -> [String: JSONValue] {
        [
            "function": .string(batch.function), "count": .int(batch.count), "succeeded": .int(batch.ok),
            "failed": .int(batch.failed), "cancelled": .int(batch.cancelled),
            "cancelledWhileRunning": .int(batch.cancelledWhileRunning), "retried": .int(batch.retries),
            "rerun": .int(batch.reruns),
            "speculative": .int(batch.speculative), "speculativeWins": .int(batch.speculativeWins),
            "mode": .string(batch.mode.rawValue), "elapsedMs": .double(round(batch.elapsedSeconds * 1000)),
            "callsPerSecond": .double(round(batch.callsPerSecond)),
            "coldStarts": .int(batch.coldStarts),
            "latencyMs": latency(batch.latency), "warmLatencyMs": latency(batch.warmLatency),
            "coldLatencyMs": latency(batch.coldLatency),
            "failures": failures(batch.failureGroups),
        ]
    }

    /// A fan-out's failures, grouped (`kind`, `message`, `count`, `firstIndex`).
    static func failures(_ groups: [FailureGroup]) -> JSONValue {
        .array(groups.map { g in
            ["kind": .string(g.kind.rawValue), "message": .string(g.message), "count": .int(g.count),
             "firstIndex": .int(g.firstIndex)]
        })
    }

    /// A fan-out's round trips (ms): percentiles, mean and range.
    static func latency(_ l: LatencySummary) -> JSONValue {
        ["p50": .double(round(l.p50)), "p90": .double(round(l.p90)), "p99": .double(round(l.p99)),
         "mean": .double(round(l.mean)), "min": .double(round(l.min)), "max": .double(round(l.max))]
    }

    static func stats(_ s: FunctionStats) -> JSONValue {
        func summary(_ l: LatencySummary) -> JSONValue {
            ["count": .int(l.count), "mean": .double(round(l.mean)), "stdev": .double(round(l.stdev)),
             "min": .double(round(l.min)), "max": .double(round(l.max)), "p50": .double(round(l.p50)),
             "p90": .double(round(l.p90)), "p99": .double(round(l.p99))]
        }
        return ["invocations": .int(s.invocations), "completed": .int(s.completed), "errors": .int(s.errors),
                "retries": .int(s.retries), "reruns": .int(s.reruns), "latencyMs": summary(s.latency.summary),
                "coldStarts": .int(s.coldStarts), "coldLatencyMs": summary(s.coldLatency.summary),
                "warmLatencyMs": summary(s.warmLatency.summary),
                "executionMs": summary(s.execution.summary), "queuedMs": summary(s.queued.summary),
                "returnMs": summary(s.returnTime.summary), "billedMs": .double(s.billedMs),
                "speculative": .int(s.speculative), "speculativeWins": .int(s.speculativeWins)]
    }

    /// Milliseconds to the microsecond, so that JSON output does not carry binary noise.
    static func round(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }
}

/// JSON output for what happens before any shell exists (the executable's own errors).
public enum JSONOutput {
    /// A mistake on the command line (an unknown flag, a value out of range, a script that cannot be read):
    /// `{"command":null,"ok":false,"error":{"kind":"usage","message":…}}`.
    /// `suggestions`: what was probably meant (a mistyped module path's nearest module files).
    public static func commandLineError(_ message: String, suggestions: [String] = []) -> String {
        var error: [String: JSONValue] = ["kind": "usage", "message": .string(message)]
        if !suggestions.isEmpty { error["suggestions"] = .array(suggestions.map { .string($0) }) }
        return JSONRenderer.text(nil, first: [JSONMember("ok", false)], ["error": JSONRenderer.object(error)])
    }
}
