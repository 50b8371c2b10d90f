import FaastCore

// For scripts/bench (Sources/faast-bench): the client's own signing and sending path, reachable from outside
// the module without widening `send` itself.
extension AWSClient {
    /// Signs and sends one synchronous Lambda `Invoke` (RequestResponse, LogType Tail), exactly as the AWS
    /// provider's https mode does; returns the raw response whatever its status.
    public func benchInvoke(function: String, payload: [UInt8], timeout: Double = 30) async throws -> HTTPResponse {
        try await send(
            .lambda, method: "POST", path: "/2015-03-31/functions/\(function)/invocations",
            headers: [("X-Amz-Invocation-Type", "RequestResponse"), ("X-Amz-Log-Type", "Tail"),
                      ("Content-Type", "application/json")],
            body: payload, timeout: timeout, idempotent: false)
    }
}
