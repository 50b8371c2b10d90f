/// Per-call options that override the session's defaults (`call f() timeout=5 retries=0`).
public struct CallOptions: Sendable, Hashable {
    public var timeout: Double?
    public var maxRetries: Int?
    /// Re-runs of a call whose attempt may have run (`rerun=N`; see `DeploySettings.maxReruns`).
    public var maxReruns: Int?
    /// Speculative retries (`speculative=K`, off when nil): a call running longer than mean + K·stdev of the
    /// function's completed calls gets one duplicate, and the first answer wins. Only for idempotent functions.
    public var speculative: Double?
    public var concurrency: Int?
    public var rate: Double?
    public var burst: Int?
    public var mode: InvocationMode?
    /// Whether a local fan-out may send requests ahead to a busy warm worker (see `DeploySettings.pipeline`).
    public var pipeline: Bool?
    public init(timeout: Double? = nil, maxRetries: Int? = nil, concurrency: Int? = nil, rate: Double? = nil,
                burst: Int? = nil, mode: InvocationMode? = nil, pipeline: Bool? = nil, maxReruns: Int? = nil,
                speculative: Double? = nil) {
        self.speculative = speculative
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.maxReruns = maxReruns
        self.concurrency = concurrency
        self.rate = rate
        self.burst = burst
        self.mode = mode
        self.pipeline = pipeline
    }
}

/// The result of one call through the invocation core.
public struct CallOutcome: Sendable {
    public var function: String
    public var result: Result<JSONValue, FaastError>
    /// From dispatch (after any queueing) to the final result, retries included.
    public var latencyMs: Double
    /// Time spent waiting for a concurrency or rate slot.
    public var queuedMs: Double
    /// Attempts made (0 when cancelled before starting): the first, retries and re-runs.
    public var attempts: Int
    /// The last attempt's timing where it ran.
    public var timing: RemoteTiming
    /// Wall-clock time the result arrived (epoch ms).
    public var receivedAtEpochMs: Double
    /// Monotonic time (seconds) the first attempt was dispatched.
    public var dispatchedAt: Double
    /// Billed milliseconds over all attempts (1 ms steps).
    public var billedMs: Double
    /// Attempts that reached the function.
    public var billedRequests: Int
    /// Response bytes received over the network.
    public var transferBytes = 0
    /// Speculative duplicates started for this call (at most one per attempt), billed as requests of their own.
    public var speculativeDuplicates = 0
    /// Whether a duplicate answered first (1) or not (0).
    public var speculativeWins = 0
    /// Of `billedMs`: what the duplicates used.
    public var speculativeBilledMs = 0.0
    /// Attempts that re-ran the call after one that may have run (`rerun=N`).
    public var reruns = 0
    /// What the function printed during its last attempt, when asked (`Invoker.call(capturingOutput:)`) and
    /// the provider can tell; nil otherwise.
    public var output: [String]?

    /// Whether the last attempt was a cold start (see `RemoteTiming.coldStart`).
    public var coldStart: Bool { timing.coldStart }

    /// Automatic retries of attempts that did not start.
    public var retries: Int { max(0, attempts - 1 - reruns) }

    public var value: JSONValue? { try? result.get() }
    public var error: FaastError? {
        if case .failure(let e) = result { return e }
        return nil
    }
}
