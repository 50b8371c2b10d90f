import FaastCore
import Foundation
import Synchronization

/// Queue mode: requests are published to the session's SNS topic, which triggers the function
/// asynchronously; Lambda's destinations put each outcome (success or failure) on the session's SQS
/// queue, which several long-polling loops read, delete and hand to the waiting call by call id.
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

    private struct State {
        var infrastructure: Infrastructure?
        var setup: Task<Infrastructure, any Error>?
        var waiters: [String: CheckedContinuation<JSONValue, any Error>] = [:]
        /// Records that arrived before their caller waited (or after it gave up).
        var early: [String: JSONValue] = [:]
        /// Where the values that waiting generator calls yield go (streamed by the trampoline to this queue).
        var yields: [String: YieldSequencer] = [:]
        var pollers: [Task<Void, Never>] = []
        var stopped = false
    }
    private let state = Mutex(State())

    init(services: AWSServices, names: ResourceNames, functionArn: String, tags: [String: String]) {
        self.services = services
        self.names = names
        self.functionArn = functionArn
        self.tags = tags
    }

    var infrastructure: Infrastructure? { state.withLock { $0.infrastructure } }

    /// Creates the queue, topic, destinations, permission and subscription once, on the first queue call.
    func ready() async throws -> Infrastructure {
        let task = state.withLock { s -> Task<Infrastructure, any Error> in
            if let t = s.setup { return t }
            let t = Task { try await self.create() }
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
        let queue = try await services.createQueue(names.responseQueue, tags: tags)
        var infra = Infrastructure(topicArn: "", queueUrl: queue.url, queueArn: queue.arn)
        state.withLock { $0.infrastructure = infra }
        do {
            infra.topicArn = try await services.createTopic(names.requestTopic, tags: tags)
            state.withLock { $0.infrastructure = infra }
            try await services.putEventInvokeConfig(names.function, destination: queue.arn, maxAgeSeconds: 6 * 3600)
            try await services.addPermission(names.function, statementId: "faast-sns", principal: "sns.amazonaws.com", sourceArn: infra.topicArn)
            infra.subscriptionArn = try await services.subscribe(topic: infra.topicArn, protocol: "lambda", endpoint: functionArn)
            state.withLock { $0.infrastructure = infra }
        } catch {
            throw FaastError(.provider, "setting up queue mode failed: \(error)")
        }
        startPollers(infra)
        return infra
    }

    private func startPollers(_ infra: Infrastructure) {
        let tasks = (0..<pollerCount).map { _ in
            Task.detached { [self] in
                while !Task.isCancelled {
                    do {
                        let messages = try await services.receive(queueUrl: infra.queueUrl, wait: 20)
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
        let waiter = state.withLock { s -> CheckedContinuation<JSONValue, any Error>? in
            if let w = s.waiters.removeValue(forKey: id) { return w }
            if s.early.count < 10_000 { s.early[id] = record }
            return nil
        }
        waiter?.resume(returning: record)
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
            if !Task.isCancelled {
                self.fail(callId, FaastError(.timeout, "no response from \(function) through the queue within \(Int(deadline)) s"))
            }
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<JSONValue, any Error>) in
                let early = state.withLock { s -> JSONValue? in
                    if let r = s.early.removeValue(forKey: callId) { return r }
                    s.waiters[callId] = continuation
                    return nil
                }
                if let early {
                    continuation.resume(returning: early)
                    return
                }
                Task {
                    do {
                        try await services.publish(topic: infra.topicArn, message: message)
                    } catch {
                        self.fail(callId, error)
                    }
                }
            }
        } onCancel: {
            fail(callId, FaastError(.cancelled, "\(function) was cancelled (the invocation may still run on Lambda)"))
        }
    }

    private func fail(_ callId: String, _ error: any Error) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: callId) }
        waiter?.resume(throwing: error)
    }

    /// Stops the pollers and fails whoever still waits.
    func stop() {
        let (pollers, waiters) = state.withLock { s in
            s.stopped = true
            defer { s.waiters = [:]; s.pollers = [] }
            return (s.pollers, s.waiters)
        }
        pollers.forEach { $0.cancel() }
        for w in waiters.values { w.resume(throwing: FaastError(.cancelled, "the session was cleaned up")) }
    }
}
