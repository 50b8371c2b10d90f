import CFaastSys
import FaastCore
import FaastPackaging
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Deploys modules as pools of warm worker processes on this machine.
public struct LocalProviderFactory: ProviderFactory {
    public let name = "local"
    /// Where session directories live (default `$XDG_STATE_HOME/faast/local`).
    public var stateDirectory: String

    public init(stateDirectory: String? = nil) {
        self.stateDirectory = stateDirectory ?? FilePaths.xdg("XDG_STATE_HOME", default: ".local/state") + "/local"
    }

    public func deploy(_ module: ModuleSpec, settings: DeploySettings) async throws -> any Provider {
        try await LocalProvider.deploy(module, settings: settings, stateDirectory: stateDirectory)
    }

    public func collectGarbage(settings: DeploySettings) async throws -> CleanupReport {
        SessionDirectory.collectGarbage(in: stateDirectory, excluding: nil)
    }
}

/// A module deployed locally: warm workers, one call at a time each, killed at the timeout, replaced
/// when they die; logs per worker in the session directory.
public final class LocalProvider: Provider, SourceTracking {
    public let name = "local"
    public let module: ModuleSpec
    public let functions: [FunctionInfo]
    /// The module and the user's own files it imported when the first worker loaded it.
    public let sourceFiles: [String]
    public let settings: DeploySettings
    public let session: SessionDirectory
    private let pool: WorkerPool
    /// Spreads the lanes that bind over the CPUs (see `LocalLane`, "CPU placement").
    private let placement = CPUPlacement(cpus: LocalProvider.cpus)

    private init(module: ModuleSpec, functions: [FunctionInfo], sourceFiles: [String], settings: DeploySettings,
                 session: SessionDirectory, pool: WorkerPool) {
        self.module = module
        self.functions = functions
        self.sourceFiles = sourceFiles
        self.settings = settings
        self.session = session
        self.pool = pool
    }

    /// Starts a first worker, checks that the module loads and has functions, and keeps that worker warm.
    /// Anything created is removed again when this fails.
    static func deploy(_ module: ModuleSpec, settings: DeploySettings, stateDirectory: String) async throws -> LocalProvider {
        signal(SIGPIPE, SIG_IGN)
        let session = try SessionDirectory.create(in: stateDirectory, retentionDays: settings.logRetentionDays)
        let name = FilePaths.lastComponent(module.path)
        var started: WorkerPool?
        do {
            let dependencies = try await DependencyCache.modulePath(for: module, dependencies: settings.package.dependencies)
            let launch = try WorkerLaunch.plan(module, settings: settings, session: session, modulePath: dependencies)
            let pool = WorkerPool(launch: launch)
            started = pool
            // Ctrl-C or SIGTERM cancels the task: stop the worker that is loading the module (it may never finish).
            let first = try await withTaskCancellationHandler {
                try await pool.startWorker()
            } onCancel: {
                pool.cancelStarts(because: FaastError(.cancelled, "opening \(name) was interrupted"))
            }
            let functions: [FunctionInfo]
            var files: [String]
            do {
                let response = try await first.exchange(
                    line: WireProtocol.describeRequest(callId: "describe") + "\n", callId: "describe", function: "",
                    timeout: WorkerPool.loadTimeout)
                guard case .described(let list, let loaded) = response else {
                    throw FaastError(.deployFailed, "\(module.path): the runtime did not describe the module")
                }
                functions = list
                files = loaded
            } catch let e as FaastError where e.kind == .timeout {
                throw FaastError(.deployFailed, "\(name) did not describe its functions within "
                    + "\(NumberText.seconds(WorkerPool.loadTimeout)) s", logLocation: e.logLocation)
            } catch let e as FaastError where e.kind != .cancelled {
                throw FaastError(.deployFailed, "\(module.path): the worker failed while describing the module: \(e.message)")
            }
            guard !functions.isEmpty else {
                throw FaastError(.deployFailed, "\(name) has no functions to call: "
                    + (module.runtime == .node ? "export some (module.exports = { f } or export function f)"
                        : "define public top-level functions (names not starting with _)"))
            }
            pool.release(first)
            if !files.contains(module.path) { files.insert(module.path, at: 0) }
            return LocalProvider(module: module, functions: functions, sourceFiles: files, settings: settings,
                                 session: session, pool: pool)
        } catch {
            // No worker outlives a failed deploy, and its folder goes (a failed load's log was in the message).
            await started?.shutdown(grace: 0)
            session.remove()
            throw error
        }
    }

