import CFaastSys
import FaastCore
import FaastRuntimes
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
    private let launch: WorkerLaunch
    private let pool: WorkerPool
    private let watchdog: Task<Void, Never>
    private let lanesMade = Atomic<Int>(0)

    private init(module: ModuleSpec, functions: [FunctionInfo], settings: DeploySettings, session: SessionDirectory,
                 launch: WorkerLaunch, pool: WorkerPool) {
        self.module = module
        self.functions = functions
        self.settings = settings
        self.session = session
        self.launch = launch
        self.pool = pool
        watchdog = Task.detached { [pool] in
            while !Task.isCancelled {
                pool.enforceDeadlines()
                try? await Task.sleep(nanoseconds: 20_000_000)
            }
        }
    }

    deinit { watchdog.cancel() }

    /// Starts a first worker, checks that the module loads and has functions, and keeps that worker warm.
    /// Anything created is removed again when this fails.
    static func deploy(_ module: ModuleSpec, settings: DeploySettings, stateDirectory: String) async throws -> LocalProvider {
        signal(SIGPIPE, SIG_IGN)
        let session = try SessionDirectory.create(in: stateDirectory, retentionDays: settings.logRetentionDays)
        do {
            let launch = try launchPlan(module, settings: settings, session: session)
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
                                 launch: launch, pool: pool)
        } catch {
            session.remove()
            throw error
        }
    }

    static func launchPlan(_ module: ModuleSpec, settings: DeploySettings, session: SessionDirectory) throws -> WorkerLaunch {
        let executable = try Interpreters.executable(for: module.runtime)
        let source = module.runtime == .node ? EmbeddedRuntimes.node : EmbeddedRuntimes.python
        let trampoline = session.path + (module.runtime == .node ? "/trampoline.js" : "/trampoline.py")
        try session.write(source, to: trampoline)
        var env = ProcessInfo.processInfo.environment
        // A large CA bundle costs node ~40 ms at every start; a module that needs it can pass it in env.
        env.removeValue(forKey: "NODE_EXTRA_CA_CERTS")
        env["FAAST_PROVIDER"] = "local"
        env["FAAST_SESSION_ID"] = session.id
        env["FAAST_MODULE"] = module.path
        env["AWS_LAMBDA_FUNCTION_NAME"] = "faast-\(session.id)"
        env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = String(settings.memoryMb)
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        var arguments: [String]
        switch module.runtime {
        case .node:
            arguments = ["--max-old-space-size=\(settings.memoryMb)", trampoline]
        case .python:
            env["FAAST_MEMORY_MB"] = String(settings.memoryMb)
            arguments = ["-u", trampoline]
        }
        for (k, v) in settings.env { env[k] = v }
        let directory = (module.path as NSString).deletingLastPathComponent
        return WorkerLaunch(executable: executable, arguments: arguments, environment: env, directory: directory,
                            logDirectory: session.logDirectory)
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

    fileprivate static func requestLine(_ request: InvocationRequest) -> String {
        WireProtocol.callRequest(callId: request.callId, function: request.function, args: request.args, newline: true)
    }

    /// A worker's answer to a call as the call's result.
    fileprivate func answer(_ response: WireResponse, from worker: Worker) -> Result<InvocationResponse, FaastError> {
        switch response {
        case .returned(_, let value, let timing):
            return .success(InvocationResponse(value: value, timing: timing))
        case .failed(_, let remote, let kind, let timing):
            return .failure(FaastError.fromRuntime(remote, kind: kind, timing: timing, logLocation: worker.logURL))
        default:
            return .failure(FaastError(.transport, "unexpected response from the worker", logLocation: worker.logURL))
        }
    }

    fileprivate var workers: WorkerPool { pool }

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
        watchdog.cancel()
        let stopped = await pool.shutdown()
        session.markCleaned()
        var report = ["stopped \(stopped) worker\(stopped == 1 ? "" : "s")"]
        report += session.removeAllButLogs()
        report.append("kept logs in \(session.logDirectory) for \(Worker.format(settings.logRetentionDays)) day(s)")
        return report
    }

    public func collectGarbage() async throws -> CleanupReport {
        SessionDirectory.collectGarbage(in: (session.path as NSString).deletingLastPathComponent, excluding: session.id)
    }

    /// Worker processes currently running (for tests and `status`).
    public var workerPids: [Int32] { pool.pids }
}

