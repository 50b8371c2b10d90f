import FaastCore
import FaastLanguage
import Foundation

extension Shell {
    /// `analyze call FN(ARGS) [xN] memory=128,256,…`: the workload at each memory size, one table (or JSON
    /// rows), every variant removed afterwards (the analyzer does that, also after Ctrl-C).
    func runAnalyze(_ call: CallExpr, context: SourceContext) async throws -> CommandStatus {
        let invoker = try requireSession(at: call.function.location)
        let spec = Language.command("analyze")!
        var sizes = Language.memorySizes.defaultValue.split(separator: ",").compactMap { Int($0) }
        var callOpts: [OptionArg] = []
        for opt in call.options {
            if opt.key.text == "memory" {
                sizes = try checkedValue(opt, try self.spec(of: opt, in: spec)).ints
            } else {
                callOpts.append(opt)
            }
        }
        sizes = sizes.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
        let perCall = try callOptions(callOpts)
        let arguments = try self.arguments(of: call, invoker: invoker)
        let count = try call.count.map { try checked($0, Language.fanOutCount, subject: "the fan-out count").int } ?? 1
        guard let factory = factories[options.provider] else {
            throw ShellError("the open session's provider '\(options.provider)' cannot deploy variants")
        }
        let workload = CostAnalyzer.Workload(function: call.function.text, count: count, options: perCall,
                                             keywords: arguments.keywords, arguments: arguments.positional)
        let provider = invoker.provider
        let local = factory.name == "local"
        report(.analysisStarted("analyzing \(describe(call)) at \(sizes.map { "\($0) MB" }.joined(separator: ", "))"
            + (local ? ", one size after the other" : ", all at once") + "…"), command: "analyze")
        let rows = await CostAnalyzer.analyze(
            factory: factory, module: provider.module, settings: provider.settings, memorySizes: sizes, workload: workload)
        // By what ran, as for a fan-out: a Ctrl-C after the last size finished interrupts nothing.
        let interrupted = rows.count < sizes.count
            || rows.contains { $0.calls > $0.succeeded + $0.failed || $0.error?.kind == .cancelled }
        let note = local
            ? "local: the memory limit is enforced, but CPU does not grow with memory as on Lambda, so local times do not "
                + "scale with it; costs are what the calls would cost on Lambda at each size"
            : "costs from \(provider.name)'s prices, billed in 1 ms steps; free tier not counted"
        let analysis = AnalysisReport(function: call.function.text, count: count, rows: rows, note: note, interrupted: interrupted)
        report(.analysis(analysis), command: "analyze")
        if interrupted { return .interrupted }
        return analysis.ok ? .ok : .failed
    }
}
