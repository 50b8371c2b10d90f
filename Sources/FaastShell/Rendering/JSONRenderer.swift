import FaastCore
import FaastLanguage

/// `--format json`: one JSON object per command on standard output, and nothing else: `command`, `ok`, then
/// the result's fields sorted by name. Field names are stable (README, "Output").
struct JSONRenderer: Renderer {
    let output: any OutputSink

    var showsProgress: Bool { false }

    func render(_ result: CommandResult, command: String?) {
        switch result {
        case .syntaxError(let error, _):
            emit(nil, ok: false, ["error": [
                "kind": "syntax", "message": .string(error.message),
                "line": .int(error.location.line), "column": .int(error.location.column),
            ]])
        case .usageError(let error, _):
            var e: [JSONMember] = [JSONMember("kind", "usage"), JSONMember("message", .string(error.message))]
            if let l = error.location { e += [JSONMember("line", .int(l.line)), JSONMember("column", .int(l.column))] }
            emit(command, ok: false, ["error": .object(e)])
        case .failure(let error, let function, let attempts):
            var fields: [String: JSONValue] = ["error": Self.error(error)]
            if let function { fields["function"] = .string(function) }
            if let attempts { fields["attempts"] = .int(attempts) }
            emit(command, ok: false, fields)
        case .echo, .kept:
            break
        case .opened(let provider, let module, let functions, _):
            emit(command, ok: true, ["provider": .string(provider), "module": .string(module),
                                     "functions": .array(functions.map { .string($0.signature) })])
        case .value(let function, let value, let latencyMs, let attempts):
            emit(command, ok: true, ["function": .string(function), "value": value,
                                     "latencyMs": .double(Self.round(latencyMs)), "attempts": .int(attempts)])
        case .yielded(let function, let attempt, let seq, let value):
            emit(command, ok: true, ["event": "yield", "function": .string(function), "attempt": .int(attempt),
                                     "seq": .int(seq), "value": value])
        case .yieldsVoided:
            break  // each value says its attempt
        case .analysisStarted:
            break
        case .analysis(let report):
            emit(command, ok: report.ok, Self.analysis(report))
        case .batch(let batch, let cost, let interrupted):
            var fields = Self.batch(batch)
            fields["cost"] = .double(cost.total)
            if let e = cost.estimateTotal { fields["lambdaEstimate"] = .double(e) }
            if interrupted { fields["interrupted"] = true }
            emit(command, ok: batch.failed == 0 && !interrupted, fields)
        case .bound(let name, let value):
            emit(command, ok: true, ["name": .string(name), "value": value])
        case .expectation(let passed, let description, let detail):
            var fields: [String: JSONValue] = ["expectation": .string(description)]
            if let detail { fields["detail"] = .string(detail) }
            emit(command, ok: passed, fields)
        case .functions(let functions):
            emit(command, ok: true, ["functions": .array(functions.map { f in
                ["name": .string(f.name), "parameters": .array(f.parameters.map { .string($0) })]
            })])
        case .help(let text), .printed(let text):
            emit(command, ok: true, ["text": .string(text)])
        case .status(let rows):
            var fields: [String: JSONValue] = ["open": .bool(rows != nil)]
            for (k, v) in rows ?? [] { fields[k] = .string(v) }
            emit(command, ok: true, fields)
        case .stats(let report):
            emit(command, ok: true, ["functions": .object(report.entries.map { JSONMember($0.name, Self.stats($0.stats)) })])
        case .cost(let snapshot):
            emit(command, ok: true, ["cost": snapshot.json])
        case .results(let batch):
            emit(command, ok: true, ["function": .string(batch.function), "count": .int(batch.count),
                                     "kept": .int(batch.results.count), "results": .array(batch.results.map { r in
                switch r {
                case .success(let v): return ["ok": true, "value": v]
                case .failure(let e): return ["ok": false, "error": Self.error(e)]
                }
            })])
        case .logUrl(let url):
            emit(command, ok: true, ["url": .string(url)])
        case .logs(let lines):
            emit(command, ok: true, ["lines": .array(lines.map { .string($0) })])
        case .history(let entries, _):
            emit(command, ok: true, ["entries": .array(entries.map { .string($0) })])
        case .settingsChanged:
            emit(command, ok: true, [:])
        case .slept(let seconds):
            emit(command, ok: true, ["seconds": .double(seconds)])
        case .packaged(let listing):
            var fields: [String: JSONValue] = [:]
            if case .object(let members) = listing.json { for m in members { fields[m.key] = m.value } }
            emit(command, ok: true, fields)
        case .cleanedUp(let report), .collected(let report):
            emit(command, ok: true, ["removed": .array(report.map { .string($0) })])
        }
    }

