import Synchronization

/// How calls travel to the function: a direct request/response (`https`), or through a queue
/// (SNS in, SQS out on AWS). The local provider runs both the same way.
public enum InvocationMode: String, Sendable, CaseIterable, Hashable {
    case https
    case queue
}

/// The runtime a module runs on, picked by its file extension.
public enum Runtime: String, Sendable, Hashable, CaseIterable {
    case node
    case python

    /// The runtime for a module path, or nil for an extension faast does not know.
    public static func forModule(path: String) -> Runtime? {
        let lower = path.lowercased()
        if lower.hasSuffix(".js") || lower.hasSuffix(".cjs") || lower.hasSuffix(".mjs") { return .node }
        if lower.hasSuffix(".py") { return .python }
        return nil
    }
}

/// The settings a module is deployed with; the session's defaults for every call.
public struct DeploySettings: Sendable, Hashable {
    /// Memory size in MB (Lambda's memorySize; locally a heap or address-space limit).
    public var memoryMb: Int = 1024
    /// Per-call timeout in seconds.
    public var timeout: Double = 60
    /// Calls in flight at once; 0 means unlimited.
    public var concurrency: Int = 10
    public var mode: InvocationMode = .https
    /// Environment variables the functions see.
    public var env: [String: String] = [:]
    /// Names (or glob patterns) of faast's own environment variables that local workers see too; by default
    /// they see only a documented set (PATH, HOME, LANG, LC_*, TZ, TMPDIR). AWS credentials need their exact name.
    public var inheritEnvironment: [String] = []
    /// Automatic retries of attempts that provably did not start (throttled, never connected, never taken
    /// by a worker).
    public var maxRetries: Int = 2
    /// Re-runs of a call whose attempt may have run (its worker died, its answer was lost): 0 unless the user
    /// opts in (`rerun=N`), since user code runs at most once per call by default.
    public var maxReruns: Int = 0
    /// Calls per second, nil for no limit.
    public var rate: Double?
    /// Calls that may start at once before the rate applies.
    public var burst: Int = 1
    /// Whether a local fan-out may send the next requests to a warm worker while its calls return at once,
    /// instead of one request per answer. Calls still run one at a time per worker; off, each request waits
    /// for a free worker.
    public var pipeline = true
    /// Speculative retries' K (see `CallOptions.speculative`); nil: off.
    public var speculative: Double?
    /// How long logs outlive the session, in days.
    public var logRetentionDays: Double = 1
    /// Where a cloud provider deploys (region, role, architecture); the local provider ignores them.
    public var cloud = CloudSettings()
    /// What goes into the code package beyond the module.
    public var package = PackageSettings()

    public init() {}
}

/// The processor architecture a cloud function runs on.
public enum Architecture: String, Sendable, Hashable, CaseIterable {
    case x86_64
    case arm64
}

/// Settings only a cloud provider reads (AWS today), typed where they are parsed.
public struct CloudSettings: Sendable, Hashable {
    /// The region; nil for the environment's (`AWS_REGION`, the config file).
    public var region: String?
    /// An existing role to run as; nil for faast's own least-privilege role.
    public var role: String?
    public var architecture: Architecture = .x86_64
    /// A kept session to attach to (`open --session ID`, `faast attach ID`); nil to reuse or deploy.
    public var session: String?
    public init() {}
}

/// Files that go into a code package beyond the module itself.
public struct PackageSettings: Sendable, Hashable {
    /// Glob patterns, relative to the module's folder, of files to add.
    public var include: [String] = []
    /// Glob patterns of files to leave out.
    public var exclude: [String] = []
    /// A `requirements.txt` (python) or `package.json` (node), relative to the module's folder: installed for
    /// Lambda into a cached layer, and locally into a cache on the workers' module path.
    public var dependencies: String?
    public init() {}
}

