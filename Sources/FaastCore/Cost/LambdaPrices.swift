/// Lambda, SNS, SQS and data transfer prices in USD.
public struct LambdaPrices: Sendable, Hashable {
    /// Per GB-second of billed duration, x86_64.
    public var gbSecondX86: Double
    /// Per GB-second of billed duration, arm64.
    public var gbSecondArm: Double
    public var request: Double
    /// Per SNS publish (64 KB chunk).
    public var snsPublish: Double
    /// Per SQS request (64 KB chunk).
    public var sqsRequest: Double
    /// Per GB transferred out to the internet.
    public var dataTransferOutGb: Double
    /// Where these prices come from.
    public var source: String

    /// The dated built-in table (us-east-1 list prices, checked 2026-11), used when the Pricing API cannot be reached
    /// and for the local provider's estimate.
    public static let builtIn = LambdaPrices(
        gbSecondX86: 0.0000166667, gbSecondArm: 0.0000133334, request: 0.0000002,
        snsPublish: 0.0000005, sqsRequest: 0.0000004, dataTransferOutGb: 0.09,
        source: "built-in table dated 2026-11-01 (us-east-1 list prices)")

    /// Lambda metrics for `usage` at `memoryMb`: billed duration in GB-seconds (1 ms steps) and requests,
    /// plus SNS and SQS requests for calls made in queue mode.
    public func metrics(usage: Usage, memoryMb: Int, arm64: Bool = false) -> [CostMetric] {
        let gbSeconds = usage.billedMs / 1000 * Double(memoryMb) / 1024
        var metrics = [
            CostMetric(name: "functionCallDuration", unit: "GB-second", price: arm64 ? gbSecondArm : gbSecondX86,
                       measured: gbSeconds, note: "\(memoryMb) MB, 1 ms billing"),
            CostMetric(name: "functionCallRequests", unit: "request", price: request, measured: Double(usage.requests)),
        ]
        if usage.queueCalls > 0 {
            metrics.append(CostMetric(name: "snsPublish", unit: "request", price: snsPublish, measured: Double(usage.queueCalls)))
            // A response is sent, received and deleted.
            metrics.append(CostMetric(name: "sqsRequests", unit: "request", price: sqsRequest, measured: Double(usage.queueCalls * 3)))
        }
        if usage.bytes > 0 {
            metrics.append(CostMetric(name: "dataOutbound", unit: "GB", price: dataTransferOutGb,
                                      measured: Double(usage.bytes) / 1_073_741_824, note: "responses received"))
        }
        return metrics
    }
}