    private func emit(_ command: String?, ok: Bool, _ fields: [String: JSONValue]) {
        var members = [JSONMember("command", command.map { .string($0) } ?? .null), JSONMember("ok", .bool(ok))]
        for key in fields.keys.sorted() { members.append(JSONMember(key, fields[key]!)) }
        output.out(JSONValue.object(members).jsonText + "\n")
    }

    static func error(_ error: FaastError) -> JSONValue {
        var e: [JSONMember] = [JSONMember("kind", .string(error.kind.rawValue)), JSONMember("message", .string(error.message))]
        if let r = error.remote {
            e.append(JSONMember("name", .string(r.name)))
            if let s = r.stack { e.append(JSONMember("stack", .string(s))) }
            if !r.properties.isEmpty { e.append(JSONMember("properties", .object(r.properties))) }
        }
        if let log = error.logLocation { e.append(JSONMember("logUrl", .string(log))) }
        return .object(e)
    }

    static func batch(_ batch: BatchResult) -> [String: JSONValue] {
        [
            "function": .string(batch.function), "count": .int(batch.count), "succeeded": .int(batch.ok),
            "failed": .int(batch.failed), "cancelled": .int(batch.cancelled), "retried": .int(batch.retries),
            "rerun": .int(batch.reruns),
            "speculative": .int(batch.speculative), "speculativeWins": .int(batch.speculativeWins),
            "mode": .string(batch.mode.rawValue), "elapsedMs": .double(round(batch.elapsedSeconds * 1000)),
            "callsPerSecond": .double(round(batch.callsPerSecond)),
            "latencyMs": [
                "p50": .double(round(batch.latency.p50)), "p90": .double(round(batch.latency.p90)),
                "p99": .double(round(batch.latency.p99)), "mean": .double(round(batch.latency.mean)),
                "min": .double(round(batch.latency.min)), "max": .double(round(batch.latency.max)),
            ],
            "failures": .array(batch.failureGroups.map { g in
                ["kind": .string(g.kind.rawValue), "message": .string(g.message), "count": .int(g.count),
                 "firstIndex": .int(g.firstIndex)]
            }),
        ]
    }

    static func stats(_ s: FunctionStats) -> JSONValue {
        func summary(_ l: LatencySummary) -> JSONValue {
            ["count": .int(l.count), "mean": .double(round(l.mean)), "stdev": .double(round(l.stdev)),
             "min": .double(round(l.min)), "max": .double(round(l.max)), "p50": .double(round(l.p50)),
             "p90": .double(round(l.p90)), "p99": .double(round(l.p99))]
        }
        return ["invocations": .int(s.invocations), "completed": .int(s.completed), "errors": .int(s.errors),
                "retries": .int(s.retries), "reruns": .int(s.reruns), "latencyMs": summary(s.latency.summary),
                "executionMs": summary(s.execution.summary), "queuedMs": summary(s.queued.summary),
                "returnMs": summary(s.returnTime.summary), "billedMs": .double(s.billedMs),
                "speculative": .int(s.speculative), "speculativeWins": .int(s.speculativeWins)]
    }

    /// Milliseconds to the microsecond, so that JSON output does not carry binary noise.
    static func round(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }
}
