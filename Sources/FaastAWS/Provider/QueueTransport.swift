import FaastCore
import Foundation
import Synchronization

/// Queue mode: requests are published to the session's SNS topic (gathered into PublishBatch requests by a
/// `PublishBatcher`), which triggers the function asynchronously; Lambda's destinations put each outcome
/// (success or failure) on the session's SQS queue, which long-polling loops read (10 messages a poll), delete
/// in batches and hand to the waiting call by call id. The loops scale with the calls waiting: none when no
/// call waits, one per `callsPerPoller` waiting calls, at most `maxPollers`.
///
/// Each call is published once: an entry that may have been taken (the PublishBatch failed after sending, or
/// SNS answered a 5xx) is never sent again; the call keeps waiting for its record and, if none comes, fails as
/// `mayHaveRun`. A record is handed to its call once: one for a call that is no longer waiting (a duplicate
/// delivery, or a call that already failed) is dropped and counted.
final class QueueTransport: Sendable {
    let services: AWSServices
    let names: ResourceNames
    let functionArn: String
    let tags: [String: String]
    /// Waiting calls per long-poll loop: a poll takes up to 10 records, so a few loops keep up with many calls,
    /// and fewer loops take fuller polls (fewer requests per call).
    static let callsPerPoller = 50
    /// The most long-poll loops, however many calls wait.
    static let maxPollers = 16
    /// A long poll answers as soon as one record is there: while a batch's worth of calls wait, a loop whose poll
    /// came back less than full lets records gather this long before it polls again (fewer, fuller polls; a
    /// record waits at most this long more).
    static let gatherPause = 0.05

    struct Infrastructure: Sendable {
        var topicArn: String
        var queueUrl: String
        var queueArn: String
        var subscriptionArn: String?
    }

    /// A call waiting for its record.
    private struct Waiter {
        var continuation: CheckedContinuation<JSONValue, any Error>
        /// Why its Publish may or may not have been taken, when SNS's answer did not say.
        var unclearPublish: String?
    }

    /// Requests this transport made, for cost: what was actually sent, not a per-call guess.
    struct Requests: Sendable, Equatable {
        /// PublishBatch requests, the entries they carried, and SNS's billing units for them (64 KB each).
        var publishBatches = 0
        var published = 0
        var publishBilled = 0
        var receives = 0
        var deleteBatches = 0
        /// Records handed to a waiting call.
        var delivered = 0
        /// Records dropped because no call waited for them (duplicate deliveries, late answers).
        var dropped = 0
        /// Values that generator calls streamed (each a SendMessage by the function).
        var yields = 0
    }

    private struct State {
        var infrastructure: Infrastructure?
        var setup: Task<Infrastructure, any Error>?
        /// A kept session's infrastructure, in use once the first queue call starts the pollers.
        var adopted: Infrastructure?
        var waiters: [String: Waiter] = [:]
        /// Where the values that waiting generator calls yield go (streamed by the trampoline to this queue).
        var yields: [String: YieldSequencer] = [:]
        /// The long-poll loops running, by id.
        var pollers: [Int: Task<Void, Never>] = [:]
        var nextPoller = 0
        var publisher: PublishBatcher?
        var stopped = false
        var requests = Requests()

        var wantedPollers: Int { QueueTransport.wantedPollers(waiting: waiters.count) }
    }
    private let state = Mutex(State())

    init(services: AWSServices, names: ResourceNames, functionArn: String, tags: [String: String]) {
        self.services = services
        self.names = names
        self.functionArn = functionArn
        self.tags = tags
    }

    var infrastructure: Infrastructure? { state.withLock { $0.infrastructure } }
    var requests: Requests {
        let (requests, publisher) = state.withLock { ($0.requests, $0.publisher) }
        guard let publisher else { return requests }
        var all = requests
        (all.publishBatches, all.published, all.publishBilled) = publisher.sent
        return all
    }

    /// Uses a kept session's queue infrastructure instead of creating it; the pollers start on the first queue call.
    func adopt(_ infra: Infrastructure) {
        state.withLock { s in
            s.infrastructure = infra
            s.adopted = infra
        }
    }

    /// Creates the queue, topic, destinations, permission and subscription once, on the first queue call.
    func ready() async throws -> Infrastructure {
        let task = state.withLock { s -> Task<Infrastructure, any Error> in
            if let t = s.setup { return t }
            let adopted = s.adopted
            // Pollers start with the calls that wait (scalePollers), for adopted infrastructure too.
            let t = Task {
                if let adopted { return adopted }
                return try await self.create()
            }
            s.setup = t
            return t
        }
        do {
            return try await task.value
        } catch {
            state.withLock { $0.setup = nil }
            throw error
        }
    }

