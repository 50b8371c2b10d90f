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
        /// The request or response was lost on its way (pipe, network).
        case transport
        /// The module could not be deployed or loaded.
        case deployFailed
        /// No such function, or the wrong number of arguments.
        case notFound
        /// An invalid option or argument.
        case invalidArgument
        /// A cloud provider's own error (code and request id in the message).
        case provider

        /// Whether the invocation core may run the call again: only failures that are not the function's own doing.
        public var isRetryable: Bool {
            switch self {
            case .workerExited, .transport, .throttled: return true
            default: return false
            }
        }
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

    public init(_ kind: Kind, _ message: String, remote: RemoteError? = nil, logLocation: String? = nil,
                timing: RemoteTiming? = nil, billedMs: Double? = nil) {
        self.kind = kind
        self.message = message
        self.remote = remote
        self.logLocation = logLocation
        self.timing = timing
        self.billedMs = billedMs
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}

extension FaastError {
    /// A trampoline's error report as a `FaastError`: the function's own exception unless the runtime named
    /// one of faast's kinds (serialization, outOfMemory, notFound, protocol).
    public static func fromRuntime(_ remote: RemoteError, kind: String?, timing: RemoteTiming?, logLocation: String?) -> FaastError {
        let k: Kind
        switch kind {
        case "serialization": k = .serialization
        case "outOfMemory": k = .outOfMemory
        case "notFound": k = .notFound
        case "protocol": k = .transport
        default: k = .exception
        }
        let message = k == .exception ? "\(remote.name): \(remote.message)" : remote.message
        return FaastError(k, message, remote: remote, logLocation: logLocation, timing: timing)
    }
}
