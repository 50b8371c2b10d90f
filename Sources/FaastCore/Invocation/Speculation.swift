import Foundation
import Synchronization

/// Speculative retries (`speculative=K`, opt-in): once a function has `minimumCompleted` completed calls, an
/// attempt still running after mean + K·stdev of their round trips (never sooner than `floorMs`) gets one
/// duplicate. The first answer wins; the other is cancelled (locally its worker is killed; on AWS its answer is
/// ignored, while it may run on). Both are billed; the duplicate's billing is counted apart (`Usage.speculative…`).
enum Speculation {
    static let minimumCompleted = 10
    static let floorMs = 100.0

    /// When an attempt of a function with these statistics gets its duplicate (ms after it started), or nil
    /// while the function has too few completed calls to tell what is slow.
    static func thresholdMs(completed: Int, mean: Double, stdev: Double, k: Double) -> Double? {
        guard completed >= minimumCompleted else { return nil }
        return max(floorMs, mean + k * stdev)
    }

    /// One leg of the race: the attempt or its duplicate, with when it was sent; `idle` for a duplicate that
    /// was never needed.
    enum Leg: Sendable {
        case answered(duplicate: Bool, result: Result<InvocationResponse, FaastError>, sentAt: Double)
        case idle
    }

    /// What a leg was billed, in ms: what the provider says, else its own timing, else (a leg cancelled before
    /// it answered) the time it ran here, in 1 ms steps.
    static func billedMs(_ result: Result<InvocationResponse, FaastError>, sentAt: Double, endedAt: Double) -> Double {
        switch result {
        case .success(let r): return r.billedMs ?? CallAttempts.billed(r.timing)
        case .failure(let e):
            if let b = e.billedMs { return b }
            if let t = e.timing, t.executionMs != nil { return CallAttempts.billed(t) }
            return max(1, ((endedAt - sentAt) * 1000).rounded(.up))
        }
    }
}

extension Invoker {
    /// When an attempt gets its speculative duplicate (ms after it started), or nil while the function has too
    /// few completed calls to tell what is slow (see `Speculation`).
    public static func speculationThresholdMs(completed: Int, mean: Double, stdev: Double, k: Double) -> Double? {
        Speculation.thresholdMs(completed: completed, mean: mean, stdev: stdev, k: k)
    }

    /// A lane of a speculative fan-out: each attempt races a duplicate when it runs long (a task per lane,
    /// whatever the provider: each leg is one attempt through the provider's own lane).
    func runSpeculativeLane(_ calls: LaneCalls, k: Double) async {
        while let call = await calls.next() {
            var taken = call
            let result = await invokeSpeculatively(call.request, k: k, attempts: &taken.attempts)
            calls.finish(taken, result)
        }
    }

    /// One attempt with a speculative duplicate when it runs long. Returns the first answer; the loser's billing
    /// and the duplicate's counts go into `attempts`.
    func invokeSpeculatively(_ request: InvocationRequest, k: Double, attempts: inout CallAttempts) async
        -> Result<InvocationResponse, FaastError> {
        let stats = self.stats
        let start = MonotonicClock.seconds()
        let legs = await withTaskGroup(of: Speculation.Leg.self) { group -> [Speculation.Leg] in
            group.addTask {
                .answered(duplicate: false, result: await self.attemptOnce(request), sentAt: start)
            }
            group.addTask {
                while true {
                    let elapsedMs = (MonotonicClock.seconds() - start) * 1000
                    let basis = stats.latencyMoments(request.function)
                    let threshold = Speculation.thresholdMs(completed: basis.completed, mean: basis.mean, stdev: basis.stdev, k: k)
                    if let threshold, elapsedMs >= threshold { break }
                    // Re-read the statistics at least every floor interval: other calls complete meanwhile.
                    let waitMs = min(Speculation.floorMs, max(1, (threshold ?? .infinity) - elapsedMs))
                    do { try await Task.sleep(nanoseconds: UInt64(waitMs * 1e6)) } catch { return .idle }
                }
                if Task.isCancelled { return .idle }
                var duplicate = request
                duplicate.callId += "-s"
                duplicate.onYield = nil  // the first attempt's values are the ones shown
                let sentAt = MonotonicClock.seconds()
                return .answered(duplicate: true, result: await self.attemptOnce(duplicate), sentAt: sentAt)
            }
            var legs: [Speculation.Leg] = []
            for await leg in group {
                guard case .answered = leg else { continue }
                // The first answer wins: the other leg is cancelled (or never sent).
                if legs.isEmpty { group.cancelAll() }
                legs.append(leg)
            }
            return legs
        }
        let now = MonotonicClock.seconds()
        guard case .answered(let winnerIsDuplicate, let winner, let winnerSent)? = legs.first else {
            return .failure(FaastError(.cancelled, "\(request.function) was cancelled"))
        }
        var duplicateLeg: (Result<InvocationResponse, FaastError>, Double)? = winnerIsDuplicate ? (winner, winnerSent) : nil
        if legs.count > 1, case .answered(let loserIsDuplicate, let loser, let loserSent) = legs[1] {
            // The loser ran too: its request is billed (the winner's is billed as any attempt's).
            attempts.billedRequests += 1
            attempts.billedMs += Speculation.billedMs(loser, sentAt: loserSent, endedAt: now)
            if loserIsDuplicate { duplicateLeg = (loser, loserSent) }
        }
        if let (result, sentAt) = duplicateLeg {
            attempts.speculativeDuplicates += 1
            attempts.speculativeBilledMs += Speculation.billedMs(result, sentAt: sentAt, endedAt: now)
        }
        if winnerIsDuplicate { attempts.speculativeWins += 1 }
        return winner
    }

    /// One attempt of `request` through the provider's own lanes (a fan-out of one, no retries, its own
    /// statistics): the answer as the provider gave it. Cancelling the task ends it.
    func attemptOnce(_ request: InvocationRequest) async -> Result<InvocationResponse, FaastError> {
        if let invoking = provider as? any InvokingProvider {
            do { return .success(try await invoking.invoke(request)) } catch { return .failure(FaastError.mapping(error)) }
        }
        let attempt = request.attempt
        let onYield = request.onYield.map { handler -> YieldHandler in { _, seq, value in handler(attempt, seq, value) } }
        let plan = CallPlan(function: request.function, timeout: request.timeout, maxRetries: 0, maxReruns: 0,
                            mode: request.mode, onYield: onYield)
        let seen = Mutex<CallOutcome?>(nil)
        let args = request.args, keywords = request.keywords, callId = request.callId
        let fan = FanOut(plan: plan, count: 1, arguments: { _ in args }, keywords: { _ in keywords }, limiter: nil, pipeline: false,
                         retryPolicy: RetryPolicy(), retention: ResultRetention(), progress: nil,
                         observer: { _, outcome in seen.withLock { $0 = outcome } }, stats: SessionStats(),
                         newCallId: { callId })
        let calls = LaneCalls(fan)
        await withTaskCancellationHandler {
            await provider.runLane(calls)
        } onCancel: {
            fan.cancel()
        }
        _ = calls.close()
        guard let outcome = seen.withLock({ $0 }) else {
            return .failure(FaastError(.cancelled, "\(request.function) was cancelled"))
        }
        switch outcome.result {
        case .success(let value):
            return .success(InvocationResponse(value: value, timing: outcome.timing, billedMs: outcome.billedMs,
                                               transferBytes: outcome.transferBytes))
        case .failure(var error):
            if error.billedMs == nil, outcome.billedMs > 0 { error.billedMs = outcome.billedMs }
            return .failure(error)
        }
    }
}