    private func create() async throws -> Infrastructure {
        let made: @Sendable (Infrastructure) -> Void = { infra in self.state.withLock { $0.infrastructure = infra } }
        let infra = try await Self.connect(try await Self.createQueueAndTopic(services: services, names: names, tags: tags, made: made),
                                           services: services, names: names, functionArn: functionArn, made: made)
        return infra
    }

    /// How many long-poll loops `waiting` calls want: none when none waits, one per `callsPerPoller`, at most
    /// `maxPollers`.
    static func wantedPollers(waiting: Int) -> Int {
        waiting <= 0 ? 0 : min(maxPollers, (waiting + callsPerPoller - 1) / callsPerPoller)
    }

    /// Starts long-poll loops up to what the calls waiting want (loops beyond it end after their poll).
    private func scalePollers(_ infra: Infrastructure) {
        state.withLock { s in
            while !s.stopped, s.pollers.count < s.wantedPollers {
                let id = s.nextPoller
                s.nextPoller += 1
                s.pollers[id] = Task.detached { [self] in await poll(infra, id: id) }
            }
        }
    }

    /// One long-poll loop: receives up to 10 records a poll, hands them to their calls and deletes them in one
    /// batch; ends when fewer loops are wanted (no call waits any more) or the transport stops.
    private func poll(_ infra: Infrastructure, id: Int) async {
        while !Task.isCancelled {
            let go = state.withLock { s -> Bool in
                guard !s.stopped, s.pollers.count <= s.wantedPollers else {
                    s.pollers[id] = nil
                    return false
                }
                s.requests.receives += 1
                return true
            }
            guard go else { return }
            do {
                let messages = try await services.receive(queueUrl: infra.queueUrl, wait: 20)
                if state.withLock({ $0.stopped }) {
                    // A long poll that outlived stop() (the session was kept): what it took belongs
                    // to whoever attaches next, so it goes back at once instead of after the visibility timeout.
                    try? await services.releaseMessages(queueUrl: infra.queueUrl,
                                                        receipts: messages.compactMap { $0["ReceiptHandle"]?.stringValue })
                    return
                }
                if !messages.isEmpty { state.withLock { $0.requests.deleteBatches += 1 } }
                var receipts: [String] = []
                for m in messages {
                    if let r = m["ReceiptHandle"]?.stringValue { receipts.append(r) }
                    if let body = m["Body"]?.stringValue, let record = try? JSONParser.parse(body) { deliver(record) }
                }
                try await services.deleteMessages(queueUrl: infra.queueUrl, receipts: receipts)
                if messages.count < 10, state.withLock({ $0.waiters.count }) >= 10 {
                    try? await Task.sleep(nanoseconds: UInt64(Self.gatherPause * 1e9))
                }
            } catch {
                if Task.isCancelled { return }
                try? await Task.sleep(nanoseconds: 500_000_000)
            }
        }
    }

    /// The call id a destination record answers: from the response envelope, else from the request it carried.
    static func callId(of record: JSONValue) -> String? {
        if let id = record["responsePayload"]?["callId"]?.stringValue { return id }
        let request = record["requestPayload"]
        if let message = request?["Records"]?.arrayValue?.first?["Sns"]?["Message"]?.stringValue,
           let envelope = try? JSONParser.parse(message) {
            return envelope["callId"]?.stringValue
        }
        return request?["callId"]?.stringValue
    }

    private func deliver(_ record: JSONValue) {
        if record["type"]?.stringValue == "yield", case .yielded(let id, let seq, let value)? = try? WireProtocol.decode(record) {
            // A value yielded after its call was answered (or by a call nobody waits for) is dropped: the answer
            // carries every value. Either way the function sent it, and it is billed.
            state.withLock { $0.requests.yields += 1; return $0.yields[id] }?.receive(seq: seq, value: value)
            return
        }
        guard let id = Self.callId(of: record) else { return }
        let waiter = state.withLock { s -> Waiter? in
            let waiter = s.waiters.removeValue(forKey: id)
            if waiter == nil { s.requests.dropped += 1 } else { s.requests.delivered += 1 }
            return waiter
        }
        waiter?.continuation.resume(returning: record)
    }

