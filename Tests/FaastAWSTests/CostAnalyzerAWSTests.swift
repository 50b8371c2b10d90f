import FaastCore
import Foundation
import Synchronization
import Testing

@testable import FaastAWS

/// The cost analyzer on the emulator: two memory sizes deployed at once, the same workload on each, one row
/// per size with AWS prices, and every variant removed afterwards (checked with boto3).
@Suite("the cost analyzer on AWS (moto)", .serialized)
struct CostAnalyzerAWSTests {
    @Test("two memory sizes: a row each, the cheapest and fastest marked, nothing left but logs")
    func twoSizes() async throws {
        let factory = AWSProviderFactory(environment: try Moto.environment())
        var settings = DeploySettings()
        settings.timeout = 30
        let reports = Mutex<[Int: CleanupReport]>([:])
        let rows = await CostAnalyzer.analyze(
            factory: factory, module: try resolveModule(Moto.module("generators.py")), settings: settings,
            memorySizes: [128, 256],
            workload: CostAnalyzer.Workload(function: "countdown", count: 6, options: CallOptions(concurrency: 3)) { i in [.int(i % 3)] }
        ) { memory, removal in
            if case .success(let report) = removal { reports.withLock { $0[memory] = report } }
        }
        #expect(rows.map(\.memoryMb) == [128, 256])
        for row in rows {
            #expect(row.error == nil, "\(String(describing: row.error))")
            #expect(row.calls == 6 && row.succeeded == 6 && row.failed == 0)
            #expect(row.billedMsPerCall >= 1)
            #expect(row.costPerCall > 0)
            #expect(abs(row.workloadCost - row.costPerCall * 6) < 1e-12)
        }
        #expect(rows.filter(\.cheapest).count == 1)
        #expect(rows.filter(\.fastest).count == 1)
        // Each variant's cleanup deleted its function; the emulator has none of them left.
        let deleted = reports.withLock { $0 }
        #expect(deleted.keys.sorted() == [128, 256])
        let functions = deleted.values.flatMap { $0 }.compactMap { line -> String? in
            line.hasPrefix("deleted function ") ? String(line.dropFirst("deleted function ".count)) : nil
        }
        #expect(functions.count == 2)
        let left = try Moto.inventory(containing: "faast-")
        for f in functions { #expect(!(left["functions"] ?? []).contains(f), "\(f) is still deployed") }
    }
}
