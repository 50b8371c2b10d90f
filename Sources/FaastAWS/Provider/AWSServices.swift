import FaastCore
import Foundation

/// The handful of Lambda, IAM, CloudWatch Logs, SNS, SQS and STS calls faast makes, typed.
struct AWSServices: Sendable {
    let client: AWSClient

    // MARK: Lambda (REST-JSON)

    static func path(_ name: String) -> String { SigV4.uriEncode(name) }

    /// List calls page to the end (NextToken / Marker), bounded so that a service that never stops paging
    /// cannot hold faast forever: far more resources than any account keeps.
    static let maxListed = 1_000_000

    func createFunction(_ body: JSONValue) async throws -> JSONValue {
        try await client.restJSON(.lambda, method: "POST", path: "/2015-03-31/functions", body: body, timeout: 120)
    }

    func getFunction(_ name: String) async throws -> JSONValue {
        try await client.restJSON(.lambda, method: "GET", path: "/2015-03-31/functions/\(Self.path(name))")
    }

    func getFunctionConfiguration(_ name: String) async throws -> JSONValue {
        try await client.restJSON(.lambda, method: "GET", path: "/2015-03-31/functions/\(Self.path(name))/configuration")
    }

    func updateFunctionCode(_ name: String, zip: [UInt8]) async throws {
        _ = try await client.restJSON(.lambda, method: "PUT", path: "/2015-03-31/functions/\(Self.path(name))/code",
                                      body: ["ZipFile": .string(Data(zip).base64EncodedString())], timeout: 120)
    }

    func deleteFunction(_ name: String) async throws {
        _ = try await client.restJSON(.lambda, method: "DELETE", path: "/2015-03-31/functions/\(Self.path(name))")
    }

    func listFunctions() async throws -> [JSONValue] {
        var all: [JSONValue] = []
        var marker: String?
        repeat {
            let query = marker.map { [(name: "Marker", value: $0)] } ?? []
            let page = try await client.restJSON(.lambda, method: "GET", path: "/2015-03-31/functions/", query: query)
            all += page["Functions"]?.arrayValue ?? []
            marker = page["NextMarker"]?.stringValue
        } while marker != nil && all.count < Self.maxListed
        return all
    }

    func listTags(arn: String) async throws -> [String: String] {
        let r = try await client.restJSON(.lambda, method: "GET", path: "/2017-03-31/tags/\(Self.path(arn))")
        return Self.stringMap(r["Tags"])
    }

    func putEventInvokeConfig(_ name: String, destination: String, maxAgeSeconds: Int) async throws {
        _ = try await client.restJSON(.lambda, method: "PUT", path: "/2019-09-25/functions/\(Self.path(name))/event-invoke-config", body: [
            "MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": .int(maxAgeSeconds),
            "DestinationConfig": [
                "OnSuccess": ["Destination": .string(destination)], "OnFailure": ["Destination": .string(destination)],
            ],
        ])
    }

    func deleteEventInvokeConfig(_ name: String) async throws {
        _ = try await client.restJSON(.lambda, method: "DELETE", path: "/2019-09-25/functions/\(Self.path(name))/event-invoke-config")
    }

    func addPermission(_ name: String, statementId: String, principal: String, sourceArn: String) async throws {
        do {
            _ = try await client.restJSON(.lambda, method: "POST", path: "/2015-03-31/functions/\(Self.path(name))/policy", body: [
                "StatementId": .string(statementId), "Action": "lambda:InvokeFunction", "Principal": .string(principal),
                "SourceArn": .string(sourceArn),
            ])
        } catch let e as AWSServiceError where e.code == "ResourceConflictException" {
            // The statement exists: an earlier attempt was taken though its answer was lost, and sent again.
        }
    }

    // MARK: IAM (Query)

