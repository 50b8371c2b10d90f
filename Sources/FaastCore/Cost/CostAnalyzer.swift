import Foundation

/// One memory size of a cost analysis: how the workload ran there and what it cost.
public struct AnalysisRow: Sendable {
    public var memoryMb: Int
    /// Calls of the workload, and how many succeeded and failed (the rest were cancelled).
    public var calls = 0
    public var succeeded = 0
    public var failed = 0
    /// Why calls failed, grouped by kind and message (most frequent first).
    public var failures: [FailureGroup] = []
    /// Round trip of each call.
    public var latency = LatencySummary()
    /// Billed milliseconds per call (1 ms steps, every attempt).
    public var billedMsPerCall = 0.0
    /// USD per call, and for the whole workload. Locally: what the calls would have cost on Lambda at this size.
    public var costPerCall = 0.0
    public var workloadCost = 0.0
    /// The cheapest and the fastest (lowest mean) of the sizes whose every call succeeded.
    public var cheapest = false
    public var fastest = false
    /// Why this size has no numbers (its deploy failed).
    public var error: FaastError?
    /// Why this size's variant could not be removed (it is named, never left silently).
    public var cleanupError: FaastError?

    public init(memoryMb: Int) { self.memoryMb = memoryMb }
}

/// The cost analyzer: deploys the module at several memory sizes, runs the same workload on each, and says
/// what each cost and how long it took, so that a user picks the cheapest or the fastest size. Every variant
/// is removed afterwards, also when the analysis is cancelled.
public enum CostAnalyzer {
    /// A workload: `count` calls of `function`, the i-th with `arguments(i)` (and `keywords(i)`).
    public struct Workload: Sendable {
        public var function: String
        public var count: Int
        public var options: CallOptions
        public var arguments: @Sendable (Int) -> [JSONValue]
        public var keywords: (@Sendable (Int) -> [JSONMember])?
        public init(function: String, count: Int, options: CallOptions, keywords: (@Sendable (Int) -> [JSONMember])? = nil,
                    arguments: @escaping @Sendable (Int) -> [JSONValue]) {
            self.function = function
            self.count = count
            self.options = options
            self.keywords = keywords
            self.arguments = arguments
        }
    }

    /// Runs `workload` at each of `memorySizes` (deployed from `module` with `settings`, memory changed):
    /// concurrently on a cloud provider, one after the other locally, where the variants would compete for
    /// the same CPUs. `cleaned` hears of each variant's removal.
    public static func analyze(
        factory: any ProviderFactory, module: ModuleSpec, settings: DeploySettings, memorySizes: [Int],
        workload: Workload, cleaned: (@Sendable (Int, Result<CleanupReport, FaastError>) -> Void)? = nil
    ) async -> [AnalysisRow] {
        let one: @Sendable (Int) async -> AnalysisRow = { memory in
            await run(factory: factory, module: module, settings: settings, memoryMb: memory, workload: workload, cleaned: cleaned)
        }
        var rows: [AnalysisRow]
        if factory.name == "local" {
            rows = []
            for memory in memorySizes {
                if Task.isCancelled { break }  // nothing more is deployed after a cancel
                rows.append(await one(memory))
            }
        } else {
            rows = await withTaskGroup(of: AnalysisRow.self) { group in
                for memory in memorySizes { group.addTask { await one(memory) } }
                var all: [AnalysisRow] = []
                for await row in group { all.append(row) }
                return all
            }
            rows.sort { memorySizes.firstIndex(of: $0.memoryMb)! < memorySizes.firstIndex(of: $1.memoryMb)! }
        }
        mark(&rows)
        return rows
    }

    /// Marks the cheapest and the fastest of the sizes where every call succeeded.
    static func mark(_ rows: inout [AnalysisRow]) {
        let complete = rows.indices.filter { rows[$0].error == nil && rows[$0].calls > 0 && rows[$0].succeeded == rows[$0].calls }
        if let i = complete.min(by: { rows[$0].costPerCall < rows[$1].costPerCall }) { rows[i].cheapest = true }
        if let i = complete.min(by: { rows[$0].latency.mean < rows[$1].latency.mean }) { rows[i].fastest = true }
    }

    private static func run(
        factory: any ProviderFactory, module: ModuleSpec, settings: DeploySettings, memoryMb: Int, workload: Workload,
        cleaned: (@Sendable (Int, Result<CleanupReport, FaastError>) -> Void)?
    ) async -> AnalysisRow {
        var row = AnalysisRow(memoryMb: memoryMb)
        var variant = settings
        variant.memoryMb = memoryMb
        let provider: any Provider
        do {
            provider = try await factory.deploy(module, settings: variant)
        } catch {
            row.error = FaastError.mapping(error)
            return row
        }
        let invoker = Invoker(provider: provider)
        let batch = await invoker.fanOut(workload.function, count: workload.count, options: workload.options,
                                         keywords: workload.keywords, arguments: workload.arguments)
        let cost = await provider.costSnapshot(usage: batch.usage)
        // Removed whatever happened, also after a cancel: a task of its own, which the cancel does not reach.
        let removal = await Task.detached { () -> Result<CleanupReport, FaastError> in
            do { return .success(try await provider.cleanup()) } catch { return .failure(FaastError.mapping(error)) }
        }.value
        cleaned?(memoryMb, removal)
        if case .failure(let e) = removal { row.cleanupError = e }
        row.calls = batch.count
        row.succeeded = batch.ok
        row.failed = batch.failed
        row.failures = batch.failureGroups
        row.latency = batch.latency
        let calls = Double(max(1, batch.count))
        row.billedMsPerCall = batch.usage.billedMs / calls
        row.workloadCost = cost.lambdaEstimate == nil ? cost.total : (cost.estimateTotal ?? 0)
        row.costPerCall = row.workloadCost / calls
        return row
    }
}
