import FaastCore

extension TextRenderer {
    /// The analysis table: a row per memory size, the cheapest and fastest marked, then what the numbers mean.
    func analysis(_ report: AnalysisReport) {
        var table = [["memory", "calls", "failed", "mean", "p50", "p99", "billed/call", "cost/call", "workload", ""]]
        for r in report.rows {
            if let e = r.error {
                table.append(["\(r.memoryMb) MB", "-", "-", "-", "-", "-", "-", "-", "-", style.red("deploy failed: \(shown(e.message))")])
                continue
            }
            var marks = [r.cheapest ? "cheapest" : nil, r.fastest ? "fastest" : nil].compactMap { $0 }.joined(separator: ", ")
            if !marks.isEmpty { marks = style.green(marks) }
            if let e = r.cleanupError { marks += style.red(" NOT REMOVED: \(shown(e.message))") }
            table.append([
                "\(r.memoryMb) MB", Format.grouped(r.calls), Format.grouped(r.failed), Format.duration(ms: r.latency.mean),
                Format.duration(ms: r.latency.p50), Format.duration(ms: r.latency.p99),
                "\(NumberText.seconds((r.billedMsPerCall * 10).rounded() / 10)) ms", CostSnapshot.usd(r.costPerCall),
                CostSnapshot.usd(r.workloadCost), marks,
            ])
        }
        let n = report.rows.count
        var text = "\(report.function) x\(report.count) at \(n) memory size\(n == 1 ? "" : "s")"
            + (report.interrupted ? style.yellow(" (interrupted)") : "") + "\n"
        text += Format.table(table, rightAligned: Set(1..<9)) + "\n" + style.dim(report.note) + "\n"
        output.out(text)
        for r in report.rows {
            for g in r.failures {
                output.err(style.red("failed") + " at \(r.memoryMb) MB: \(g.count) call\(g.count == 1 ? "" : "s") (\(g.kind.rawValue)): \(shown(g.message))\n")
            }
            if let e = r.cleanupError { output.err(style.red("error") + ": the \(r.memoryMb) MB variant was not removed: \(e.message)\n") }
        }
    }
}

extension JSONRenderer {
    /// `analyze`'s fields: the workload, the note, and one object per memory size (README, "The cost analyzer").
    static func analysis(_ report: AnalysisReport) -> [String: JSONValue] {
        let rows: [JSONValue] = report.rows.map { r in
            var m: [JSONMember] = [
                JSONMember("memoryMb", .int(r.memoryMb)), JSONMember("calls", .int(r.calls)),
                JSONMember("succeeded", .int(r.succeeded)), JSONMember("failed", .int(r.failed)),
                JSONMember("meanMs", .double(round(r.latency.mean))), JSONMember("p50Ms", .double(round(r.latency.p50))),
                JSONMember("p99Ms", .double(round(r.latency.p99))),
                JSONMember("billedMsPerCall", .double(round(r.billedMsPerCall))),
                JSONMember("costPerCall", .double(r.costPerCall)), JSONMember("workloadCost", .double(r.workloadCost)),
                JSONMember("cheapest", .bool(r.cheapest)), JSONMember("fastest", .bool(r.fastest)),
            ]
            if !r.failures.isEmpty { m.append(JSONMember("failures", failures(r.failures))) }
            if let e = r.error { m.append(JSONMember("error", error(e))) }
            if let e = r.cleanupError { m.append(JSONMember("cleanupError", error(e))) }
            return .object(m)
        }
        var fields: [String: JSONValue] = ["function": .string(report.function), "count": .int(report.count),
                                           "rows": .array(rows), "note": .string(report.note)]
        if report.interrupted { fields["interrupted"] = true }
        return fields
    }
}