    func roleArn(_ name: String) async throws -> String? {
        do {
            let xml = try await client.query(.iam, action: "GetRole", version: "2010-05-08", parameters: [("RoleName", name)])
            return XMLValues.first("Arn", in: xml)
        } catch let e as AWSServiceError where e.code == "NoSuchEntity" {
            return nil
        }
    }

    func createRole(_ name: String, trustPolicy: String, description: String) async throws -> String {
        let xml = try await client.query(.iam, action: "CreateRole", version: "2010-05-08", parameters: [
            ("RoleName", name), ("AssumeRolePolicyDocument", trustPolicy), ("Description", description),
        ])
        guard let arn = XMLValues.first("Arn", in: xml) else { throw FaastError(.provider, "IAM CreateRole answered no Arn") }
        return arn
    }

    func putRolePolicy(_ role: String, name: String, document: String) async throws {
        _ = try await client.query(.iam, action: "PutRolePolicy", version: "2010-05-08", parameters: [
            ("RoleName", role), ("PolicyName", name), ("PolicyDocument", document),
        ])
    }

    /// The inline policy `name` of `role` as JSON text, or nil when the role has no such policy.
    func rolePolicy(_ role: String, name: String) async throws -> String? {
        do {
            let xml = try await client.query(.iam, action: "GetRolePolicy", version: "2010-05-08", parameters: [
                ("RoleName", role), ("PolicyName", name),
            ])
            guard let document = XMLValues.first("PolicyDocument", in: xml) else { return nil }
            // IAM answers the document URL-encoded.
            return document.hasPrefix("{") ? document : (document.removingPercentEncoding ?? document)
        } catch let e as AWSServiceError where e.code == "NoSuchEntity" {
            return nil
        }
    }

    func deleteRole(_ name: String) async throws {
        do {
            _ = try await client.query(.iam, action: "DeleteRolePolicy", version: "2010-05-08", parameters: [
                ("RoleName", name), ("PolicyName", ResourceNames.rolePolicyName),
            ])
        } catch let e as AWSServiceError where e.code == "NoSuchEntity" {}
        _ = try await client.query(.iam, action: "DeleteRole", version: "2010-05-08", parameters: [("RoleName", name)])
    }

    // MARK: CloudWatch Logs (JSON 1.1)

    func logs(_ action: String, _ body: JSONValue) async throws -> JSONValue {
        try await client.json(.logs, target: "Logs_20140328.\(action)", body: body)
    }

    func createLogGroup(_ name: String, tags: [String: String], retentionDays: Int) async throws {
        do {
            _ = try await logs("CreateLogGroup", ["logGroupName": .string(name), "tags": Self.json(tags)])
        } catch let e as AWSServiceError where e.code == "ResourceAlreadyExistsException" {}
        _ = try await logs("PutRetentionPolicy", ["logGroupName": .string(name), "retentionInDays": .int(retentionDays)])
    }

    func deleteLogGroup(_ name: String) async throws {
        _ = try await logs("DeleteLogGroup", ["logGroupName": .string(name)])
    }

    func listLogGroups(prefix: String) async throws -> [JSONValue] {
        var all: [JSONValue] = []
        var token: String?
        repeat {
            var body: [JSONMember] = [JSONMember("logGroupNamePrefix", .string(prefix))]
            if let token { body.append(JSONMember("nextToken", .string(token))) }
            let page = try await logs("DescribeLogGroups", .object(body))
            all += page["logGroups"]?.arrayValue ?? []
            token = page["nextToken"]?.stringValue
        } while token != nil && all.count < Self.maxListed
        return all
    }

    func filterLogEvents(group: String, pattern: String?, limit: Int, startTime: Double?) async throws -> [JSONValue] {
        var body: [JSONMember] = [JSONMember("logGroupName", .string(group)), JSONMember("limit", .int(min(10_000, limit)))]
        if let pattern { body.append(JSONMember("filterPattern", .string(pattern))) }
        if let startTime { body.append(JSONMember("startTime", .int(Int64(startTime)))) }
        var all: [JSONValue] = []
        var token: String?
        repeat {
            var page = body
            if let token { page.append(JSONMember("nextToken", .string(token))) }
            let r = try await logs("FilterLogEvents", .object(page))
            all += r["events"]?.arrayValue ?? []
            token = r["nextToken"]?.stringValue
        } while token != nil && all.count < 10_000
        return all
    }

