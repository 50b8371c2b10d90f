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
        try validate(invoker, call.function, argumentCount: call.arguments.count)
        var count = 1
        if let countExpr = call.count {
            count = try checked(countExpr, Language.fanOutCount, subject: "the fan-out count").int
            _ = try call.arguments.map { try evaluate($0, index: 0) }
        } else {
            _ = try call.arguments.map { try evaluate($0, index: nil) }
        }
        guard let factory = factories[options.provider] else {
            throw ShellError("the open session's provider '\(options.provider)' cannot deploy variants")
        }
        let arguments = call.arguments, variables = self.variables
        let workload = CostAnalyzer.Workload(function: call.function.text, count: count, options: perCall) { i in
            arguments.map { (try? Shell.evaluate($0, variables: variables, index: i)) ?? .null }
        }
        let provider = invoker.provider
        let local = factory.name == "local"
        report(.analysisStarted("analyzing \(describe(call)) at \(sizes.map { "\($0) MB" }.joined(separator: ", "))"
            + (local ? ", one size after the other" : ", all at once") + "…"), command: "analyze")
        let rows = await CostAnalyzer.analyze(
            factory: factory, module: provider.module, settings: provider.settings, memorySizes: sizes, workload: workload)
        let interrupted = Task.isCancelled || rows.contains { $0.calls > $0.succeeded + $0.failed }
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
