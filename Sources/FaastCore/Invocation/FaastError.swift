/// The error of a remote function as the runtime reported it: its class name, message, stack and own
/// properties (e.g. an `Error`'s `code`).
public struct RemoteError: Sendable, Hashable {
    public var name: String
    public var message: String
    public var stack: String?
    /// Own properties of the error beyond name, message and stack.
    public var properties: [JSONMember]

    public init(name: String, message: String, stack: String? = nil, properties: [JSONMember] = []) {
        self.name = name
        self.message = message
        self.stack = stack
        self.properties = properties
    }
}

/// The one error type users see: what went wrong (kind), a message, the remote error where there is one,
/// and where the call's log is.
public struct FaastError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is; the raw value is the name `expect ... fails KIND` uses.
    public enum Kind: String, Sendable, CaseIterable, Hashable {
        /// The function threw (its own doing).
        case exception
        /// The function ran past its timeout and its worker was stopped.
        case timeout
        /// The function exceeded its memory size.
        case outOfMemory
        /// The worker process exited or was killed during the call (a lost worker).
        case workerExited
        /// Arguments or the return value have no JSON form.
        case serialization
        /// The call was cancelled before it finished.
        case cancelled
        /// The provider refused the call for load (rate exceeded, too many requests).
        case throttled
        /// The request or response was lost on its way (pipe, network). It may have run unless `notStarted`.
        case transport
        /// The call's outcome is unknown: its request may have reached the provider and run (the answer was
        /// lost, or the provider failed after taking it). Never retried automatically; re-run only with `rerun=N`.
        case mayHaveRun
        /// The module could not be deployed or loaded.
        case deployFailed
        /// No such function, or the wrong number of arguments.
        case notFound
        /// An invalid option or argument.
        case invalidArgument
        /// A cloud provider's own error (code and request id in the message), or an error faast does not know.
        case provider
    }

    public var kind: Kind
    public var message: String
    public var remote: RemoteError?
    /// Where this call's log lines are (a `file://` path locally, a console URL on AWS).
    public var logLocation: String?
    /// The function's own timing when it ran before failing (for statistics and billing).
    public var timing: RemoteTiming?
    /// Milliseconds the provider billed for the failed attempt, when it says.
    public var billedMs: Double?
    /// Set by a provider when the failed attempt provably never reached the function (the connection was
    /// never made, the request never left). Only such attempts, and throttled ones, are retried
    /// automatically; see `attemptDidNotStart`.
    public var notStarted: Bool
    /// What the function printed before it failed, when the request asked (`InvocationRequest.capturesOutput`).
    public var output: [String]?
    /// What the user probably meant, when a name or path was mistyped (`resolveModule`: the nearest module files).
    public var suggestions: [String] = []

    public init(_ kind: Kind, _ message: String, remote: RemoteError? = nil, logLocation: String? = nil,
                timing: RemoteTiming? = nil, billedMs: Double? = nil, notStarted: Bool = false) {
        self.kind = kind
        self.message = message
        self.remote = remote
        self.logLocation = logLocation
        self.timing = timing
        self.billedMs = billedMs
        self.notStarted = notStarted
    }

    /// Whether the attempt provably did not start, so that running the call again cannot run user code
    /// twice: a refusal for load (`throttled`), or an attempt marked `notStarted`. Retried automatically,
    /// except a cancelled one (`notStarted` there only says it never ran: see `BatchResult.cancelledWhileRunning`).
    public var attemptDidNotStart: Bool { kind == .throttled || (notStarted && kind != .cancelled) }

    /// Whether the attempt may have run user code although it failed: its worker or runtime died during the
    /// call (`workerExited`), or its request or answer was lost on the way (`transport`) after it may have
    /// arrived. Run again only when the user opts in (`rerun=N`).
    public var mayHaveRun: Bool {
        !attemptDidNotStart && (kind == .workerExited || kind == .transport || kind == .mayHaveRun)
    }

    /// Any error as a `FaastError`, in one place: a `FaastError` as it is, a task cancellation as
    /// `.cancelled`, and anything else as a `provider` error, which is never retried (an error faast does
    /// not know cannot prove that the call did not run).
    public static func mapping(_ error: any Error) -> FaastError {
        if let e = error as? FaastError { return e }
        if error is CancellationError { return FaastError(.cancelled, "the call was cancelled") }
        return FaastError(.provider, "unexpected error: \(error)")
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}

extension FaastError {
    /// A trampoline's error report as a `FaastError`: the function's own exception unless the runtime named
    /// one of faast's kinds (serialization, outOfMemory, notFound, invalidArgument, protocol).
    public static func fromRuntime(_ remote: RemoteError, kind: String?, timing: RemoteTiming?, logLocation: String?) -> FaastError {
        let k: Kind
        switch kind {
        case "serialization": k = .serialization
        case "outOfMemory": k = .outOfMemory
        case "notFound": k = .notFound
        case "invalidArgument": k = .invalidArgument
        case "protocol": k = .transport
        default: k = .exception
        }
        let message = k == .exception ? "\(remote.name): \(remote.message)" : remote.message
        // A request the runtime could not read never reached the function.
        return FaastError(k, message, remote: remote, logLocation: logLocation, timing: timing, notStarted: kind == "protocol")
    }
}