    // MARK: SNS (Query)

    func createTopic(_ name: String, tags: [String: String]) async throws -> String {
        var params = [("Name", name)]
        for (i, (k, v)) in tags.sorted(by: { $0.key < $1.key }).enumerated() {
            params += [("Tags.member.\(i + 1).Key", k), ("Tags.member.\(i + 1).Value", v)]
        }
        let xml = try await client.query(.sns, action: "CreateTopic", version: "2010-03-31", parameters: params)
        guard let arn = XMLValues.first("TopicArn", in: xml) else { throw FaastError(.provider, "SNS CreateTopic answered no TopicArn") }
        return arn
    }

    func subscribe(topic: String, protocol proto: String, endpoint: String) async throws -> String? {
        let xml = try await client.query(.sns, action: "Subscribe", version: "2010-03-31", parameters: [
            ("TopicArn", topic), ("Protocol", proto), ("Endpoint", endpoint), ("ReturnSubscriptionArn", "true"),
        ])
        return XMLValues.first("SubscriptionArn", in: xml)
    }

    func unsubscribe(_ arn: String) async throws {
        _ = try await client.query(.sns, action: "Unsubscribe", version: "2010-03-31", parameters: [("SubscriptionArn", arn)])
    }

    func deleteTopic(_ arn: String) async throws {
        _ = try await client.query(.sns, action: "DeleteTopic", version: "2010-03-31", parameters: [("TopicArn", arn)])
    }

    func listTopics() async throws -> [String] {
        var all: [String] = []
        var token: String?
        repeat {
            let xml = try await client.query(.sns, action: "ListTopics", version: "2010-03-31",
                                             parameters: token.map { [("NextToken", $0)] } ?? [])
            all += XMLValues.all("TopicArn", in: xml)
            token = XMLValues.first("NextToken", in: xml)
        } while token != nil && all.count < Self.maxListed
        return all
    }

    func topicTags(_ arn: String) async throws -> [String: String] {
        let xml = try await client.query(.sns, action: "ListTagsForResource", version: "2010-03-31", parameters: [("ResourceArn", arn)])
        return Dictionary(zip(XMLValues.all("Key", in: xml), XMLValues.all("Value", in: xml)), uniquingKeysWith: { a, _ in a })
    }

    /// Publishes up to 10 messages in one `PublishBatch`, once: they run user code, so the request is never sent
    /// again here, not even by libcurl. Entry `i` has the batch id `e<i>`. Throws `AWSServiceError` for an error
    /// answer and `HTTPTransportError` for a failed transfer (the caller decides from those whether the entries
    /// may have been taken); otherwise answers what SNS says of each entry.
    func publishBatch(topic: String, messages: [String]) async throws -> PublishBatchAnswer {
        var form: [(name: String, value: String)] = [("Action", "PublishBatch"), ("Version", "2010-03-31"), ("TopicArn", topic)]
        for (i, message) in messages.enumerated() {
            form += [("PublishBatchRequestEntries.member.\(i + 1).Id", "e\(i)"),
                     ("PublishBatchRequestEntries.member.\(i + 1).Message", message)]
        }
        let response = try await client.send(
            .sns, method: "POST", path: "/", headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            body: Array(SigV4.canonicalQueryString(form).utf8), idempotent: false)
        if response.status >= 300 { throw AWSClient.queryError(service: "SNS", response) }
        return PublishBatchAnswer(xml: response.bodyText)
    }

    // MARK: SQS (JSON 1.0)

