import CFaastSys
import FaastCore
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
public final class LocalProvider: BlockingProvider {
    public let name = "local"
    public let module: ModuleSpec
    public let functions: [FunctionInfo]
    public let settings: DeploySettings
    public let session: SessionDirectory
    private let pool: WorkerPool
    private let lanesMade = Atomic<Int>(0)

    private init(module: ModuleSpec, functions: [FunctionInfo], settings: DeploySettings, session: SessionDirectory,
                 pool: WorkerPool) {
        self.module = module
        self.functions = functions
        self.settings = settings
        self.session = session
        self.pool = pool
    }

    /// Starts a first worker, checks that the module loads and has functions, and keeps that worker warm.
    /// Anything created is removed again when this fails.
    static func deploy(_ module: ModuleSpec, settings: DeploySettings, stateDirectory: String) async throws -> LocalProvider {
        signal(SIGPIPE, SIG_IGN)
        let session = try SessionDirectory.create(in: stateDirectory, retentionDays: settings.logRetentionDays)
        do {
            let launch = try WorkerLaunch.plan(module, settings: settings, session: session)
            let pool = WorkerPool(launch: launch)
            let first = try await pool.startWorker()
            let functions: [FunctionInfo]
            do {
                let response = try await first.exchange(
                    line: WireProtocol.describeRequest(callId: "describe") + "\n", callId: "describe", function: "", timeout: 30)
                guard case .described(let list) = response else {
                    throw FaastError(.deployFailed, "\(module.path): the runtime did not describe the module")
                }
                functions = list
            } catch let e as FaastError {
                throw FaastError(.deployFailed, "\(module.path): the worker failed while describing the module: \(e.message)")
            }
            guard !functions.isEmpty else {
                await pool.shutdown()
                throw FaastError(.deployFailed, "\(FilePaths.lastComponent(module.path)) has no functions to call: "
                    + (module.runtime == .node ? "export some (module.exports = { f } or export function f)"
                        : "define public top-level functions (names not starting with _)"))
            }
            pool.release(first)
            return LocalProvider(module: module, functions: functions, settings: settings, session: session,
                                 pool: pool)
        } catch {
            session.remove()
            throw error
        }
    }

    public var details: [(String, String)] {
        [("session", session.path), ("workers", "\(pool.count) warm"), ("runtime", module.runtime.rawValue)]
    }

    public func invoke(_ request: InvocationRequest) async throws -> InvocationResponse {
        // Callers outside the invocation core's thread lanes: the blocking call on a thread of its own.
        let used = WorkerSlot()
        return try await withTaskCancellationHandler {
            try await runOnThread { try self.invokeBlocking(request, using: used) }
        } onCancel: {
            used.worker?.stop(because: FaastError(.cancelled, "\(request.function) was cancelled"))
        }
    }

    public func makeLane() -> any BlockingLane {
        let n = lanesMade.add(1, ordering: .relaxed).oldValue
        return LocalLane(provider: self, cpu: Self.cpus.count > 1 ? Self.cpus[n % Self.cpus.count] : nil)
    }

    /// The CPUs faast may run on.
    static let cpus: [Int32] = {
        var buffer = [Int32](repeating: 0, count: 1024)
        let n = faast_allowed_cpus(&buffer, 1024)
        return Array(buffer.prefix(Int(n)))
    }()

    private func invokeBlocking(_ request: InvocationRequest, using used: WorkerSlot?) throws(FaastError) -> InvocationResponse {
        let worker = try pool.acquireBlocking()
        used?.worker = worker
        defer {
            // Exactly one release per acquire: a worker listed idle twice would serve two calls at once.
            pool.release(worker)
        }
        return try answer(worker.exchangeBlocking(
            line: Self.requestLine(request), callId: request.callId, function: request.function, timeout: request.timeout),
            from: worker).get()
    }

    static func requestLine(_ request: InvocationRequest) -> String {
        WireProtocol.callRequest(callId: request.callId, function: request.function, args: request.args, newline: true)
    }

    /// A worker's answer to a call as the call's result.
    func answer(_ response: WireResponse, from worker: Worker) -> Result<InvocationResponse, FaastError> {
        switch response {
        case .returned(_, let value, let timing):
            return .success(InvocationResponse(value: value, timing: timing))
        case .failed(_, let remote, let kind, let timing):
            return .failure(FaastError.fromRuntime(remote, kind: kind, timing: timing, logLocation: worker.logURL))
        default:
            return .failure(FaastError(.transport, "unexpected response from the worker", logLocation: worker.logURL))
        }
    }

    var workers: WorkerPool { pool }

    public func cancelCallsInFlight() {
        pool.stopBusy(because: FaastError(.cancelled, "the call was cancelled"))
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
        report.append("kept logs in \(session.logDirectory) for \(NumberText.seconds(settings.logRetentionDays)) day(s)")
        return report
    }

    public func collectGarbage() async throws -> CleanupReport {
        SessionDirectory.collectGarbage(in: (session.path as NSString).deletingLastPathComponent, excluding: session.id)
    }

    /// Worker processes currently running (for tests and `status`).
    public var workerPids: [Int32] { pool.pids }
}

/// The worker a call runs on, for a cancellation handler on another thread.
final class WorkerSlot: Sendable {
    private let slot = Mutex<Worker?>(nil)
    var worker: Worker? {
        get { slot.withLock { $0 } }
        set { slot.withLock { $0 = newValue } }
    }
}
