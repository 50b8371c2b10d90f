import Testing
@testable import FaastCore

private func outcome(
    _ function: String, _ result: Result<JSONValue, FaastError>, latencyMs: Double, queuedMs: Double = 0, attempts: Int,
    timing: RemoteTiming = RemoteTiming(), receivedAt: Double = 0, billedMs: Double, billedRequests: Int
) -> CallOutcome {
    CallOutcome(
        function: function, result: result, latencyMs: latencyMs, queuedMs: queuedMs, attempts: attempts, timing: timing,
        receivedAtEpochMs: receivedAt, dispatchedAt: 0, billedMs: billedMs, billedRequests: billedRequests)
}

@Suite("Session statistics")
struct SessionStatsTests {
    @Test func recordsSuccessesFailuresAndRetries() throws {
        let stats = SessionStats()
        // A success at the first attempt, with remote timing and memory.
        stats.record(outcome("f", .success(1), latencyMs: 20, queuedMs: 5, attempts: 1,
                             timing: RemoteTiming(start: 1000, end: 1012, memoryMb: 64), receivedAt: 1015,
                             billedMs: 12, billedRequests: 1), mode: .https)
        // A success after two retries.
        stats.record(outcome("f", .success(2), latencyMs: 300, attempts: 3,
                             timing: RemoteTiming(start: 2000, end: 2003, memoryMb: 128), receivedAt: 2010,
                             billedMs: 9, billedRequests: 3), mode: .https)
        // A failure after one retry.
        stats.record(outcome("f", .failure(FaastError(.transport, "lost")), latencyMs: 100, attempts: 2,
                             billedMs: 0, billedRequests: 0), mode: .https)
        // The function's own exception, billed.
        stats.record(outcome("g", .failure(FaastError(.exception, "boom")), latencyMs: 40, attempts: 1,
                             timing: RemoteTiming(start: 0, end: 30.5), billedMs: 31, billedRequests: 1), mode: .https)
        // Cancelled before it started: no latency, no bill.
        stats.record(outcome("g", .failure(FaastError(.cancelled, "c")), latencyMs: 0, queuedMs: 7, attempts: 0,
                             billedMs: 0, billedRequests: 0), mode: .https)

        let f = try #require(stats.function("f"))
        #expect(f.invocations == 3)
        #expect(f.completed == 2)
        #expect(f.errors == 1)
        #expect(f.retries == 3)
        #expect(f.billedMs == 21)
        #expect(f.requests == 4)
        #expect(f.maxMemoryMb == 128)
        #expect(f.latency.count == 3)
        #expect(f.latency.summary.max == 300 && f.latency.summary.min == 20)
        #expect(f.queued.count == 3)
        #expect(f.execution.count == 2)
        #expect(f.execution.summary.min == 3 && f.execution.summary.max == 12)
        #expect(f.returnTime.summary.min == 3 && f.returnTime.summary.max == 7)

        let g = try #require(stats.function("g"))
        // The call cancelled before it started is not an invocation, nor an error.
        #expect(g.invocations == 1 && g.completed == 0 && g.errors == 1 && g.retries == 0)
        #expect(g.latency.count == 1, "a call cancelled before it started has no latency")
        #expect(g.queued.count == 2 && g.queued.summary.max == 7)
        #expect(g.billedMs == 31 && g.requests == 1)

        #expect(stats.function("h") == nil)
        #expect(stats.functionNames == ["f", "g"])
        let total = stats.total
        #expect(total.invocations == 4 && total.completed == 2 && total.errors == 2 && total.retries == 3)
        #expect(total.billedMs == 52 && total.requests == 5)
        #expect(total.latency.count == 4)
        #expect(total.maxMemoryMb == 128)

        let usage = stats.usage
        #expect(usage.requests == 5)
        #expect(usage.billedMs == 52)
        #expect(usage.queueCalls == 0)
    }

    @Test func queueModeCountsQueueCalls() {
        let stats = SessionStats()
        stats.record(outcome("f", .success(nil), latencyMs: 1, attempts: 2, billedMs: 2, billedRequests: 2), mode: .queue)
        stats.record(outcome("f", .success(nil), latencyMs: 1, attempts: 1, billedMs: 1, billedRequests: 1), mode: .https)
        #expect(stats.usage.queueCalls == 2)
        #expect(stats.usage.requests == 3)
        #expect(stats.usage.billedMs == 3)
    }

    @Test func concurrentRecordingLosesNothing() async {
        let stats = SessionStats()
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<8 {
                group.addTask {
                    for i in 0..<250 {
                        stats.record(outcome("f\(t % 2)", i % 5 == 0 ? .failure(FaastError(.exception, "x")) : .success(1),
                                             latencyMs: Double(i), attempts: 1 + i % 3, billedMs: 1, billedRequests: 1 + i % 3),
                                     mode: .https)
                    }
                }
            }
        }
        let total = stats.total
        #expect(total.invocations == 2000)
        #expect(total.errors == 400 && total.completed == 1600)
        // i % 3 over 0..<250: 84 zeros, 83 ones, 83 twos → 249 retries per task.
        #expect(total.retries == 8 * 249)
        #expect(stats.usage.requests == 2000 + 8 * 249)
        #expect(stats.usage.billedMs == 2000)
        #expect(stats.functionNames == ["f0", "f1"])
    }

    @Test func functionStatsMerge() {
        var a = FunctionStats(), b = FunctionStats()
        a.invocations = 2; a.completed = 1; a.errors = 1; a.retries = 1; a.billedMs = 10; a.requests = 3; a.maxMemoryMb = 50
        a.latency.record(ms: 5)
        b.invocations = 3; b.completed = 3; b.billedMs = 2.5; b.requests = 3; b.maxMemoryMb = 40
        b.latency.record(ms: 7)
        b.execution.record(ms: 1)
        a.merge(b)
        #expect(a.invocations == 5 && a.completed == 4 && a.errors == 1 && a.retries == 1)
        #expect(a.billedMs == 12.5 && a.requests == 6 && a.maxMemoryMb == 50)
        #expect(a.latency.count == 2 && a.latency.summary.mean == 6)
        #expect(a.execution.count == 1)
    }

    @Test func remoteTimingExecution() {
        #expect(RemoteTiming(start: 10, end: 25.5).executionMs == 15.5)
        #expect(RemoteTiming(start: 10, end: 5).executionMs == 0)
        #expect(RemoteTiming(start: 10).executionMs == nil)
        #expect(RemoteTiming(end: 10).executionMs == nil)
    }
}