/// A fan-out lane. It keeps one worker from call to call, so that a call takes no lock of the pool's. While
/// the worker's calls return at once, the lane also sends the next requests before the current answer
/// comes, as a process pool's queue does: the worker then never waits for this process between calls, and
/// both sides read several lines per wake-up. The worker still runs them one at a time, in order.
///
/// A call is sent ahead only when the calls before it are expected to end within `aheadWithinMs` (so a call
/// that turns out slow holds few, quick calls behind it), at most `maxSent` at once, and only while the
/// requests not yet answered fit in half the request pipe (a write never blocks, so the lane and a worker
/// writing a large answer cannot wait on each other). A worker that dies or is stopped is given back (the
/// pool drops it); the calls waiting behind its running call never ran, and go to the next worker when
/// asked for, without counting as retries.
final class LocalLane: BlockingLane {
    static let aheadWithinMs = 1.0
    static let maxSent = 8

    private struct Sent {
        var callId: String
        var bytes: Int
        /// When it was sent (`MonotonicClock.seconds()`).
        var sentAt: Double
        /// Sent while another call was in flight: it waited in the pipe until the worker took it.
        var queued: Bool
    }

    private let provider: LocalProvider
    /// The CPU this lane's thread and its worker share while the worker's calls are short (see `placeOnCPU`).
    private let cpu: Int32?
    /// Whether the lane's thread and `worker` are bound to `cpu`.
    private var bound = false
    private var worker: Worker?
    /// Calls sent to `worker` whose answers are not read yet, oldest (running) first.
    private var sent: [Sent] = []
    private var sentBytes = 0
    /// Answers read while waiting for a later call (a retry sent behind calls sent ahead).
    private var early: [String: (result: Result<InvocationResponse, FaastError>, start: Double, arrival: Double)] = [:]
    private var lastExecutionMs = Double.infinity
    private(set) var lastStart = 0.0
    private(set) var lastArrival = 0.0

    init(provider: LocalProvider, cpu: Int32?) {
        self.provider = provider
        self.cpu = cpu
    }

    func invoke(_ request: InvocationRequest, ahead: () -> InvocationRequest?) throws(FaastError) -> InvocationResponse {
        (lastStart, lastArrival) = (0, 0)
        while true {
            if !early.isEmpty, let answer = early.removeValue(forKey: request.callId) {
                (lastStart, lastArrival) = (answer.start, answer.arrival)
                return try answer.result.get()
            }
            if !isSent(request.callId) {
                if !sent.isEmpty {
                    // Settle the calls sent before (a retry behind calls sent ahead): a request of any size then
                    // goes to an idle worker, so the write cannot wait on a worker that writes an answer.
                    keepAnswer()
                    continue
                }
                try send(request, line: LocalProvider.requestLine(request))
            }
            if sent[0].callId == request.callId {
                sendAhead(ahead)
                let answer = readAnswer()
                (lastStart, lastArrival) = (answer.start, answer.arrival)
                return try answer.result.get()
            }
            keepAnswer()
        }
    }

    /// Reads the oldest sent call's answer and keeps it for when that call is invoked.
    private func keepAnswer() {
        let answer = readAnswer()
        early[answer.callId] = (answer.result, answer.start, answer.arrival)
    }

    /// Sends the next calls' requests behind the running one while that is expected to pay off (see above).
    private func sendAhead(_ ahead: () -> InvocationRequest?) {
        guard let held = worker else { return }
        let budget = held.requestPipeCapacity / 2
        while sent.count < Self.maxSent, Double(sent.count) * lastExecutionMs <= Self.aheadWithinMs, sentBytes < budget,
              let next = ahead() {
            let line = LocalProvider.requestLine(next)
            // A request that does not fit, or cannot go now, is sent when its call is invoked.
            guard sentBytes + line.utf8.count <= budget, (try? send(next, line: line)) != nil else { return }
        }
    }

    func isSent(_ callId: String) -> Bool { sent.contains { $0.callId == callId } }

    func prepare() { _ = try? readyWorker() }

    /// The worker to send to: the one held, or (if it has ended and owes no answers) a warm one from the pool.
    private func readyWorker() throws(FaastError) -> Worker {
        if sent.isEmpty, worker?.isAlive == false { giveBackWorker() }
        if let held = worker { return held }
        let fresh = try provider.workers.acquireBlocking()
        worker = fresh
        return fresh
    }