    func sqs(_ action: String, _ body: JSONValue, timeout: Double = 30) async throws -> JSONValue {
        try await client.json(.sqs, target: "AmazonSQS.\(action)", version: "1.0", body: body, timeout: timeout)
    }

    func createQueue(_ name: String, tags: [String: String]) async throws -> (url: String, arn: String) {
        let r = try await sqs("CreateQueue", [
            "QueueName": .string(name), "tags": Self.json(tags),
            "Attributes": ["ReceiveMessageWaitTimeSeconds": "20", "MessageRetentionPeriod": "86400", "VisibilityTimeout": "60"],
        ])
        guard let url = r["QueueUrl"]?.stringValue else { throw FaastError(.provider, "SQS CreateQueue answered no QueueUrl") }
        let attrs = try await sqs("GetQueueAttributes", ["QueueUrl": .string(url), "AttributeNames": ["QueueArn"]])
        guard let arn = attrs["Attributes"]?["QueueArn"]?.stringValue else { throw FaastError(.provider, "SQS answered no QueueArn") }
        return (url, arn)
    }

    func receive(queueUrl: String, wait: Int) async throws -> [JSONValue] {
        let r = try await sqs("ReceiveMessage", [
            "QueueUrl": .string(queueUrl), "MaxNumberOfMessages": 10, "WaitTimeSeconds": .int(wait),
        ], timeout: Double(wait) + 15)
        return r["Messages"]?.arrayValue ?? []
    }

    func deleteMessages(queueUrl: String, receipts: [String]) async throws {
        guard !receipts.isEmpty else { return }
        _ = try await sqs("DeleteMessageBatch", [
            "QueueUrl": .string(queueUrl),
            "Entries": .array(receipts.enumerated().map { ["Id": .string("m\($0.offset)"), "ReceiptHandle": .string($0.element)] }),
        ])
    }

    /// Makes received messages visible again at once (ChangeMessageVisibilityBatch to 0).
    func releaseMessages(queueUrl: String, receipts: [String]) async throws {
        guard !receipts.isEmpty else { return }
        _ = try await sqs("ChangeMessageVisibilityBatch", [
            "QueueUrl": .string(queueUrl),
            "Entries": .array(receipts.enumerated().map {
                ["Id": .string("m\($0.offset)"), "ReceiptHandle": .string($0.element), "VisibilityTimeout": 0]
            }),
        ])
    }

    func deleteQueue(_ url: String) async throws {
        _ = try await sqs("DeleteQueue", ["QueueUrl": .string(url)])
    }

    func listQueues(prefix: String) async throws -> [String] {
        var all: [String] = []
        var token: String?
        repeat {
            var body: [JSONMember] = [JSONMember("QueueNamePrefix", .string(prefix)), JSONMember("MaxResults", 1000)]
            if let token { body.append(JSONMember("NextToken", .string(token))) }
            let page = try await sqs("ListQueues", .object(body))
            all += (page["QueueUrls"]?.arrayValue ?? []).compactMap(\.stringValue)
            token = page["NextToken"]?.stringValue
        } while token != nil && all.count < Self.maxListed
        return all
    }

    func queueTags(_ url: String) async throws -> [String: String] {
        Self.stringMap(try await sqs("ListQueueTags", ["QueueUrl": .string(url)])["Tags"])
    }

    // MARK: STS (Query)

    func accountId() async throws -> String {
        let xml = try await client.query(.sts, action: "GetCallerIdentity", version: "2011-06-15")
        return XMLValues.first("Account", in: xml) ?? "000000000000"
    }

    // MARK: helpers

    static func json(_ map: [String: String]) -> JSONValue {
        .object(map.sorted { $0.key < $1.key }.map { JSONMember($0.key, .string($0.value)) })
    }

    static func stringMap(_ value: JSONValue?) -> [String: String] {
        guard case .object(let members)? = value else { return [:] }
        var out: [String: String] = [:]
        for m in members { out[m.key] = m.value.stringValue ?? m.value.jsonText }
        return out
    }
}
