import FaastCore
import Foundation
import Synchronization

/// Queue mode: requests are published to the session's SNS topic, which triggers the function
/// asynchronously; Lambda's destinations put each outcome (success or failure) on the session's SQS
/// queue, which several long-polling loops read, delete and hand to the waiting call by call id.
///
/// Each call is published once: a Publish that may have been taken (it failed after sending, or SNS answered
/// a 5xx) is never sent again; the call keeps waiting for its record and, if none comes, fails as
/// `mayHaveRun`. A record is handed to its call once: one for a call that is no longer waiting (a duplicate
/// delivery, or a call that already failed) is dropped and counted.
final class QueueTransport: Sendable {
    let services: AWSServices
    let names: ResourceNames
    let functionArn: String
    let tags: [String: String]
    /// Long-poll loops reading the response queue.
    let pollerCount = 4

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
        var publishes = 0
        var receives = 0
        var deleteBatches = 0
        /// Records handed to a waiting call.
        var delivered = 0
        /// Records dropped because no call waited for them (duplicate deliveries, late answers).
        var dropped = 0
    }

    private struct State {
        var infrastructure: Infrastructure?
        var setup: Task<Infrastructure, any Error>?
        /// A kept session's infrastructure, in use once the first queue call starts the pollers.
        var adopted: Infrastructure?
        var waiters: [String: Waiter] = [:]
        /// Where the values that waiting generator calls yield go (streamed by the trampoline to this queue).
        var yields: [String: YieldSequencer] = [:]
        var pollers: [Task<Void, Never>] = []
        var stopped = false
        var requests = Requests()
    }
    private let state = Mutex(State())

    init(services: AWSServices, names: ResourceNames, functionArn: String, tags: [String: String]) {
        self.services = services
        self.names = names
        self.functionArn = functionArn
        self.tags = tags
    }

    var infrastructure: Infrastructure? { state.withLock { $0.infrastructure } }
    var requests: Requests { state.withLock { $0.requests } }

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
            let t = Task {
                guard let adopted else { return try await self.create() }
                self.startPollers(adopted)
                return adopted
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
        startPollers(infra)
        return infra
    }

    private func startPollers(_ infra: Infrastructure) {
        let tasks = (0..<pollerCount).map { _ in
            Task.detached { [self] in
                while !Task.isCancelled {
                    do {
                        state.withLock { $0.requests.receives += 1 }
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
                    } catch {
                        if Task.isCancelled { return }
                        try? await Task.sleep(nanoseconds: 500_000_000)
                    }
                }
            }
        }
        state.withLock { $0.pollers = tasks }
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
            // carries every value.
            state.withLock { $0.yields[id] }?.receive(seq: seq, value: value)
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

    /// Publishes one request and waits for its destination record (at most `deadline` seconds); `yields` takes
    /// the values a generator streams to the queue meanwhile.
    func invoke(callId: String, message: String, deadline: Double, function: String,
                yields: YieldSequencer? = nil) async throws -> JSONValue {
        let infra = try await ready()
        if let yields { state.withLock { $0.yields[callId] = yields } }
        defer { if yields != nil { _ = state.withLock { $0.yields.removeValue(forKey: callId) } } }
        let timer = Task {
            try? await Task.sleep(nanoseconds: UInt64(deadline * 1e9))
            if !Task.isCancelled { self.expire(callId, function: function, deadline: deadline) }
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<JSONValue, any Error>) in
                state.withLock { $0.waiters[callId] = Waiter(continuation: continuation) }
                Task {
                    do {
                        state.withLock { $0.requests.publishes += 1 }
                        try await services.publish(topic: infra.topicArn, message: message)
                    } catch {
                        self.publishFailed(callId, error, function: function)
                    }
                }
            }
        } onCancel: {
            fail(callId, FaastError(.cancelled, "\(function) was cancelled (the invocation may still run on Lambda)"))
        }
    }

    /// A Publish that provably was not taken fails the call (the invocation core may send it again, as a new
    /// call id); one that may have been taken leaves the call waiting for its record.
    private func publishFailed(_ callId: String, _ error: any Error, function: String) {
        let mapped = AWSErrors.invocationError(error, function: function)
        guard mapped.kind == .mayHaveRun else {
            fail(callId, mapped)
            return
        }
        state.withLock { s in
            if s.waiters[callId] != nil { s.waiters[callId]?.unclearPublish = mapped.message }
        }
    }

    /// No record within the deadline: a timeout, or, when the Publish's answer was unclear, a call that may
    /// have run.
    private func expire(_ callId: String, function: String, deadline: Double) {
        guard let waiter = state.withLock({ $0.waiters.removeValue(forKey: callId) }) else { return }
        let error: FaastError
        if let unclear = waiter.unclearPublish {
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

    /// Stops the pollers and fails whoever still waits. `lettingPollsFinish` (a kept session): a long poll in flight
    /// is not cut off but ends by itself and gives back what it took, since a poll cut off on the client can still
    /// take messages on the server, hiding them from the next shell for the visibility timeout.
    func stop(lettingPollsFinish: Bool = false) {
        let (pollers, waiters) = state.withLock { s in
            s.stopped = true
            defer { s.waiters = [:]; s.pollers = [] }
            return (s.pollers, s.waiters)
        }
        if !lettingPollsFinish { pollers.forEach { $0.cancel() } }
        for w in waiters.values { w.continuation.resume(throwing: FaastError(.cancelled, "the session was cleaned up")) }
    }
}
