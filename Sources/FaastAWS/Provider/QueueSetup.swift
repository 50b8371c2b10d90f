import FaastCore

/// Queue mode's infrastructure in two halves, so that a deploy whose session defaults to `mode=queue` can make
/// the first half while it builds the package and checks the role, and the second once the function is Active.
/// `made` hears of every resource as soon as it exists, so that whoever rolls back or cleans up finds it.
extension QueueTransport {
    /// The half that needs no function: the response queue and the request topic.
    /// `sending` hears "queue" and "topic" before each is asked for: from then on it may exist even without an
    /// answer (see `findByName`).
    static func createQueueAndTopic(services: AWSServices, names: ResourceNames, tags: [String: String],
                                    sending: @Sendable (String) -> Void = { _ in },
                                    made: @Sendable (Infrastructure) -> Void) async throws -> Infrastructure {
        do {
            sending("queue")
            let queue = try await services.createQueue(names.responseQueue, tags: tags)
            var infra = Infrastructure(topicArn: "", queueUrl: queue.url, queueArn: queue.arn)
            made(infra)
            sending("topic")
            infra.topicArn = try await services.createTopic(names.requestTopic, tags: tags)
            made(infra)
            return infra
        } catch {
            throw setupError(error)
        }
    }

    /// The half that needs the function: its destinations (outcomes to the queue), SNS's permission to invoke it,
    /// and the topic's subscription.
    static func connect(_ infra: Infrastructure, services: AWSServices, names: ResourceNames, functionArn: String,
                        made: @Sendable (Infrastructure) -> Void) async throws -> Infrastructure {
        var infra = infra
        do {
            try await services.putEventInvokeConfig(names.function, destination: infra.queueArn, maxAgeSeconds: 6 * 3600)
            try await services.addPermission(names.function, statementId: "faast-sns", principal: "sns.amazonaws.com", sourceArn: infra.topicArn)
            infra.subscriptionArn = try await services.subscribe(topic: infra.topicArn, protocol: "lambda", endpoint: functionArn)
            made(infra)
            return infra
        } catch {
            throw setupError(error)
        }
    }

    /// What a rollback deletes when a creating request went out but its answer never came (cancelled, or lost):
    /// `known` with the queue's URL and the topic's ARN filled in by name where missing. Empty: not found.
    static func findByName(_ known: Infrastructure?, queue: Bool, topic: Bool, services: AWSServices,
                           names: ResourceNames) async -> Infrastructure? {
        var infra = known ?? Infrastructure(topicArn: "", queueUrl: "", queueArn: "")
        if queue, infra.queueUrl.isEmpty,
           let url = try? await services.sqs("GetQueueUrl", ["QueueName": .string(names.responseQueue)])["QueueUrl"]?.stringValue {
            infra.queueUrl = url
        }
        if topic, infra.topicArn.isEmpty, let account = try? await services.accountId() {
            // Deleting a topic that does not exist succeeds: no need to ask first.
            infra.topicArn = "arn:aws:sns:\(services.client.region):\(account):\(names.requestTopic)"
        }
        return infra.queueUrl.isEmpty && infra.topicArn.isEmpty ? nil : infra
    }

    static func setupError(_ error: any Error) -> FaastError {
        let mapped = AWSErrors.faastError(error)
        if mapped.kind == .cancelled || mapped.message.hasPrefix("setting up queue mode failed") { return mapped }
        return FaastError(.provider, "setting up queue mode failed: \(mapped.message)")
    }
}
