import FaastCore
import FaastLocal
import Foundation
import Testing

/// The cost analyzer on the local provider: each memory size deployed (with its limit enforced) one after the
/// other, a row each with Lambda estimates, and every variant's workers and files removed afterwards.
@Suite("the cost analyzer, locally")
struct CostAnalyzerTests {
    /// Worker processes whose command line names `directory` (their trampoline lives in a session there).
    static func workers(under directory: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let cmd = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: cmd, as: UTF8.self).contains(directory) && processIsRunning(pid)
        }
    }

    @Test("two memory sizes: a row each with Lambda estimates, marks, and nothing left running")
    func twoSizes() async throws {
        let state = Fixtures.stateDirectory()
        let rows = await CostAnalyzer.analyze(
            factory: LocalProviderFactory(stateDirectory: state), module: try resolveModule(Fixtures.module("sample.js")),
            settings: DeploySettings(), memorySizes: [128, 256],
            workload: CostAnalyzer.Workload(function: "add", count: 20, options: CallOptions()) { i in [.int(i), 1] })
        #expect(rows.map(\.memoryMb) == [128, 256])
        for row in rows {
            #expect(row.calls == 20 && row.succeeded == 20, "\(row.memoryMb) MB: \(row.failures.map { "\($0.count)× \($0.kind): \($0.message)" })")
            #expect(row.latency.count == 20)
            #expect(row.costPerCall > 0, "the Lambda estimate at this size")
        }
        // Lambda's price grows with memory at the same billed time; the marks go to complete rows only.
        #expect(rows.filter(\.cheapest).count == 1 && rows.filter(\.fastest).count == 1)
        #expect(Self.workers(under: state).isEmpty)
        // Each variant's session folder is cleaned: only logs are kept.
        let sessions = try FileManager.default.contentsOfDirectory(atPath: state).filter { $0.hasPrefix("faast-") }
        #expect(sessions.count == 2)
        for s in sessions {
            let files = try FileManager.default.contentsOfDirectory(atPath: state + "/" + s)
            #expect(!files.contains("trampoline.js"), "\(s) still has \(files)")
        }
    }

    @Test("a memory size that fails to deploy is a row with its error; the others run")
    func failedDeploy() async throws {
        let rows = await CostAnalyzer.analyze(
            factory: LocalProviderFactory(stateDirectory: Fixtures.stateDirectory()),
            module: ModuleSpec(path: Fixtures.module("broken.js"), runtime: .node), settings: DeploySettings(),
            memorySizes: [128],
            workload: CostAnalyzer.Workload(function: "add", count: 1, options: CallOptions()) { _ in [] })
        #expect(rows.count == 1)
        #expect(rows[0].error?.kind == .deployFailed)
        #expect(!rows[0].cheapest && !rows[0].fastest)
    }

    @Test("cancelling stops the analysis and still removes what it deployed")
    func cancelled() async throws {
        let state = Fixtures.stateDirectory()
        // The call writes `marker` when it starts, then blocks for 30 s: the cancel comes while it runs.
        let marker = NSTemporaryDirectory() + "faast-analyze-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let module = try resolveModule(Fixtures.module("straggler.js"))
        let task = Task {
            await CostAnalyzer.analyze(
                factory: LocalProviderFactory(stateDirectory: state), module: module,
                settings: DeploySettings(), memorySizes: [128, 256],
                workload: CostAnalyzer.Workload(function: "work", count: 1, options: CallOptions()) { _ in
                    [0, 0, .string(marker), 30_000]
                })
        }
        for _ in 0..<1000 where !FileManager.default.fileExists(atPath: marker) {
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        #expect(FileManager.default.fileExists(atPath: marker))
        task.cancel()
        let rows = await task.value
        #expect(rows.count == 1, "nothing is deployed after the cancel")
        #expect(rows.allSatisfy { $0.succeeded == 0 })
        #expect(Self.workers(under: state).isEmpty)
    }
}
