import Synchronization
import Testing
@testable import FaastCore

/// An in-memory provider: each call runs `handler`, while the provider counts attempts, calls in flight
/// and the calls that saw their task cancelled.
final class TestProvider: InvokingProvider {
    typealias Handler = @Sendable (InvocationRequest) async throws -> InvocationResponse

    let name = "test"
    let module = ModuleSpec(path: "/tmp/faast-tests/functions.js", runtime: .node)
    let functions: [FunctionInfo]
    let settings: DeploySettings
    let details: [(String, String)] = []
    private let handler: Handler

    private struct State {
        var inFlight = 0
        var maxInFlight = 0
        var requests: [InvocationRequest] = []
        var cancellations = 0
    }
    private let state = Mutex(State())

    init(
        functions: [FunctionInfo] = [FunctionInfo(name: "echo", parameters: ["x"])],
        configure: (inout DeploySettings) -> Void = { _ in },
        handler: @escaping Handler
    ) {
        self.functions = functions
        var settings = DeploySettings()
        configure(&settings)
        self.settings = settings
        self.handler = handler
    }

    /// Returns its first argument after `sleepMs` (a function of that argument).
    convenience init(configure: (inout DeploySettings) -> Void = { _ in }, sleepMs: @escaping @Sendable (Int) -> Int) {
        self.init(configure: configure) { request in
            let ms = sleepMs(request.args.first?.intValue ?? 0)
            if ms > 0 { try await Task.sleep(for: .milliseconds(ms)) }
            return InvocationResponse(value: request.args.first ?? .null, timing: RemoteTiming())
        }
    }

    var maxInFlight: Int { state.withLock { $0.maxInFlight } }
    var inFlight: Int { state.withLock { $0.inFlight } }
    var cancellations: Int { state.withLock { $0.cancellations } }
    var requests: [InvocationRequest] { state.withLock { $0.requests } }
    /// Attempts made for the call whose first argument is `index`.
    func attempts(_ index: Int) -> Int { state.withLock { s in s.requests.count { $0.args.first?.intValue == index } } }

    func invoke(_ request: InvocationRequest) async throws -> InvocationResponse {
        state.withLock { s in
            s.inFlight += 1
            s.maxInFlight = max(s.maxInFlight, s.inFlight)
            s.requests.append(request)
        }
        defer { state.withLock { $0.inFlight -= 1 } }
        do {
            return try await handler(request)
        } catch is CancellationError {
            state.withLock { $0.cancellations += 1 }
            throw FaastError(.cancelled, "\(request.function) was cancelled in the provider")
        }
    }

    func logLocation(function: String?) -> String { "memory://" + (function ?? "") }
    func recentLogs(function: String?, last: Int) async throws -> [String] { [] }
    func costSnapshot(usage: Usage) async -> CostSnapshot {
        CostSnapshot(provider: name, metrics: [], priceSource: "none")
    }
    func cleanup() async throws -> CleanupReport { [] }
    func collectGarbage() async throws -> CleanupReport { [] }
}

/// A thread-safe list for observers.
final class Collector<T: Sendable>: Sendable {
    private let items = Mutex<[T]>([])
    func add(_ item: T) { items.withLock { $0.append(item) } }
    var all: [T] { items.withLock { $0 } }
    var count: Int { items.withLock { $0.count } }
}

/// Short backoff so retry tests stay fast.
private let fastRetry = RetryPolicy(base: 0.001, cap: 0.004)

private func index(_ i: Int) -> [JSONValue] { [.int(i)] }

@Suite("Invoker")
struct InvokerTests {
    // MARK: concurrency

    @Test("at most `concurrency` calls in flight, and exactly that many", arguments: [1, 2, 7, 16])
    func concurrencyLimit(limit: Int) async {
        let provider = TestProvider(sleepMs: { _ in 15 })
        let invoker = Invoker(provider: provider)
        let batch = await invoker.fanOut("echo", count: 100, options: CallOptions(concurrency: limit), arguments: index)
        #expect(provider.maxInFlight == limit)
        #expect(batch.ok == 100 && batch.failed == 0 && batch.cancelled == 0)
        #expect(provider.requests.count == 100)
        #expect(provider.inFlight == 0)
    }

