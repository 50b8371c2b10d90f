import FaastCore

/// An error AWS answered with: its code, message and request id, as users see them. Decisions are made from
/// `code` and `status`, never from `message`.
public struct AWSServiceError: Error, Sendable, CustomStringConvertible {
    public var service: String
    public var status: Int
    public var code: String
    public var message: String
    public var requestId: String?

    public init(service: String, status: Int, code: String, message: String, requestId: String? = nil) {
        self.service = service
        self.status = status
        self.code = code
        self.message = message
        self.requestId = requestId
    }

    public var description: String {
        "\(service) \(code): \(message)" + (requestId.map { " (request id \($0))" } ?? "")
    }

    static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded",
        "RequestThrottled", "RequestThrottledException", "SlowDown", "ProvisionedThroughputExceededException",
        "Throttling.Sender", "LimitExceededException",
    ]

    /// The codes each service answers for a resource that does not exist.
    static let notFoundCodes: Set<String> = [
        "ResourceNotFoundException", "NotFound", "NotFoundException", "NoSuchEntity",
        "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NonExistentQueue",
    ]

    /// Throttled by AWS: safe to send again after a pause (the request was not accepted).
    public var isThrottling: Bool { status == 429 || Self.throttlingCodes.contains(code) }
    /// A server-side fault.
    public var isServerError: Bool { status >= 500 }
    /// The resource named in the request does not exist (already deleted, or never made).
    public var isNotFound: Bool { Self.notFoundCodes.contains(code) }
}

/// The one place where errors inside FaastAWS (AWS's answers, libcurl's transport failures, cancellation)
/// become the `FaastError` users see.
enum AWSErrors {
    /// Any error of a control-plane request (deploy, cleanup, logs, queue set-up) as a `FaastError`.
    static func faastError(_ error: any Error) -> FaastError {
        switch error {
        case let e as FaastError: return e
        case let e as AWSServiceError: return FaastError(e.isThrottling ? .throttled : .provider, e.description)
        case let e as HTTPTransportError:
            // `transport` with `notStarted` only when it provably never left (then it may be sent again).
            return FaastError(.transport, e.description, notStarted: e.reach == .notSent)
        case is CancellationError: return FaastError(.cancelled, "cancelled")
        default: return FaastError(.provider, "\(error)")
        }
    }

    /// The error of a request that runs user code (`Invoke`, `Publish`) whose answer did not say it ran.
    /// Only a request that provably was not taken (throttled, never sent) may be sent again, and its error
    /// says so by its kind (`throttled`, `transport`); one that may have been taken is `mayHaveRun`, which the
    /// invocation core never retries.
    static func invocationError(_ error: any Error, function: String, where place: String = "Lambda",
                                logLocation: String? = nil) -> FaastError {
        switch error {
        case let e as HTTPTransportError where e.reach == .maybeSent:
            return mayHaveRun(function, place: place, because: "the connection failed after the request was sent: \(e.detail)",
                              logLocation: logLocation)
        case let e as AWSServiceError where e.isServerError && !e.isThrottling:
            return mayHaveRun(function, place: place, because: "AWS answered \(e.status), \(e.service) \(e.code)",
                              logLocation: logLocation)
        default:
            var mapped = faastError(error)
            mapped.logLocation = mapped.logLocation ?? logLocation
            return mapped
        }
    }

    /// "f on Lambda: <reason>": the invocation core adds that the call may have run and was not run again
    /// (or how many times it was), once, as for every provider.
    static func mayHaveRun(_ function: String, place: String = "Lambda", because reason: String,
                           logLocation: String? = nil) -> FaastError {
        FaastError(.mayHaveRun, "\(function) on \(place): \(reason)", logLocation: logLocation)
    }
}
