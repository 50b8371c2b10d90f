import FaastCore
import FaastLanguage
import Foundation

/// Results for people: values and tables on standard output; errors, failed expectations and the `open`
/// banner on standard error; colour and timings only where `style` and `showTiming` allow.
struct TextRenderer: Renderer {
    let output: any OutputSink
    let style: Style
    let showTiming: Bool
    /// `file:line` of the script command being run, for its failures and its echo (nil at the prompt, `-c`).
    var place: String? = nil

    /// `hello.faast:7: ` before a failure in a script.
    private var placePrefix: String { place.map { $0 + ": " } ?? "" }

    var showsProgress: Bool { output.errIsTerminal }

    /// Outside text for standard output (`err` false) or error, neutralized where that is a terminal.
    func shown(_ text: String, err: Bool = false) -> String {
        (err ? output.errIsTerminal : output.outIsTerminal) ? TerminalText.neutralized(text) : text
    }

    func render(_ result: CommandResult, command: String?) {
        switch result {
        case .syntaxError(let error, let file):
            output.err(style.red("") + error.rendered(file: file) + "\n")
        case .usageError(let error, let context):
            if let location = error.location {
                let rendered = ParseError(error.message, at: location, sourceLine: context.line(location.line))
                output.err(rendered.rendered(file: context.file) + "\n")
            } else {
                output.err("error: \(error.message)\n")
            }
        case .failure(let error, _, _):
            if let printed = error.output, !printed.isEmpty { output.err(functionOutput(printed)) }
            output.err(placePrefix + failure(error))
        case .echo(let line):
            output.out(style.dim((place ?? "faast") + "> " + line) + "\n")
        case .opened(let provider, let module, let functions, let ms):
            // A banner for people at a terminal; piped output stays exactly the results.
            guard output.errIsTerminal else { return }
            var line = "opened \(FilePaths.lastComponent(module)) on \(provider): " + functions.map(\.signature).joined(separator: "  ")
            if showTiming { line += style.dim("  (\(Format.duration(ms: ms)))") }
            output.err(line + "\n")
        case .reloaded(let provider, let module, let changed, _, let removed, let automatic, let ms):
            // One line on standard error: stdout stays the results.
            var line = "reloaded \(FilePaths.lastComponent(module))"
            if !changed.isEmpty { line += " (\(Shell.names(changed)) changed)" }
            line += provider == "local" ? " on fresh workers" : " on \(provider): deployed again"
            if provider == "local", let stopped = removed.first(where: { $0.hasPrefix("stopped ") }) {
                line += "; \(stopped.dropFirst(8)) of the old code stopped"
            }
            if automatic, provider == "local" { line += " (set autoreload=off to keep the loaded code)" }
            if showTiming { line += style.dim("  (\(Format.duration(ms: ms)))") }
            output.err(line + "\n")
        case .kept(let logs):
            output.err("kept the deployment: \(logs)\n")
        case .value(_, let value, let latencyMs, _, let coldStart, let printed):
            var text = shown(PromptOutput.shortened(value.prettyText, for: output))
            if showTiming { text += "  " + style.dim(Format.duration(ms: latencyMs) + (coldStart ? " (cold start)" : "")) }
            output.out(text + "\n")
            // Only when there is something: any stderr write flushes the value held for the pager at the prompt.
            if let printed, !printed.isEmpty { output.err(functionOutput(printed)) }
        case .batch(let batch, let cost, let interrupted, let listsValues):
            output.out((listsValues ? resultLines(batch) : "") + summary(batch, cost: cost, interrupted: interrupted))
            if let place, batch.failed > 0 {
                // The summary is on stdout; a script's reader also learns on stderr where the calls failed.
                output.err("\(place): " + style.red("error") + ": \(Format.grouped(batch.failed)) of \(Format.grouped(batch.count)) "
                    + "calls of \(batch.function) failed\n")
            }
        case .yielded(_, _, _, let value):
            PromptOutput.writeLive(output)  // a live list is not held for the pager
            output.out(style.dim("  ‣ ") + shown(value.jsonText) + "\n")
        case .yieldsVoided(_, let attempt, let count):
            output.out(style.yellow("  ↻ attempt \(attempt) failed; the \(count) value\(count == 1 ? "" : "s") above came from it, "
                + "and attempt \(attempt + 1) starts again") + "\n")
        case .bound(_, _, let printed):
            if let printed, !printed.isEmpty { output.err(functionOutput(printed)) }
        case .settingsChanged, .slept:
            break
        case .expectation(let passed, let description, let detail, let printed):
            if passed {
                output.out(style.green("✓") + " \(description)" + (detail.map { style.dim(" (\($0))") } ?? "") + "\n")
            } else {
                output.err(placePrefix + style.red("✗") + " expect \(shown(description, err: true)): \(shown(detail ?? "failed", err: true))\n")
                if let printed, !printed.isEmpty { output.err(functionOutput(printed)) }
            }
        case .functions(let functions):
            output.out(functions.map { "  " + $0.signature }.joined(separator: "\n") + "\n")
        case .help(let text), .logUrl(let text):
            output.out(text + "\n")
        case .functionHelp(let info, let module):
            output.out(shown(Shell.functionHelpText(info, module: module)) + "\n")
        case .printed(let text):
            output.out(shown(text) + "\n")
        case .status(let rows):
            guard let rows else {
                output.out("no module is open (open MODULE to start)\n")
                return
            }
            let shown = rows.compactMap { row in row.text.map { (row.label, $0) } }
            let width = shown.map(\.0.count).max() ?? 0
            output.out(shown.map { "  " + Format.pad($0.0, width) + "  " + $0.1 }.joined(separator: "\n") + "\n")
        case .stats(let report):
            output.out(stats(report))
        case .analysisStarted(let text):
            if output.errIsTerminal { output.err(style.dim(text) + "\n") }
        case .analysis(let report):
            analysis(report)
        case .cost(let snapshot, let form):
            switch form {
            case .text: output.out(snapshot.text + "\n")
            case .csv: output.out(snapshot.csv)
            case .json: output.out(snapshot.json.prettyText + "\n")
            }
        case .results(let batch):
            var text = resultLines(batch)
            if batch.droppedResults > 0 {
                text += style.dim("(values kept for calls 0–\(batch.results.count - 1) of \(Format.grouped(batch.count)); "
                    + "the other \(Format.grouped(batch.droppedResults)) are counted in the summary only)") + "\n"
            }
            output.out(text)
        case .logs(let lines):
            output.out(lines.isEmpty ? "no log lines yet\n" : shown(lines.joined(separator: "\n")) + "\n")
        case .history(let entries, let first):
            output.out(entries.isEmpty ? "no history yet\n" : shown(History.listing(entries, firstNumber: first)))
        case .cleanedUp(let report):
            output.out(report.map { "  " + $0 }.joined(separator: "\n") + "\n")
        case .packaged(let listing):
            output.out(listing.text)
        case .collected(let report):
            output.out(report.isEmpty ? "nothing to collect\n" : report.map { "  " + $0 }.joined(separator: "\n") + "\n")
        }
    }