    @Test func concurrencyDefaultsToTheDeploySettings() async {
        let provider = TestProvider(configure: { $0.concurrency = 3 }, sleepMs: { _ in 10 })
        let batch = await Invoker(provider: provider).fanOut("echo", count: 30, arguments: index)
        #expect(provider.maxInFlight == 3)
        #expect(batch.ok == 30)
    }

    @Test func unlimitedConcurrency() async {
        let provider = TestProvider(configure: { $0.concurrency = 5 }, sleepMs: { _ in 300 })
        let batch = await Invoker(provider: provider).fanOut(
            "echo", count: 100, options: CallOptions(concurrency: 0), arguments: index)
        #expect(provider.maxInFlight == 100)
        #expect(batch.ok == 100)
    }

    @Test func resultsAreInIndexOrder() async throws {
        // Later calls finish first: results must still be by index.
        let provider = TestProvider(sleepMs: { i in (i * 7) % 11 })
        let observed = Collector<Int>()
        let batch = await Invoker(provider: provider).fanOut(
            "echo", count: 60, options: CallOptions(concurrency: 6), observer: { i, _ in observed.add(i) }
        ) { i in [.int(i * 3)] }
        #expect(batch.count == 60)
        #expect(batch.results.count == 60)
        for (i, r) in batch.results.enumerated() { #expect(try r.get() == .int(i * 3)) }
        #expect(Set(observed.all) == Set(0..<60))
        #expect(observed.count == 60)
        #expect(batch.latency.count == 60)
        #expect(batch.usage.requests == 60)
        #expect(batch.callsPerSecond > 0)
    }

    @Test func emptyFanOut() async {
        let provider = TestProvider(sleepMs: { _ in 0 })
        let batch = await Invoker(provider: provider).fanOut("echo", count: 0, arguments: index)
        #expect(batch.count == 0 && batch.results.isEmpty && batch.ok == 0 && batch.lastOutcome == nil)
        #expect(provider.requests.isEmpty)
    }

    // MARK: single calls and billing

    @Test func singleCall() async throws {
        let provider = TestProvider { request in
            #expect(request.function == "echo")
            #expect(request.attempt == 0)
            #expect(request.timeout == 2.5)
            #expect(request.mode == .queue)
            return InvocationResponse(value: ["got": .array(request.args)], timing: RemoteTiming(start: 100, end: 112.2, memoryMb: 70))
        }
        let invoker = Invoker(provider: provider)
        let out = await invoker.call("echo", args: [.number("12345678901234567890123"), "😀"],
                                     options: CallOptions(timeout: 2.5, mode: .queue))
        #expect(out.function == "echo")
        #expect(try out.result.get().jsonText == #"{"got":[12345678901234567890123,"😀"]}"#)
        #expect(out.attempts == 1)
        #expect(out.billedMs == 13, "12.2 ms bills as 13")
        #expect(out.billedRequests == 1)
        #expect(out.timing.memoryMb == 70)
        #expect(out.error == nil)
        let stats = try #require(invoker.stats.function("echo"))
        #expect(stats.invocations == 1 && stats.completed == 1 && stats.billedMs == 13)
        #expect(invoker.stats.usage.queueCalls == 1)
    }

    @Test func providerBilledMsWins() async {
        let provider = TestProvider { _ in
            InvocationResponse(value: nil, timing: RemoteTiming(start: 0, end: 0.2), billedMs: 100)
        }
        let out = await Invoker(provider: provider).call("echo", args: [])
        #expect(out.billedMs == 100)
        let tiny = TestProvider { _ in InvocationResponse(value: nil, timing: RemoteTiming(start: 0, end: 0.2)) }
        #expect(await Invoker(provider: tiny).call("echo", args: []).billedMs == 1, "at least 1 ms")
    }

    @Test func timeoutsAreBilledForTheTimeout() async {
        let provider = TestProvider { _ in throw FaastError(.timeout, "echo timed out") }
        let out = await Invoker(provider: provider).call("echo", args: [], options: CallOptions(timeout: 2))
        #expect(out.error?.kind == .timeout)
        #expect(out.billedMs == 2000)
        #expect(out.billedRequests == 1)
        #expect(out.attempts == 1)
    }

    @Test func failedAttemptsWithTimingAreBilled() async {
        let provider = TestProvider { request in
            if request.attempt < 2 {
                throw FaastError(.workerExited, "worker died", timing: RemoteTiming(start: 0, end: 4.5))
            }
            return InvocationResponse(value: "ok", timing: RemoteTiming(start: 0, end: 2))
        }
        let out = await Invoker(provider: provider, retryPolicy: fastRetry).call(
            "echo", args: [], options: CallOptions(maxReruns: 2))
        #expect(out.value == "ok")
        #expect(out.attempts == 3)
        #expect(out.reruns == 2 && out.retries == 0)
        #expect(out.billedRequests == 3)
        #expect(out.billedMs == 5 + 5 + 2)
    }

    @Test func unknownErrorsAreNeverRetried() async {
        struct Odd: Error {}
        let provider = TestProvider { _ in throw Odd() }
        let out = await Invoker(provider: provider, retryPolicy: fastRetry).call(
            "echo", args: [], options: CallOptions(maxRetries: 1))
        #expect(out.error?.kind == .provider)
        #expect(out.error?.message.hasPrefix("unexpected error: Odd") == true)
        #expect(out.attempts == 1, "an error faast does not know cannot prove the call did not run")
    }

    // MARK: retries

    @Test("an attempt cancelled before it was sent is not retried, and is counted as cancelled before it ran")
    func cancelledBeforeSentIsNotRetried() async {
        let provider = TestProvider { _ in throw FaastError(.cancelled, "withdrawn before it was sent", notStarted: true) }
        let invoker = Invoker(provider: provider, retryPolicy: fastRetry)
        let batch = await invoker.fanOut("echo", count: 5, options: CallOptions(maxRetries: 3, concurrency: 2), arguments: index)
        for i in 0..<5 { #expect(provider.attempts(i) == 1) }
        #expect(batch.retries == 0)
        #expect(batch.cancelled == 5 && batch.cancelledWhileRunning == 0)
        let running = TestProvider { _ in throw FaastError(.cancelled, "stopped while it ran") }
        let stopped = await Invoker(provider: running, retryPolicy: fastRetry)
            .fanOut("echo", count: 5, options: CallOptions(maxRetries: 3, concurrency: 2), arguments: index)
        #expect(stopped.cancelled == 5 && stopped.cancelledWhileRunning == 5)
    }

    @Test("by default only attempts that did not start are retried", arguments: FaastError.Kind.allCases)
    func retriesByKind(kind: FaastError.Kind) async {
        let provider = TestProvider { _ in throw FaastError(kind, "always") }
        let invoker = Invoker(provider: provider, retryPolicy: fastRetry)
        let progress = BatchProgress()
        let batch = await invoker.fanOut(
            "echo", count: 5, options: CallOptions(maxRetries: 3, concurrency: 2), progress: progress, arguments: index)
        let attempts = kind == .throttled ? 4 : 1
        for i in 0..<5 { #expect(provider.attempts(i) == attempts) }
        #expect(batch.retries == 5 * (attempts - 1))
        #expect(batch.reruns == 0)
        #expect(progress.retries == 5 * (attempts - 1))
        #expect(progress.done == 5 && progress.total == 5)
        #expect(invoker.stats.function("echo")?.retries == 5 * (attempts - 1))
        #expect(batch.ok == 0)
        if kind == .cancelled {
            #expect(batch.cancelled == 5 && batch.failed == 0 && batch.failureGroups.isEmpty)
        } else {
            #expect(batch.failed == 5 && batch.cancelled == 0)
            #expect(progress.failed == 5)
            let mayHaveRun = kind == .workerExited || kind == .transport || kind == .mayHaveRun
            let message = attempts > 1 ? "always (after 4 attempts)"
                : mayHaveRun ? "always (it may have run, so faast did not run it again; rerun=N allows that)" : "always"
            for r in batch.results {
                #expect(throws: FaastError(kind, message)) { try r.get() }
            }
        }
    }

    @Test("an attempt marked as not started is retried whatever its kind", arguments: [FaastError.Kind.transport, .workerExited])
    func notStartedIsRetried(kind: FaastError.Kind) async {
        let provider = TestProvider { request in
            if request.attempt < 2 { throw FaastError(kind, "never connected", notStarted: true) }
            return InvocationResponse(value: request.args[0], timing: RemoteTiming())
        }
        let out = await Invoker(provider: provider, retryPolicy: fastRetry).call("echo", args: [7])
        #expect(out.value == 7)
        #expect(out.attempts == 3 && out.retries == 2 && out.reruns == 0)
    }

    @Test("re-running a call that may have run is an opt-in, counted apart from retries")
    func rerunsAreOptIn() async throws {
        // Each call's worker dies twice, then it returns.
        let provider = TestProvider { request in
            if request.attempt < 2 { throw FaastError(.workerExited, "the worker exited with code 3 during the call") }
            return InvocationResponse(value: request.args[0], timing: RemoteTiming())
        }
        let invoker = Invoker(provider: provider, retryPolicy: fastRetry)
        let progress = BatchProgress()
        let batch = await invoker.fanOut("echo", count: 4, options: CallOptions(maxReruns: 2), progress: progress,
                                         arguments: index)
        #expect(batch.ok == 4)
        #expect(batch.reruns == 8 && batch.retries == 0)
        #expect(progress.reruns == 8 && progress.retries == 0)
        let stats = try #require(invoker.stats.function("echo"))
        #expect(stats.reruns == 8 && stats.retries == 0)
        // One re-run is not enough for these: the call fails after 2 attempts.
        let short = await invoker.call("echo", args: [9], options: CallOptions(maxReruns: 1))
        #expect(short.attempts == 2 && short.reruns == 1)
        #expect(short.error?.message == "the worker exited with code 3 during the call (after 2 attempts)")
        // Without the option the call runs once and says why it was not run again.
        let once = await invoker.call("echo", args: [9])
        #expect(once.attempts == 1)
        #expect(once.error?.message.hasSuffix("(it may have run, so faast did not run it again; rerun=N allows that)") == true)
    }

    @Test func transientFailuresRecover() async throws {
        // Call i fails its first i % 3 attempts.
        let provider = TestProvider { request in
            let i = request.args[0].intValue!
            if request.attempt < i % 3 { throw FaastError(.throttled, "slow down") }
            return InvocationResponse(value: request.args[0], timing: RemoteTiming())
        }
        let invoker = Invoker(provider: provider, retryPolicy: fastRetry)
        let batch = await invoker.fanOut("echo", count: 30, options: CallOptions(maxRetries: 2), arguments: index)
        #expect(batch.ok == 30)
        #expect(batch.retries == 10 * 1 + 10 * 2)
        #expect(invoker.stats.function("echo")?.retries == 30)
        // Throttled attempts never reached the function: only the 30 successes are billed requests.
        #expect(invoker.stats.usage.requests == 30)
        // Attempts are numbered, and retries keep the call id with a suffix.
        let ids = provider.requests.filter { $0.args[0] == 2 }.sorted { $0.attempt < $1.attempt }
        #expect(ids.map(\.attempt) == [0, 1, 2])
        let base = try #require(ids.first?.callId)
        #expect(ids.map(\.callId) == [base, base + ".1", base + ".2"])
        #expect(Set(provider.requests.filter { $0.attempt == 0 }.map(\.callId)).count == 30, "call ids are unique")
    }

    @Test func maxRetriesZeroMeansOneAttempt() async {
        let provider = TestProvider { _ in throw FaastError(.transport, "pipe closed", notStarted: true) }
        let out = await Invoker(provider: provider, retryPolicy: fastRetry).call(
            "echo", args: [1], options: CallOptions(maxRetries: 0))
        #expect(out.attempts == 1)
        #expect(out.error == FaastError(.transport, "pipe closed", notStarted: true))
    }

    // MARK: cancellation

    @Test func cancellingAFanOutEndsItQuickly() async throws {
        // The first 10 calls return at once; the rest would take 10 minutes.
        let provider = TestProvider(sleepMs: { i in i < 10 ? 0 : 600_000 })
        let invoker = Invoker(provider: provider)
        let finished = Collector<Int>()
        let progress = BatchProgress()
        let task = Task {
            await invoker.fanOut("echo", count: 1000, options: CallOptions(concurrency: 4), progress: progress,
                                 observer: { i, outcome in if outcome.error == nil { finished.add(i) } }, arguments: index)
        }
        let deadline = MonotonicClock.seconds() + 120
        // Calls 0-9 done, 10-13 in flight.
        while provider.inFlight < 4 || provider.requests.count < 14, MonotonicClock.seconds() < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(provider.inFlight == 4)
        let cancelledAt = MonotonicClock.seconds()
        task.cancel()
        let batch = await task.value
        // The calls in flight would take 10 minutes: ending well before shows they were cancelled, not awaited.
        #expect(MonotonicClock.seconds() - cancelledAt < 120, "cancellation should end the fan-out at once")
        #expect(batch.ok == 10)
        #expect(finished.count == 10)
        #expect(batch.failed == 0)
        #expect(batch.cancelled == batch.count - finished.count)
        #expect(batch.ok + batch.failed + batch.cancelled == 1000)
        #expect(provider.cancellations == 4, "the calls in flight saw their task cancelled")
        #expect(provider.requests.count == 14, "no call starts after the cancellation")
        #expect(progress.done == 1000)
        #expect(batch.failureGroups.isEmpty)
        for (i, r) in batch.results.enumerated() where i >= 10 {
            #expect(throws: FaastError.self) { try r.get() }
        }
        #expect(batch.results.allSatisfy { r in
            if case .failure(let e) = r { return e.kind == .cancelled }
            return true
        })
    }

    @Test func cancellationDuringBackoffEndsTheCall() async throws {
        let provider = TestProvider { _ in throw FaastError(.transport, "down", notStarted: true) }
        let invoker = Invoker(provider: provider, retryPolicy: RetryPolicy(base: 600, cap: 600))
        let task = Task { await invoker.call("echo", args: [], options: CallOptions(maxRetries: 5)) }
        let deadline = MonotonicClock.seconds() + 120
        while provider.requests.isEmpty, MonotonicClock.seconds() < deadline { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(20))
        let start = MonotonicClock.seconds()
        task.cancel()
        let out = await task.value
        // The backoff is at least 5 minutes: ending well before shows the sleep was cut short.
        #expect(MonotonicClock.seconds() - start < 120)
        #expect(out.error?.kind == .cancelled)
        #expect(provider.requests.count == 1)
    }

    @Test func cancellationWhileWaitingForTheRate() async throws {
        let provider = TestProvider(sleepMs: { _ in 0 })
        let invoker = Invoker(provider: provider)
        let task = Task {
            await invoker.fanOut("echo", count: 5, options: CallOptions(concurrency: 0, rate: 0.002, burst: 1), arguments: index)
        }
        let deadline = MonotonicClock.seconds() + 120
        while provider.requests.isEmpty, MonotonicClock.seconds() < deadline { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(30))
        let start = MonotonicClock.seconds()
        task.cancel()
        let batch = await task.value
        // The remaining four would wait 500 s each for the rate.
        #expect(MonotonicClock.seconds() - start < 120)
        #expect(batch.ok == 1 && batch.cancelled == 4)
        #expect(provider.requests.count == 1)
    }

    // MARK: rate

    @Test func rateLimitsDispatch() async {
        let provider = TestProvider(sleepMs: { _ in 0 })
        let dispatched = Collector<Double>()
        let start = MonotonicClock.seconds()
        let batch = await Invoker(provider: provider).fanOut(
            "echo", count: 21, options: CallOptions(concurrency: 0, rate: 100, burst: 1),
            observer: { _, o in dispatched.add(o.dispatchedAt) }, arguments: index)
        let elapsed = MonotonicClock.seconds() - start
        #expect(batch.ok == 21)
        #expect(elapsed >= 0.2 - 1e-3, "21 calls at 100/s take at least 0.2 s, took \(elapsed)")
        let times = dispatched.all.sorted()
        #expect(times.last! - times.first! >= 0.2 - 0.005)
    }

    // MARK: validation

    @Test func validate() throws {
        let provider = TestProvider(functions: [
            FunctionInfo(name: "hello", parameters: ["name"]), FunctionInfo(name: "add", parameters: ["a", "b"]),
            FunctionInfo(name: "sum", parameters: ["...xs"]), FunctionInfo(name: "pysum", parameters: ["first", "*rest"]),
            FunctionInfo(name: "now", parameters: []),
        ]) { _ in InvocationResponse(value: nil, timing: RemoteTiming()) }
        let invoker = Invoker(provider: provider)

        #expect(throws: FaastError(.notFound, "no function 'helo' in functions.js (did you mean 'hello'?)")) {
            try invoker.validate(function: "helo", argumentCount: 1)
        }
        #expect(throws: FaastError(.notFound, "no function 'zzzzzz' in functions.js")) {
            try invoker.validate(function: "zzzzzz", argumentCount: 0)
        }
        #expect(throws: FaastError(.invalidArgument, "add(a, b) takes 2 arguments, got 3")) {
            try invoker.validate(function: "add", argumentCount: 3)
        }
        #expect(throws: FaastError(.invalidArgument, "hello(name) takes 1 argument, got 2")) {
            try invoker.validate(function: "hello", argumentCount: 2)
        }
        #expect(throws: FaastError(.invalidArgument, "now() takes 0 arguments, got 1")) {
            try invoker.validate(function: "now", argumentCount: 1)
        }
        // Fewer arguments than parameters, and any number for a variadic function, are fine.
        try invoker.validate(function: "add", argumentCount: 0)
        try invoker.validate(function: "add", argumentCount: 2)
        try invoker.validate(function: "sum", argumentCount: 50)
        try invoker.validate(function: "pysum", argumentCount: 9)
        try invoker.validate(function: "now", argumentCount: 0)
        // Names are case-sensitive; the suggestion is not.
        #expect(throws: FaastError(.notFound, "no function 'Hello' in functions.js (did you mean 'hello'?)")) {
            try invoker.validate(function: "Hello", argumentCount: 1)
        }
    }

    // MARK: failure groups

    @Test func failuresAreGroupedByKindAndMessage() async throws {
        let provider = TestProvider { request in
            let i = request.args[0].intValue!
            if i % 6 == 0 { throw FaastError(.exception, "six") }        // 0, 6, 12, 18, 24
            if i % 10 == 3 { throw FaastError(.exception, "three") }     // 3, 13, 23
            if i % 10 == 7 { throw FaastError(.exception, "seven") }     // 7, 17, 27
            if i == 5 { throw FaastError(.serialization, "five") }       // 5
            if i == 9 { throw FaastError(.serialization, "three") }      // 9: same message, other kind
            return InvocationResponse(value: request.args[0], timing: RemoteTiming())
        }
        let batch = await Invoker(provider: provider).fanOut(
            "echo", count: 30, options: CallOptions(concurrency: 4), arguments: index)
        #expect(batch.failed == 13)
        #expect(batch.ok == 17)
        #expect(batch.cancelled == 0)
        let groups = batch.failureGroups.map { "\($0.kind.rawValue):\($0.message) ×\($0.count) @\($0.firstIndex)" }
        #expect(groups == [
            "exception:six ×5 @0", "exception:three ×3 @3", "exception:seven ×3 @7",
            "serialization:five ×1 @5", "serialization:three ×1 @9",
        ])
        #expect(batch.failureGroups.allSatisfy { $0.example.kind == $0.kind && $0.example.message == $0.message })
        #expect(batch.failureGroups.map(\.count).reduce(0, +) == batch.failed)
        #expect(try batch.results[1].get() == 1)
        #expect(throws: FaastError(.exception, "three")) { try batch.results[23].get() }
        #expect(provider.attempts(3) == 1, "the function's own exceptions are not retried")
    }

    // MARK: last outcome and statistics

    @Test("lastOutcome is the call that finished last", arguments: [0, 1, 3])
    func lastOutcomeIsTheCallThatFinishedLast(slow: Int) async {
        // One call takes 300 ms, the others return at once.
        let provider = TestProvider(sleepMs: { i in i == slow ? 300 : 0 })
        let batch = await Invoker(provider: provider).fanOut(
            "echo", count: 4, options: CallOptions(concurrency: 4), arguments: index)
        #expect(batch.lastOutcome?.value == .int(slow))
        let single = await Invoker(provider: provider).call("echo", args: [9])
        #expect(single.value == 9)
    }

    @Test func responseBytesAreCounted() async {
        let provider = TestProvider { request in
            if request.attempt == 0 { throw FaastError(.throttled, "slow down") }
            return InvocationResponse(value: request.args[0], timing: RemoteTiming(), transferBytes: 1000)
        }
        let invoker = Invoker(provider: provider, retryPolicy: fastRetry)
        let batch = await invoker.fanOut("echo", count: 7, options: CallOptions(mode: .queue), arguments: index)
        #expect(batch.ok == 7)
        #expect(batch.usage.bytes == 7000)
        #expect(batch.usage.queueCalls == batch.usage.requests)
        #expect(invoker.stats.usage.bytes == 7000)
        #expect(batch.lastOutcome?.transferBytes == 1000)
    }

    @Test func sessionStatsFollowTheCalls() async throws {
        let provider = TestProvider { request in
            let i = request.args[0].intValue!
            if i % 4 == 0 { throw FaastError(.exception, "no") }
            return InvocationResponse(value: request.args[0], timing: RemoteTiming(start: 0, end: 1.5))
        }
        let invoker = Invoker(provider: provider)
        _ = await invoker.fanOut("echo", count: 20, arguments: index)
        _ = await invoker.call("other", args: [1])
        let echo = try #require(invoker.stats.function("echo"))
        #expect(echo.invocations == 20 && echo.completed == 15 && echo.errors == 5)
        #expect(echo.billedMs == 15 * 2)
        #expect(echo.execution.count == 15)
        #expect(invoker.stats.functionNames == ["echo", "other"])
        #expect(invoker.stats.total.invocations == 21)
        #expect(invoker.stats.usage.requests == 16)
    }
}