    public var details: [(String, String)] {
        [("session", session.path), ("workers", "\(pool.count) warm"), ("runtime", module.runtime.rawValue)]
    }

    public var detailValues: [String: JSONValue] { ["workers": .int(pool.count)] }

    /// Each call in flight is a worker process: "unlimited" concurrency stops at a number this machine survives.
    public var maxLanes: Int { 256 }

    /// A lane is a thread of its own that blocks on its worker's pipe (see `LocalLane`); a cancel stops the
    /// lane's worker, which ends the call in flight at once.
    public func runLane(_ calls: LaneCalls) async {
        let lane = LocalLane(pool: pool, calls: calls, placement: placement.isUseful ? placement : nil)
        await withTaskCancellationHandler {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let thread = Thread {
                    lane.run()
                    done.resume()
                }
                thread.stackSize = 512 * 1024
                thread.start()
            }
        } onCancel: {
            lane.cancel()
        }
    }

    /// The CPUs faast may run on.
    static let cpus: [Int32] = {
        var buffer = [Int32](repeating: 0, count: 1024)
        let n = faast_allowed_cpus(&buffer, 1024)
        return Array(buffer.prefix(Int(n)))
    }()

    /// A worker's answer to a call as the call's result.
    static func answer(_ response: WireResponse, from worker: Worker) -> Result<InvocationResponse, FaastError> {
        switch response {
        case .returned(_, let value, let timing):
            return .success(InvocationResponse(value: value, timing: timing))
        case .failed(_, let remote, let kind, let timing):
            return .failure(FaastError.fromRuntime(remote, kind: kind, timing: timing, logLocation: worker.logURL))
        default:
            return .failure(FaastError(.transport, "unexpected response from the worker", logLocation: worker.logURL))
        }
    }

    public func logLocation(function: String?) -> String { "file://" + session.logDirectory + "/" }

    public func recentLogs(function: String?, last: Int) async throws -> [String] {
        session.recentLogLines(function: function, last: last)
    }

    public func costSnapshot(usage: Usage) async -> CostSnapshot {
        let metrics = [
            CostMetric(name: "localCompute", unit: "second", price: 0, measured: usage.billedMs / 1000, informational: true,
                       note: "billed-equivalent time, 1 ms steps"),
            CostMetric(name: "localRequests", unit: "request", price: 0, measured: Double(usage.requests), informational: true),
        ]
        let prices = LambdaPrices.builtIn
        return CostSnapshot(
            provider: "local", metrics: metrics, priceSource: "local calls are free",
            notes: ["Lambda estimate at \(settings.memoryMb) MB from the \(prices.source); free tier not counted."],
            lambdaEstimate: prices.metrics(usage: usage, memoryMb: settings.memoryMb))
    }

    public func cleanup() async throws -> CleanupReport {
        let stopped = await pool.shutdown()
        session.markCleaned()
        var report = ["stopped \(stopped) worker\(stopped == 1 ? "" : "s")"]
        report += session.removeAllButLogs()
        report.append("kept logs in \(session.logDirectory) for \(NumberText.count(settings.logRetentionDays, "day"))")
        return report
    }

    public func collectGarbage() async throws -> CleanupReport {
        SessionDirectory.collectGarbage(in: (session.path as NSString).deletingLastPathComponent, excluding: session.id)
    }

    /// Worker processes currently running (for tests and `status`).
    public var workerPids: [Int32] { pool.pids }
}