    private func send(_ request: InvocationRequest, line: String) throws(FaastError) {
        let current = try readyWorker()
        let now = MonotonicClock.seconds()
        try current.send(line: line, callId: request.callId, function: request.function, timeout: request.timeout)
        let bytes = line.utf8.count
        sent.append(Sent(callId: request.callId, bytes: bytes, sentAt: now, queued: !sent.isEmpty))
        sentBytes += bytes
    }

    /// Reads the answer of the oldest sent call. If the worker has ended, that call fails with its error and
    /// the calls sent behind it are forgotten: they never ran.
    @discardableResult
    private func readAnswer() -> (callId: String, result: Result<InvocationResponse, FaastError>, start: Double, arrival: Double) {
        let front = sent.first
        let callId = front?.callId ?? ""
        var start = 0.0, arrival = 0.0
        let result: Result<InvocationResponse, FaastError>
        if let held = worker {
            do {
                let received = try held.receive()
                arrival = received.arrivedAt
                result = provider.answer(received.response, from: held)
                if let front, front.queued {
                    // A call that waited in the pipe began when the worker took it, which the worker's own start
                    // time tells (the same clock, on this machine); answers read together cannot.
                    let now = MonotonicClock.seconds()
                    start = front.sentAt
                    if let began = (try? result.get())?.timing.start ?? result.failureTiming?.start {
                        start = min(now, max(start, now - (MonotonicClock.epochMs() - began) / 1000))
                    }
                }
                sentBytes -= sent.removeFirst().bytes
            } catch {
                result = .failure(error)
                forgetSent()
                giveBackWorker()
            }
        } else {
            result = .failure(FaastError(.workerExited, "the worker is no longer running"))
            forgetSent()
        }
        switch result {
        case .success(let r): lastExecutionMs = r.timing.executionMs ?? .infinity
        case .failure(let e): lastExecutionMs = e.timing?.executionMs ?? .infinity
        }
        placeOnCPU()
        return (callId, result, start, arrival)
    }

    /// Calls that return at once spend most of their time waking the other side: across CPUs that wake-up
    /// costs several times the call on a VM (an interrupt to the other CPU), on one CPU it is a plain switch.
    /// So while a worker's calls run under `aheadWithinMs`, the lane's thread and the worker share the lane's
    /// CPU (lanes take the allowed CPUs in turn); a call of more than `unbindAboveMs` lets both float again,
    /// since the wake-up no longer matters and the work (and anything it starts) may want every CPU.
    static let unbindAboveMs = 10.0

    private func placeOnCPU() {
        guard let cpu else { return }
        if !bound, lastExecutionMs <= Self.aheadWithinMs, let held = worker, held.isAlive {
            _ = faast_bind_cpu(0, cpu)
            _ = faast_bind_cpu(held.pid, cpu)
            bound = true
        } else if bound, lastExecutionMs > Self.unbindAboveMs {
            unbind()
        }
    }

    /// Lets the lane's thread and its worker (if still running: a dead one's pid may be reused) float again.
    private func unbind() {
        _ = faast_bind_cpu(0, -1)
        if let held = worker, held.isAlive { _ = faast_bind_cpu(held.pid, -1) }
        bound = false
    }

    /// Returns the worker to the pool (which drops it if it has ended), unbound: an idle worker is nobody's.
    private func giveBackWorker() {
        guard let held = worker else { return }
        if bound { unbind() }
        worker = nil
        provider.workers.release(held)
    }

    private func forgetSent() {
        sent.removeAll()
        sentBytes = 0
    }

    func close() {
        guard let held = worker else { return }
        // Calls still sent here were given up (a cancelled fan-out): the worker cannot serve others after them.
        if !sent.isEmpty { held.stop(because: FaastError(.cancelled, "the call was cancelled")) }
        forgetSent()
        giveBackWorker()
    }

    deinit { close() }
}

extension Result where Failure == FaastError {
    /// The remote timing a failure carries, if any.
    var failureTiming: RemoteTiming? {
        if case .failure(let e) = self { return e.timing }
        return nil
    }
}

/// The worker a call runs on, for a cancellation handler on another thread.
final class WorkerSlot: Sendable {
    private let slot = Mutex<Worker?>(nil)
    var worker: Worker? {
        get { slot.withLock { $0 } }
        set { slot.withLock { $0 = newValue } }
    }
}