    /// Each kept call's value (`i: value`) or error, in call order.
    func resultLines(_ batch: BatchResult) -> String {
        var text = ""
        for (i, r) in batch.results.enumerated() {
            switch r {
            case .success(let v): text += "\(i): \(shown(v.jsonText))\n"
            case .failure(let e):
                let first = String(e.message.split(separator: "\n").first ?? "")
                text += "\(i): " + style.red("error") + " (\(e.kind.rawValue)): \(shown(first))\n"
            }
        }
        return text
    }

    /// At most this many lines of what a call printed are shown (the log has them all).
    static let outputLinesShown = 20

    /// What a single call printed, for standard error (a script's standard output stays its values): each line
    /// after a bar, dimmed on a terminal.
    func functionOutput(_ lines: [String]) -> String {
        let dim = output.errIsTerminal && style.enabled ? style.dim : { $0 }
        var text = ""
        for line in lines.prefix(Self.outputLinesShown) { text += dim("  │ " + shown(line, err: true)) + "\n" }
        if lines.count > Self.outputLinesShown {
            text += dim("  │ … \(lines.count - Self.outputLinesShown) more lines (logs shows them)") + "\n"
        }
        return text
    }

    /// A failed call: its kind, message, the remote stack (the user's frames) and where its log is.
    func failure(_ error: FaastError) -> String {
        var text = style.red("error") + " (\(error.kind.rawValue)): \(shown(error.message, err: true))\n"
        if let remote = error.remote, let stack = remote.stack, !stack.isEmpty {
            let head = "\(remote.name): \(remote.message)"
            let lines = stack.split(separator: "\n").map { String($0.reversed().drop(while: \.isWhitespace).reversed()) }
                .filter { !$0.isEmpty && $0 != head && !$0.hasPrefix("Traceback (most recent call last)") }
                .prefix(12)
            // Dedented as a block, not line by line: python's caret under a syntax error (and its `^^^` under
            // the failing expression) lines up with the code above it only if the relative indentation stays.
            let indent = lines.map { $0.prefix { $0 == " " }.count }.min() ?? 0
            for line in lines { text += style.dim("    " + shown(String(line.dropFirst(indent)), err: true)) + "\n" }
        }
        let props = error.remote?.properties.filter { $0.key != "file" && $0.key != "line" } ?? []
        if !props.isEmpty {
            text += "  " + shown(props.map { "\($0.key): \($0.value.jsonText)" }.joined(separator: ", "), err: true) + "\n"
        }
        if let log = error.logLocation { text += style.dim("  log: \(log)") + "\n" }
        return text
    }

