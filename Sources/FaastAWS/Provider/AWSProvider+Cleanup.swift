import FaastCore

extension AWSProvider {
    /// Deletes the session's queue resources and function; keeps the log group for its retention. Something
    /// already gone counts as deleted, so a cleanup that failed part-way can simply run again. When something
    /// could not be deleted, throws an error that names each resource left and how to remove it.
    public func cleanup() async throws -> CleanupReport {
        if cleaned.withLock({ $0 }) { return ["already cleaned up"] }
        queue.stop()
        description.cancel()
        let (report, left) = await Self.deleteSession(names: names, queue: queue.infrastructure, services: services)
        guard left.isEmpty else {
            var message = "cleanup left \(left.map(\.what).joined(separator: ", ")) behind:\n"
            for item in left { message += "  \(item.what): \(item.error)\n" }
            message += "remove \(left.count == 1 ? "it" : "them") with `cleanup` again, `faast cleanup aws --region \(region) --execute`, or:\n"
            message += left.map { "  \($0.command)" }.joined(separator: "\n")
            throw FaastError(.provider, message)
        }
        cleaned.withLock { $0 = true }
        keeping.forget()
        return report + ["kept log group \(names.logGroup) (retention \(NumberText.count(Double(Self.retentionInDays(settings.logRetentionDays)), "day")))"]
    }

    /// What deleting a resource left behind: what, the command that removes it, and why it could not be deleted.
    typealias LeftBehind = (what: String, command: String, error: String)

    /// Deletes a session's queue resources (`queue`, when it has them) and its function, and with `logGroup` its
    /// log group too (a deploy's rollback: a session that never ran has no logs worth keeping). Something already
    /// gone counts as deleted. Used by `cleanup` and by a failed deploy.
    static func deleteSession(names: ResourceNames, queue infra: QueueTransport.Infrastructure?, function: Bool = true,
                              logGroup: Bool = false, services: AWSServices) async -> (report: [String], left: [LeftBehind]) {
        var report: [String] = []
        var left: [LeftBehind] = []
        func attempt(_ what: String, command: String, _ body: () async throws -> Void) async {
            do {
                try await body()
                report.append("deleted \(what)")
            } catch let e as AWSServiceError where e.isNotFound {
                report.append("\(what) was already gone")
            } catch {
                left.append((what, command, AWSErrors.faastError(error).message))
            }
        }
        let region = services.client.region
        if let infra {
            if function {
                await attempt("event invoke config of \(names.function)",
                              command: "aws lambda delete-function-event-invoke-config --function-name \(names.function) --region \(region)") {
                    try await services.deleteEventInvokeConfig(names.function)
                }
            }
            if let sub = infra.subscriptionArn, sub.hasPrefix("arn:") {
                await attempt("subscription \(sub)", command: "aws sns unsubscribe --subscription-arn \(sub) --region \(region)") {
                    try await services.unsubscribe(sub)
                }
            }
            if !infra.topicArn.isEmpty {
                await attempt("topic \(names.requestTopic)", command: "aws sns delete-topic --topic-arn \(infra.topicArn) --region \(region)") {
                    try await services.deleteTopic(infra.topicArn)
                }
            }
            if !infra.queueUrl.isEmpty {
                await attempt("queue \(names.responseQueue)", command: "aws sqs delete-queue --queue-url \(infra.queueUrl) --region \(region)") {
                    try await services.deleteQueue(infra.queueUrl)
                }
            }
        }
        if function {
            await attempt("function \(names.function)", command: "aws lambda delete-function --function-name \(names.function) --region \(region)") {
                try await services.deleteFunction(names.function)
            }
        }
        if logGroup {
            await attempt("log group \(names.logGroup)", command: "aws logs delete-log-group --log-group-name \(names.logGroup) --region \(region)") {
                try await services.deleteLogGroup(names.logGroup)
            }
        }
        return (report, left)
    }

    public func collectGarbage() async throws -> CleanupReport {
        do {
            return try await GarbageCollector(services: services).collect(excluding: names.sessionId, execute: true)
        } catch {
            throw AWSErrors.faastError(error)
        }
    }
}