/// A module to deploy.
public struct ModuleSpec: Sendable, Hashable {
    /// Absolute path of the module file.
    public var path: String
    public var runtime: Runtime
    public init(path: String, runtime: Runtime) {
        self.path = path
        self.runtime = runtime
    }
}

/// One invocation as a provider sees it.
public struct InvocationRequest: Sendable {
    public var callId: String
    public var function: String
    public var args: [JSONValue]
    /// Keyword arguments (python's `f(x, name=value)`), in the order written; empty for most calls.
    public var keywords: [JSONMember]
    /// Seconds before the call fails as a timeout.
    public var timeout: Double
    public var mode: InvocationMode
    /// 0 for the first attempt.
    public var attempt: Int
    /// Where a generator's values go as they are yielded, in order (nil: they arrive with the result only).
    /// A provider streams them where its transport can (see `YieldHandler`).
    public var onYield: YieldHandler?
    /// Whether the response should carry the lines the function printed during this call (`output`): asked
    /// for single calls shown to a person, since finding them costs a log read.
    public var capturesOutput = false

    public init(callId: String, function: String, args: [JSONValue], keywords: [JSONMember] = [], timeout: Double,
                mode: InvocationMode, attempt: Int = 0, onYield: YieldHandler? = nil, capturesOutput: Bool = false) {
        self.capturesOutput = capturesOutput
        self.callId = callId
        self.function = function
        self.args = args
        self.keywords = keywords
        self.timeout = timeout
        self.mode = mode
        self.attempt = attempt
        self.onYield = onYield
    }
}

/// Receives a generator's values as they are yielded: the attempt they come from (0 for the first; a retried
/// generator starts again from its first value), their position from 0, and the value. Called on a provider's
/// thread, in order, at most once per position and attempt.
public typealias YieldHandler = @Sendable (_ attempt: Int, _ seq: Int, _ value: JSONValue) -> Void

/// Puts yielded values that may arrive out of order or twice (several queue pollers) back in order, and
/// passes each on once.
public final class YieldSequencer: Sendable {
    private struct State {
        var next = 0
        var pending: [Int: JSONValue] = [:]
    }
    private let state = Mutex(State())
    private let attempt: Int
    private let handler: YieldHandler

    public init(attempt: Int, handler: @escaping YieldHandler) {
        self.attempt = attempt
        self.handler = handler
    }

    /// Takes the value at `seq`; passes on every value now in order.
    public func receive(seq: Int, value: JSONValue) {
        // The handler runs under the lock, so values from two pollers are passed on one at a time, in order.
        state.withLock { s in
            guard seq >= s.next, s.pending[seq] == nil, s.pending.count < 100_000 else { return }
            s.pending[seq] = value
            while let v = s.pending.removeValue(forKey: s.next) {
                handler(attempt, s.next, v)
                s.next += 1
            }
        }
    }
}

/// A successful invocation.
public struct InvocationResponse: Sendable {
    public var value: JSONValue
    public var timing: RemoteTiming
    /// What the provider billed, in ms, when it says (Lambda's REPORT line); else derived from timing.
    public var billedMs: Double?
    /// Bytes that came back over the network (data transfer out, priced on AWS).
    public var transferBytes: Int
    /// What the function printed during the call (stdout and stderr lines, in order), when the request asked
    /// (`InvocationRequest.capturesOutput`) and the provider can tell.
    public var output: [String]?
    public init(value: JSONValue, timing: RemoteTiming, billedMs: Double? = nil, transferBytes: Int = 0, output: [String]? = nil) {
        self.output = output
        self.value = value
        self.timing = timing
        self.billedMs = billedMs
        self.transferBytes = transferBytes
    }
}

/// What a provider removed at cleanup or garbage collection, one line per resource.
public typealias CleanupReport = [String]

