import FaastCore

/// An error AWS answered with: its code, message and request id, as users see them.
public struct AWSServiceError: Error, Sendable, CustomStringConvertible {
    public var service: String
    public var status: Int
    public var code: String
    public var message: String
    public var requestId: String?

    public var description: String {
        "\(service) \(code): \(message)" + (requestId.map { " (request id \($0))" } ?? "")
    }

    static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded",
        "RequestThrottled", "RequestThrottledException", "SlowDown", "ProvisionedThroughputExceededException",
        "Throttling.Sender", "LimitExceededException",
    ]

    /// Throttled by AWS: safe to send again after a pause (the request was not accepted).
    public var isThrottling: Bool { status == 429 || Self.throttlingCodes.contains(code) }
    /// A server-side fault.
    public var isServerError: Bool { status >= 500 }

    /// As the one error type users see.
    public var faastError: FaastError {
        FaastError(isThrottling ? .throttled : .provider, description)
    }
}