    /// The PublishBatch gatherer of the session's topic.
    private func publisher(_ infra: Infrastructure) -> PublishBatcher {
        state.withLock { s in
            if let p = s.publisher { return p }
            let p = PublishBatcher { [services] messages in try await services.publishBatch(topic: infra.topicArn, messages: messages) }
            s.publisher = p
            return p
        }
    }

    /// Publishes one request and waits for its destination record (at most `deadline` seconds); `yields` takes
    /// the values a generator streams to the queue meanwhile.
    func invoke(callId: String, message: String, deadline: Double, function: String,
                yields: YieldSequencer? = nil) async throws -> JSONValue {
        let infra = try await ready()
        let publisher = publisher(infra)
        if let yields { state.withLock { $0.yields[callId] = yields } }
        defer { if yields != nil { _ = state.withLock { $0.yields.removeValue(forKey: callId) } } }
        let timer = Task {
            try? await Task.sleep(nanoseconds: UInt64(deadline * 1e9))
            if !Task.isCancelled { self.expire(callId, function: function, deadline: deadline) }
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<JSONValue, any Error>) in
                // Cancelled before it could wait: the handler below found nothing to fail, so nothing is sent.
                guard !Task.isCancelled else {
                    continuation.resume(throwing: FaastError(.cancelled, "\(function) was cancelled before it was sent"))
                    return
                }
                let others = state.withLock { s in
                    s.waiters[callId] = Waiter(continuation: continuation)
                    return s.waiters.count - 1
                }
                scalePollers(infra)
                let entry = PublishBatcher.Entry(callId: callId, function: function, message: message) { outcome in
                    self.published(callId, outcome)
                }
                // With a batch's worth of other calls in flight, their answers start more calls a few at a time.
                publisher.submit(entry, moreExpected: others >= PublishBatcher.maxEntries - 1)
            }
        } onCancel: {
            let unsent = publisher.withdraw(callId)
            fail(callId, FaastError(.cancelled, unsent ? "\(function) was cancelled before it was sent"
                                        : "\(function) was cancelled (the invocation may still run on Lambda)", notStarted: unsent))
        }
    }

    /// A request SNS provably did not publish fails its call (the invocation core may send it again, as a new
    /// call id); one that may have been published leaves the call waiting for its record.
    private func published(_ callId: String, _ outcome: PublishOutcome) {
        switch outcome {
        case .published: break
        case .refused(let error): fail(callId, error)
        case .unclear(let reason):
            state.withLock { s in
                if s.waiters[callId] != nil { s.waiters[callId]?.unclearPublish = reason }
            }
        }
    }

    /// No record within the deadline: a timeout, or, when the Publish's answer was unclear, a call that may
    /// have run.
    private func expire(_ callId: String, function: String, deadline: Double) {
        guard let (waiter, publisher) = state.withLock({ s in s.waiters.removeValue(forKey: callId).map { ($0, s.publisher) } }) else {
            return
        }
        let error: FaastError
        if publisher?.withdraw(callId) == true {
            error = FaastError(.timeout, "\(function) was not sent within \(Int(deadline)) s (SNS did not keep up)")
        } else if let unclear = waiter.unclearPublish {
            error = FaastError(.mayHaveRun, unclear + "; and no result came within \(Int(deadline)) s")
        } else {
            error = FaastError(.timeout, "no response from \(function) through the queue within \(Int(deadline)) s")
        }
        waiter.continuation.resume(throwing: error)
    }

    private func fail(_ callId: String, _ error: any Error) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: callId) }
        waiter?.continuation.resume(throwing: error)
    }

    /// Stops the pollers, drops the requests not sent yet and fails whoever still waits. `lettingPollsFinish` (a kept
    /// session): a long poll in flight is not cut off but ends by itself and gives back what it took, since a poll
    /// cut off on the client can still take messages on the server, hiding them from the next shell for the
    /// visibility timeout.
    func stop(lettingPollsFinish: Bool = false) {
        let (pollers, waiters, publisher) = state.withLock { s in
            s.stopped = true
            defer { s.waiters = [:]; s.pollers = [:] }
            return (s.pollers.values, s.waiters, s.publisher)
        }
        publisher?.stop()
        if !lettingPollsFinish { pollers.forEach { $0.cancel() } }
        for w in waiters.values { w.continuation.resume(throwing: FaastError(.cancelled, "the session was cleaned up")) }
    }
}