/// A deployed module: the back end the invocation core calls through.
///
/// The core runs a fan-out as lanes (as many as its concurrency) and gives each to `runLane`; see
/// `LaneCalls` for what a lane takes and reports, and `InvokingProvider` for providers that make one
/// request per call. A failed call's error carries its log location, and its remote timing when the
/// function ran.
public protocol Provider: AnyObject, Sendable {
    /// `local` or `aws`.
    var name: String { get }
    var module: ModuleSpec { get }
    var functions: [FunctionInfo] { get }
    var settings: DeploySettings { get }
    /// Lines for `status` beyond the common ones (region, role, session directory, ...).
    var details: [(String, String)] { get }
    /// Typed values of `details` lines that are not text (`"workers": 3`), by label, for JSON output;
    /// a line without one is a JSON string.
    var detailValues: [String: JSONValue] { get }
    /// The most lanes (calls in flight) the provider runs at once, whatever the concurrency asked.
    var maxLanes: Int { get }

    /// Runs one lane of a fan-out: takes calls from `calls` until it gives none, runs them, and reports
    /// every attempt (`finish`, or `putBack` for a call that never began). Called once per lane, all lanes
    /// at once. Cancelling the calling task cancels the fan-out: the lane ends its calls in flight (they
    /// fail as `.cancelled`) and returns promptly.
    func runLane(_ calls: LaneCalls) async
    /// Where the session's logs are (one function's, when named).
    func logLocation(function: String?) -> String
    /// The most recent log lines of the session's calls, oldest first.
    func recentLogs(function: String?, last: Int) async throws -> [String]
    /// The cost of what the session used.
    func costSnapshot(usage: Usage) async -> CostSnapshot
    /// Removes everything the session created except logs (kept for the retention period). Idempotent.
    func cleanup() async throws -> CleanupReport
    /// Removes what sessions past their retention left behind.
    func collectGarbage() async throws -> CleanupReport
}

extension Provider {
    public var maxLanes: Int { .max }
    public var detailValues: [String: JSONValue] { [:] }
}

/// Deploys modules on one kind of provider.
public protocol ProviderFactory: Sendable {
    var name: String { get }
    func deploy(_ module: ModuleSpec, settings: DeploySettings) async throws -> any Provider
    /// Garbage collection without a session (for `gc` before `open`).
    func collectGarbage(settings: DeploySettings) async throws -> CleanupReport
}

/// Resolves a module path to a `ModuleSpec`, with the errors users need for a missing file (and the nearest
/// module files, in the message and in `suggestions`) or an extension faast does not know. `path` is named in
/// messages as given; a relative one is resolved against `directory` (default: the working directory).
public func resolveModule(_ path: String, relativeTo directory: String? = nil) throws(FaastError) -> ModuleSpec {
    let absolute = FilePaths.absolute(path, relativeTo: directory)
    let runtime = Runtime.forModule(path: absolute)
    if !FilePaths.isRegularFile(absolute) {
        let near = PathSuggestion.suggestions(for: path, relativeTo: directory)
        if runtime != nil || !near.isEmpty {
            let what = FilePaths.isDirectory(absolute) ? "a folder, not a module" : "no such file"
            var error = FaastError(.deployFailed, "\(path): \(what)" + Suggestion.didYouMean(near))
            error.suggestions = near
            throw error
        }
    }
    guard let runtime else {
        throw FaastError(.deployFailed, "\(path): unknown module type; use a .js, .cjs or .mjs file (node) or a .py file (python)")
    }
    return ModuleSpec(path: absolute, runtime: runtime)
}

/// What a deploy would upload, listed for people (`text`) and scripts (`json`: an object).
public struct PackageListing: Sendable {
    public var text: String
    public var json: JSONValue
    public init(text: String, json: JSONValue) {
        self.text = text
        self.json = json
    }
}

/// A provider that uploads code packages (AWS) and can show one without deploying (`package`).
public protocol PackageListingFactory: ProviderFactory {
    func packageListing(_ module: ModuleSpec, settings: DeploySettings) async throws -> PackageListing
}
