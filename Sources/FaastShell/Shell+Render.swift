import FaastCore
import FaastLanguage
import Foundation

extension Shell {
    /// One JSON object for a command on stdout (`--format json`): `command`, `ok`, then the fields sorted by name.
    func emitJSON(command: String?, ok: Bool, _ fields: [String: JSONValue]) {
        var members = [JSONMember("command", command.map { .string($0) } ?? .null), JSONMember("ok", .bool(ok))]
        for key in fields.keys.sorted() { members.append(JSONMember(key, fields[key]!)) }
        output.out(JSONValue.object(members).jsonText + "\n")
    }

    /// A user mistake, with the line and a caret when the place is known.
    func emitUsageError(_ error: ShellError, command: String, context: SourceContext) {
        if format == .json {
            var e: [JSONMember] = [JSONMember("kind", "usage"), JSONMember("message", .string(error.message))]
            if let l = error.location {
                e += [JSONMember("line", .int(l.line)), JSONMember("column", .int(l.column))]
            }
            emitJSON(command: command, ok: false, ["error": .object(e)])
            return
        }
        if let location = error.location {
            let rendered = ParseError(error.message, at: location, sourceLine: context.line(location.line)).rendered(file: context.file)
            output.err(rendered + "\n")
        } else {
            output.err("error: \(error.message)\n")
        }
    }

    /// A failed call: its kind, message, the remote stack (the user's frames) and where its log is.
    func emitFailure(_ error: FaastError, command: String, function: String? = nil, attempts: Int? = nil) {
        if format == .json {
            var fields: [String: JSONValue] = ["error": errorJSON(error)]
            if let function { fields["function"] = .string(function) }
            if let attempts { fields["attempts"] = .int(attempts) }
            emitJSON(command: command, ok: false, fields)
            return
        }
        var text = style.red("error") + " (\(error.kind.rawValue)): \(error.message)\n"
        if let stack = error.remote?.stack, !stack.isEmpty {
            let head = "\(error.remote!.name): \(error.remote!.message)"
            let lines = stack.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
                .filter { $0 != head && !$0.hasPrefix("Traceback (most recent call last)") }
            for line in lines.prefix(12) { text += style.dim("    " + line.trimmingCharacters(in: .whitespaces)) + "\n" }
        }
        let props = error.remote?.properties.filter { $0.key != "file" && $0.key != "line" } ?? []
        if !props.isEmpty {
            text += "  " + props.map { "\($0.key): \($0.value.jsonText)" }.joined(separator: ", ") + "\n"
        }
        if let log = error.logLocation { text += style.dim("  log: \(log)") + "\n" }
        output.err(text)
    }

    func errorJSON(_ error: FaastError) -> JSONValue {
        var e: [JSONMember] = [JSONMember("kind", .string(error.kind.rawValue)), JSONMember("message", .string(error.message))]
        if let r = error.remote {
            e.append(JSONMember("name", .string(r.name)))
            if let s = r.stack { e.append(JSONMember("stack", .string(s))) }
            if !r.properties.isEmpty { e.append(JSONMember("properties", .object(r.properties))) }
        }
        if let log = error.logLocation { e.append(JSONMember("logUrl", .string(log))) }
        return .object(e)
    }

    func renderValue(_ value: JSONValue, function: String, outcome: CallOutcome) {
        if format == .json {
            emitJSON(command: "call", ok: true, [
                "function": .string(function), "value": value, "latencyMs": .double(Self.round(outcome.latencyMs)),
                "attempts": .int(outcome.attempts),
            ])
            return
        }
        var text = value.prettyText
        if showTiming { text += "  " + style.dim(Format.duration(ms: outcome.latencyMs)) }
        output.out(text + "\n")
    }

    func renderBatch(_ batch: BatchResult, cost: CostSnapshot, interrupted: Bool) {
        let money = cost.total > 0 || cost.lambdaEstimate == nil ? CostSnapshot.usd(cost.total)
            : "\(CostSnapshot.usd(cost.total)) (≈ \(CostSnapshot.usd(cost.estimateTotal ?? 0)) on Lambda)"
        if format == .json {
            var fields: [String: JSONValue] = [
                "function": .string(batch.function), "count": .int(batch.count), "succeeded": .int(batch.ok),
                "failed": .int(batch.failed), "cancelled": .int(batch.cancelled), "retried": .int(batch.retries),
                "mode": .string(batch.mode.rawValue), "elapsedMs": .double(Self.round(batch.elapsedSeconds * 1000)),
                "callsPerSecond": .double(Self.round(batch.callsPerSecond)),
                "latencyMs": [
                    "p50": .double(Self.round(batch.latency.p50)), "p90": .double(Self.round(batch.latency.p90)),
                    "p99": .double(Self.round(batch.latency.p99)), "mean": .double(Self.round(batch.latency.mean)),
                    "min": .double(Self.round(batch.latency.min)), "max": .double(Self.round(batch.latency.max)),
                ],
                "cost": .double(cost.total),
                "failures": .array(batch.failureGroups.map { g in
                    ["kind": .string(g.kind.rawValue), "message": .string(g.message), "count": .int(g.count),
                     "firstIndex": .int(g.firstIndex)]
                }),
            ]
            if let e = cost.estimateTotal { fields["lambdaEstimate"] = .double(e) }
            if interrupted { fields["interrupted"] = true }
            emitJSON(command: "call", ok: batch.failed == 0 && !interrupted, fields)
            return
        }
        var parts = [
            (batch.ok > 0 ? style.green : { $0 })("\(Format.grouped(batch.ok)) ok"),
            (batch.failed > 0 ? style.red : { $0 })("\(Format.grouped(batch.failed)) failed"),
            "\(Format.grouped(batch.retries)) retried",
        ]
        if batch.cancelled > 0 { parts.append(style.yellow("\(Format.grouped(batch.cancelled)) cancelled")) }
        if showTiming, batch.latency.count > 0 {
            parts += ["p50 \(Format.duration(ms: batch.latency.p50))", "p99 \(Format.duration(ms: batch.latency.p99))",
                      "\(Format.rate(batch.callsPerSecond)) calls/s", money]
        }
        var text = (interrupted ? style.yellow("interrupted: ") : "") + parts.joined(separator: " · ")
            + style.dim(" (\(batch.function) x\(batch.count), mode \(batch.mode.rawValue))") + "\n"
        for group in batch.failureGroups.prefix(5) {
            let first = group.message.split(separator: "\n").first.map(String.init) ?? group.message
            text += "  \(group.count) × \(group.kind.rawValue): \(first) " + style.dim("(first: call \(group.firstIndex))") + "\n"
        }
        if batch.failureGroups.count > 5 { text += "  … \(batch.failureGroups.count - 5) more kinds of failure\n" }
        output.out(text)
    }

    static func round(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }
}