    /// One line for a fan-out (ok / failed / retried, percentiles, rate, cost), then failures grouped by message.
    /// `91 cancelled (20 while running: they may still finish on Lambda)`: a call whose request was sent may have
    /// run; locally it was stopped part-way, on Lambda nothing can stop it.
    static func cancelled(_ batch: BatchResult, provider: String) -> String {
        var text = "\(Format.grouped(batch.cancelled)) cancelled"
        let running = batch.cancelledWhileRunning
        guard running > 0 else { return text }
        text += " (\(running == batch.cancelled ? "all" : Format.grouped(running)) while running"
        if provider != "local" { text += ": \(running == 1 ? "it" : "they") may still finish on Lambda" }
        return text + ")"
    }

    func summary(_ batch: BatchResult, cost: CostSnapshot, interrupted: Bool) -> String {
        let money = cost.total > 0 || cost.lambdaEstimate == nil ? CostSnapshot.usd(cost.total)
            : "\(CostSnapshot.usd(cost.total)) (≈ \(CostSnapshot.usd(cost.estimateTotal ?? 0)) on Lambda)"
        var parts = [
            (batch.ok > 0 ? style.green : { $0 })("\(Format.grouped(batch.ok)) ok"),
            (batch.failed > 0 ? style.red : { $0 })("\(Format.grouped(batch.failed)) failed"),
            "\(Format.grouped(batch.retries)) retried",
        ]
        if batch.reruns > 0 { parts.append(style.yellow("\(Format.grouped(batch.reruns)) re-run")) }
        if batch.speculative > 0 {
            parts.append("\(Format.grouped(batch.speculative)) speculative (\(Format.grouped(batch.speculativeWins)) won)")
        }
        if batch.cancelled > 0 { parts.append(style.yellow(Self.cancelled(batch, provider: cost.provider))) }
        if showTiming, batch.latency.count > 0 {
            parts += Self.coldAndWarm(warm: batch.warmLatency, cold: batch.coldLatency)
            parts += ["\(Format.rate(batch.callsPerSecond)) calls/s", money]
        }
        var text = (interrupted ? style.yellow("interrupted: ") : "") + parts.joined(separator: " · ")
            + style.dim(" (\(batch.function) x\(batch.count), mode \(batch.mode.rawValue))") + "\n"
        for group in batch.failureGroups.prefix(5) {
            let first = group.message.split(separator: "\n").first.map(String.init) ?? group.message
            text += "  \(group.count) × \(group.kind.rawValue): \(shown(first)) " + style.dim("(first: call \(group.firstIndex))") + "\n"
        }
        if batch.failureGroups.count > 5 { text += "  … \(batch.failureGroups.count - 5) more kinds of failure\n" }
        return text
    }