/// Hands out 0, 1, 2, ... across tasks.
private final class Tally: Sendable {
    private let value = Atomic<Int>(0)
    func next() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

@Suite("Invoker: bounded memory")
struct InvokerMemoryTests {
    @Test("a cancelled fan-out of ten million calls makes none of the calls it never started, nor their arguments")
    func cancellingAHugeFanOut() async throws {
        // The first 100 calls return at once; the rest would take 10 minutes.
        let provider = TestProvider(sleepMs: { i in i < 100 ? 0 : 600_000 })
        let invoker = Invoker(provider: provider, retention: ResultRetention(maxValues: 1000))
        let argumentsMade = Tally()
        let progress = BatchProgress()
        let count = 10_000_000
        let task = Task {
            await invoker.fanOut("echo", count: count, options: CallOptions(concurrency: 4), progress: progress) { i in
                argumentsMade.next()
                return [.int(i)]
            }
        }
        let deadline = MonotonicClock.seconds() + 120
        while provider.inFlight < 4 || provider.requests.count < 104, MonotonicClock.seconds() < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        task.cancel()
        let batch = await task.value
        #expect(batch.ok == 100)
        #expect(batch.cancelled == count - 100)
        #expect(batch.ok + batch.failed + batch.cancelled == count)
        #expect(provider.requests.count == 104, "no call starts after the cancellation")
        #expect(argumentsMade.count == 104, "arguments are made only for calls taken")
        #expect(progress.done == count)
        // Values are kept for the first 1,000 calls only; the others are counted.
        #expect(batch.results.count == 1000 && batch.droppedResults == count - 1000)
        for i in 0..<100 { #expect(try batch.results[i].get() == .int(i)) }
        #expect(batch.results[500].failureKind == .cancelled)
        #expect(invoker.stats.function("echo")?.invocations == 104)
    }

    @Test("a fan-out keeps the values of its first calls up to a count and a size, and counts every call")
    func valuesAreKeptWithinABound() async throws {
        let provider = TestProvider { request in
            let i = request.args[0].intValue!
            if i % 7 == 3 { throw FaastError(.exception, "seven") }
            return InvocationResponse(value: .string(String(repeating: "v", count: 10_000) + String(i)), timing: RemoteTiming())
        }
        let bySize = await Invoker(provider: provider, retention: ResultRetention(maxValues: 5000, maxBytes: 100_000))
            .fanOut("echo", count: 2000, options: CallOptions(concurrency: 2)) { [.int($0)] }
        #expect(bySize.ok + bySize.failed == 2000)
        #expect(bySize.failed == 2000 / 7 + (2000 % 7 > 3 ? 1 : 0))
        #expect(bySize.latency.count == 2000)
        // 100 KB holds about ten values; a lane notices the budget within a batch of calls.
        #expect(bySize.results.count >= 1 && bySize.results.count <= 200, "kept \(bySize.results.count)")
        for (i, r) in bySize.results.enumerated() where i % 7 != 3 {
            #expect(try r.get().stringValue?.hasSuffix("v\(i)") == true, "result \(i) is call \(i)'s")
        }
        let byCount = await Invoker(provider: provider, retention: ResultRetention(maxValues: 500))
            .fanOut("echo", count: 2000, options: CallOptions(concurrency: 3)) { [.int($0)] }
        #expect(byCount.results.count == 500 && byCount.droppedResults == 1500)
        #expect(byCount.failureGroups.first?.count == byCount.failed, "failures are counted beyond the kept values")
    }
}

extension Result where Failure == FaastError {
    var failureKind: FaastError.Kind? {
        if case .failure(let e) = self { return e.kind }
        return nil
    }
}