    /// Round-trip percentiles with the cold starts apart from the warm calls (which is what a function costs
    /// once running): `p50 1.2 ms`, `p99 3.0 ms (warm, 98 calls)`, `2 cold starts: p50 80 ms, max 95 ms`.
    static func coldAndWarm(warm: LatencySummary, cold: LatencySummary) -> [String] {
        func plural(_ n: Int, _ word: String) -> String { "\(Format.grouped(n)) \(word)\(n == 1 ? "" : "s")" }
        var parts: [String] = []
        if warm.count > 0 {
            parts = ["p50 \(Format.duration(ms: warm.p50))", "p99 \(Format.duration(ms: warm.p99))"]
            if cold.count > 0 { parts[1] += " (warm, \(plural(warm.count, "call")))" }
        }
        if cold.count > 0 {
            // One cold start has no percentile: its time alone (`1 cold start: 80 ms`).
            parts.append(plural(cold.count, "cold start") + ": " + (cold.count == 1 ? Format.duration(ms: cold.p50)
                : "p50 \(Format.duration(ms: cold.p50)), max \(Format.duration(ms: cold.max))"))
        }
        return parts
    }

    /// The latency table; with one function, its execution times and a histogram.
    func stats(_ report: StatsReport) -> String {
        if report.entries.isEmpty { return "no calls yet\n" }
        // Re-runs (rerun=N) get a column only when there were any, so that the usual table stays as it is.
        let reruns = report.entries.contains { $0.stats.reruns > 0 }
        var rows = [["function", "calls", "ok", "failed", "retries"] + (reruns ? ["re-runs"] : [])
            + ["p50", "p90", "p99", "mean", "stdev", "min", "max"]]
        for (name, s) in report.entries {
            let l = s.latency.summary
            // Counts grouped as in the summaries (`100,003`, not `100003`).
            rows.append([name] + [s.invocations, s.completed, s.errors, s.retries].map(Format.grouped)
                + (reruns ? [Format.grouped(s.reruns)] : [])
                + [l.p50, l.p90, l.p99, l.mean, l.stdev, l.min, l.max].map { Format.duration(ms: $0) })
        }
        var text = "latency (round trip):\n" + Format.table(rows, rightAligned: Set(1..<rows[0].count)) + "\n"
        // Cold starts (a call that started a worker or instance) apart, per function: they make the first p99s.
        for (name, s) in report.entries where s.coldStarts > 0 && name != "(all)" {
            text += "\(name): " + Self.coldAndWarm(warm: s.warmLatency.summary, cold: s.coldLatency.summary).joined(separator: ", ") + "\n"
        }
        for (name, s) in report.entries where s.speculative > 0 {
            text += "\(name): \(s.speculative) speculative duplicate\(s.speculative == 1 ? "" : "s"), "
                + "\(s.speculativeWins) answered first\n"
        }
        if let s = report.detail {
            let e = s.execution.summary, q = s.queued.summary, r = s.returnTime.summary
            text += "execution p50 \(Format.duration(ms: e.p50)) · p99 \(Format.duration(ms: e.p99))"
                + " · queued p50 \(Format.duration(ms: q.p50)) · return p50 \(Format.duration(ms: r.p50))\n"
            text += histogram(s.latency)
        }
        return text
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
}
