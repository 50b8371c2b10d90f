import FaastCore
import Foundation
import Synchronization

/// Deploys modules as Lambda functions.
public struct AWSProviderFactory: ProviderFactory {
    public let name = "aws"
    let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public func deploy(_ module: ModuleSpec, settings: DeploySettings) async throws -> any Provider {
        let client = try AWSClient.fromEnvironment(region: settings.cloud.region, environment: environment)
        return try await AWSProvider.deploy(module, settings: settings, client: client)
    }

    public func collectGarbage(settings: DeploySettings) async throws -> CleanupReport {
        let client = try AWSClient.fromEnvironment(region: settings.cloud.region, environment: environment)
        return try await GarbageCollector(services: AWSServices(client: client)).collect(excluding: nil, execute: true)
    }
}

/// A module deployed as one Lambda function: https calls are direct `Invoke`s, queue calls go through
/// SNS and come back on SQS; cost from Lambda's own billed duration; logs in CloudWatch.
public final class AWSProvider: InvokingProvider {
    public let name = "aws"
    public let module: ModuleSpec
    public let functions: [FunctionInfo]
    public let settings: DeploySettings
    public let names: ResourceNames
    public let functionArn: String
    let services: AWSServices
    let roleName: String
    let queue: QueueTransport
    private let cleaned = Mutex(false)

    init(module: ModuleSpec, functions: [FunctionInfo], settings: DeploySettings, names: ResourceNames, functionArn: String,
         services: AWSServices, roleName: String) {
        self.module = module
        self.functions = functions
        self.settings = settings
        self.names = names
        self.functionArn = functionArn
        self.services = services
        self.roleName = roleName
        queue = QueueTransport(services: services, names: names, functionArn: functionArn,
                               tags: names.tags(retentionDays: settings.logRetentionDays))
    }

    var region: String { services.client.region }
    var architecture: String { settings.cloud.architecture.rawValue }

    public var details: [(String, String)] {
        [("region", region), ("function", names.function), ("role", roleName), ("architecture", architecture),
         ("AWS retries", "\(services.client.retryCount.count) (throttling and server errors, control plane)")]
    }

    // MARK: - Deploy

    static func deploy(_ module: ModuleSpec, settings: DeploySettings, client: AWSClient) async throws -> AWSProvider {
        let services = AWSServices(client: client)
        let names = ResourceNames.newSession()
        let tags = names.tags(retentionDays: settings.logRetentionDays)
        let architecture = settings.cloud.architecture.rawValue
        let package = try CodePackage.build(
            module: module, include: settings.package.include, exclude: settings.package.exclude)
        var created: [String] = []
        do {
            let roleName = settings.cloud.role ?? ResourceNames.defaultRole
            let roleArn = try await ensureRole(roleName, custom: settings.cloud.role != nil, services: services)
            try await services.createLogGroup(names.logGroup, tags: tags, retentionDays: retentionInDays(settings.logRetentionDays))
            created.append("logGroup")
            var env = settings.env
            env["FAAST_PROVIDER"] = "aws"
            env["FAAST_SESSION_ID"] = names.sessionId
            let body: JSONValue = [
                "FunctionName": .string(names.function),
                "Runtime": module.runtime == .node ? "nodejs20.x" : "python3.12",
                "Role": .string(roleArn), "Handler": "trampoline.handler",
                "Code": ["ZipFile": .string(Data(package.zip).base64EncodedString())],
                "MemorySize": .int(settings.memoryMb), "Timeout": .int(Int(settings.timeout.rounded(.up))),
                "Environment": ["Variables": AWSServices.json(env)],
                "Architectures": [.string(architecture)], "Tags": AWSServices.json(tags),
                "Description": .string("faast session \(names.sessionId): \(FilePaths.lastComponent(module.path))"),
            ]
            let function = try await createFunction(body, services: services)
            created.append("function")
            let arn = function["FunctionArn"]?.stringValue ?? ""
            try await waitUntilActive(names.function, services: services)
            let functions = try await describe(names.function, services: services, module: module)
            return AWSProvider(module: module, functions: functions, settings: settings, names: names, functionArn: arn,
                               services: services, roleName: roleName)
        } catch {
            // Roll back what this deploy created; the shared role stays for the next session.
            if created.contains("function") { try? await services.deleteFunction(names.function) }
            if created.contains("logGroup") { try? await services.deleteLogGroup(names.logGroup) }
            if let e = error as? FaastError { throw FaastError(.deployFailed, e.message, remote: e.remote) }
            throw FaastError(.deployFailed, "\(error)")
        }
    }

    /// CloudWatch accepts only some retention periods: the smallest one that keeps logs at least `days`.
    static func retentionInDays(_ days: Double) -> Int {
        let allowed = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]
        return allowed.first { Double($0) >= days } ?? 3653
    }

    /// The least-privilege execution role: write its own logs, send to its own response queue.
    static let trustPolicy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
    static let rolePolicy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:*:*:log-group:/aws/lambda/faast-*:*"},{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:*:*:faast-*"}]}"#

    static func ensureRole(_ name: String, custom: Bool, services: AWSServices) async throws -> String {
        if let arn = try await services.roleArn(name) { return arn }
        if custom { throw FaastError(.deployFailed, "the role '\(name)' (role=) does not exist") }
        let arn: String
        do {
            arn = try await services.createRole(name, trustPolicy: trustPolicy,
                                                description: "faast: Lambda functions write their logs and send results to their queue")
        } catch let e as FaastError where e.message.contains("EntityAlreadyExists") {
            // Another deploy created it meanwhile (two sessions starting at once in a fresh account): share it.
            guard let existing = try await services.roleArn(name) else { throw e }
            arn = existing
        }
        try await services.putRolePolicy(name, name: ResourceNames.rolePolicyName, document: rolePolicy)
        return arn
    }

    /// CreateFunction, waiting out IAM propagation (a new role is not assumable for some seconds).
    static func createFunction(_ body: JSONValue, services: AWSServices) async throws -> JSONValue {
        var waited = 0.0
        while true {
            do {
                return try await services.createFunction(body)
            } catch let e as FaastError where e.message.contains("cannot be assumed") && waited < 30 {
                try await Task.sleep(nanoseconds: 2_000_000_000)
                waited += 2
            }
        }
    }

    static func waitUntilActive(_ name: String, services: AWSServices) async throws {
        for _ in 0..<120 {
            let f = try await services.getFunction(name)
            let state = f["Configuration"]?["State"]?.stringValue ?? "Active"
            switch state {
            case "Active": return
            case "Failed":
                throw FaastError(.deployFailed, "the function failed to start: \(f["Configuration"]?["StateReason"]?.stringValue ?? "no reason given")")
            default: try await Task.sleep(nanoseconds: 1_000_000_000)
            }
        }
        throw FaastError(.deployFailed, "the function did not become Active within 2 minutes")
    }

    /// Asks the deployed trampoline for the module's functions (this also proves the package loads).
    static func describe(_ name: String, services: AWSServices, module: ModuleSpec) async throws -> [FunctionInfo] {
        let response = try await services.client.send(
            .lambda, method: "POST", path: "/2015-03-31/functions/\(AWSServices.path(name))/invocations",
            headers: [("X-Amz-Invocation-Type", "RequestResponse"), ("Content-Type", "application/json")],
            body: Array(WireProtocol.describeRequest(callId: "describe").utf8), timeout: 120)
        guard response.status < 300 else { throw AWSClient.restJSONError(service: "Lambda", response).faastError }
        let payload = (try? JSONParser.parse(bytes: response.body)) ?? .null
        if response.header("x-amz-function-error") != nil {
            throw FaastError(.deployFailed, "the module failed to load on Lambda: \(payload["errorMessage"]?.stringValue ?? payload.jsonText)")
        }
        switch try WireProtocol.decode(payload) {
        case .described(let list) where !list.isEmpty: return list
        case .described: throw FaastError(.deployFailed, "\(FilePaths.lastComponent(module.path)) has no functions to call")
        case .loadError(let e): throw FaastError(.deployFailed, "the module failed to load: \(e.name): \(e.message)")
        default: throw FaastError(.deployFailed, "the runtime did not describe the module")
        }
    }

    // MARK: - Invoke

    /// Lambda's synchronous payload limit, and SNS's message limit.
    static let httpsPayloadLimit = 6 * 1024 * 1024
    static let queueMessageLimit = 256 * 1024

    public func invoke(_ request: InvocationRequest) async throws -> InvocationResponse {
        let message = WireProtocol.callRequest(callId: request.callId, function: request.function, args: request.args)
        switch request.mode {
        case .https: return try await invokeHTTPS(request, message: message)
        case .queue: return try await invokeQueue(request, message: message)
        }
    }

    private func invokeHTTPS(_ request: InvocationRequest, message: String) async throws -> InvocationResponse {
        let body = Array(message.utf8)
        if body.count > Self.httpsPayloadLimit {
            throw FaastError(.invalidArgument, "the arguments of \(request.function) are \(body.count) bytes; https mode allows 6 MB")
        }
        let response: HTTPResponse
        do {
            response = try await services.client.send(
                .lambda, method: "POST", path: "/2015-03-31/functions/\(AWSServices.path(names.function))/invocations",
                headers: [("X-Amz-Invocation-Type", "RequestResponse"), ("X-Amz-Log-Type", "Tail"), ("Content-Type", "application/json")],
                body: body, timeout: request.timeout + 30)
        } catch let e as FaastError where e.kind == .transport {
            // Only a request that never reached AWS may be sent again; anything later might have run.
            let unsent = e.message.contains("onnect") || e.message.contains("resolve")
            var notSent = e
            notSent.notStarted = true
            throw unsent ? notSent : FaastError(.provider, "\(e.message) (the invocation may have run; not retried)")
        }
        let requestId = AWSClient.requestId(response)
        let logUrl = logLocation(requestId: requestId)
        guard response.status < 300 else {
            let error = AWSClient.restJSONError(service: "Lambda", response)
            throw FaastError(error.isThrottling ? .throttled : .provider, error.description, logLocation: logUrl)
        }
        let report = LambdaReport(base64Tail: response.header("x-amz-log-result"))
        let payload = (try? JSONParser.parse(bytes: response.body)) ?? .null
        if response.header("x-amz-function-error") != nil {
            throw Self.functionError(payload, function: request.function, timeout: request.timeout, report: report, log: logUrl)
        }
        return try envelope(payload, request: request, billedMs: report.billedMs, memoryMb: report.maxMemoryMb, log: logUrl,
                            transferBytes: response.body.count)
    }

    private func invokeQueue(_ request: InvocationRequest, message: String) async throws -> InvocationResponse {
        var message = message
        var yields: YieldSequencer?
        if let onYield = request.onYield {
            // A generator sends each value it yields to the session's queue, as its own message.
            let queueUrl = try await queue.ready().queueUrl
            message = WireProtocol.callRequest(callId: request.callId, function: request.function, args: request.args,
                                               stream: .string(queueUrl))
            yields = YieldSequencer(attempt: request.attempt, handler: onYield)
        }
        if message.utf8.count > Self.queueMessageLimit {
            throw FaastError(.invalidArgument, "the arguments of \(request.function) are \(message.utf8.count) bytes; queue mode allows 256 KB")
        }
        let record = try await queue.invoke(callId: request.callId, message: message, deadline: request.timeout + 90,
                                            function: request.function, yields: yields)
        let requestId = record["requestContext"]?["requestId"]?.stringValue
        let logUrl = logLocation(requestId: requestId)
        let payload = record["responsePayload"] ?? .null
        if record["requestContext"]?["condition"]?.stringValue != "Success" || record["responseContext"]?["functionError"] != nil {
            throw Self.functionError(payload, function: request.function, timeout: request.timeout, report: LambdaReport(), log: logUrl)
        }
        return try envelope(payload, request: request, billedMs: nil, memoryMb: nil, log: logUrl)
    }

    /// The trampoline's response envelope as a result or the function's own error.
    private func envelope(_ payload: JSONValue, request: InvocationRequest, billedMs: Double?, memoryMb: Double?, log: String,
                          transferBytes: Int = 0) throws -> InvocationResponse {
        switch try WireProtocol.decode(payload) {
        case .returned(_, let value, var timing):
            if let memoryMb { timing.memoryMb = memoryMb }
            return InvocationResponse(value: value, timing: timing, billedMs: billedMs, transferBytes: transferBytes)
        case .failed(_, let remote, let kind, let timing):
            var error = FaastError.fromRuntime(remote, kind: kind, timing: timing, logLocation: log)
            error.billedMs = billedMs
            throw error
        case .loadError(let remote):
            throw FaastError(.deployFailed, "the module failed to load on Lambda: \(remote.name): \(remote.message)", logLocation: log)
        default:
            throw FaastError(.transport, "unexpected response from the function", logLocation: log)
        }
    }

    /// Lambda's own error payload (`errorType`, `errorMessage`) mapped to faast's kinds.
    static func functionError(_ payload: JSONValue, function: String, timeout: Double, report: LambdaReport, log: String) -> FaastError {
        let type = payload["errorType"]?.stringValue ?? ""
        let message = payload["errorMessage"]?.stringValue ?? payload.jsonText
        var error: FaastError
        if message.contains("Task timed out") {
            error = FaastError(.timeout, "\(function) exceeded its \(Format.seconds(timeout)) s timeout", logLocation: log)
        } else if type == "Runtime.OutOfMemory" || message.contains("signal: killed") || message.contains("out of memory") {
            error = FaastError(.outOfMemory, "\(function) ran out of memory (\(message))", logLocation: log)
        } else if type == "Runtime.ExitError" {
            error = FaastError(.workerExited, "\(function): the runtime exited during the call: \(message)", logLocation: log)
        } else {
            let trace = (payload["trace"]?.arrayValue ?? payload["stackTrace"]?.arrayValue ?? []).compactMap(\.stringValue)
            error = FaastError(.exception, "\(type.isEmpty ? "Error" : type): \(message)",
                               remote: RemoteError(name: type.isEmpty ? "Error" : type, message: message,
                                                   stack: trace.isEmpty ? nil : trace.joined(separator: "\n")),
                               logLocation: log)
        }
        error.billedMs = report.billedMs
        return error
    }

    // MARK: - Logs

    public func logLocation(function: String?) -> String { logLocation(requestId: nil) }

    /// The CloudWatch console URL of the function's log group, filtered to one request when given.
    func logLocation(requestId: String?) -> String {
        func consoleEncode(_ s: String) -> String {
            let percent = s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? s
            return percent.replacingOccurrences(of: "%", with: "$25")
        }
        var url = "https://\(region).console.aws.amazon.com/cloudwatch/home?region=\(region)#logsV2:log-groups/log-group/"
            + consoleEncode(names.logGroup)
        if let requestId { url += "/log-events$3FfilterPattern$3D" + consoleEncode("\"\(requestId)\"") }
        return url
    }

    public func recentLogs(function: String?, last: Int) async throws -> [String] {
        let events = try await services.filterLogEvents(group: names.logGroup, pattern: nil, limit: 10_000, startTime: nil)
        var lines = events.compactMap { e -> (Double, String)? in
            guard let message = e["message"]?.stringValue else { return nil }
            let ts = e["timestamp"]?.doubleValue ?? 0
            let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: ts / 1000))
            return (ts, "\(time) \(message.trimmingCharacters(in: .newlines))")
        }.sorted { $0.0 < $1.0 }.map(\.1)
        if let function {
            // The trampoline writes "<callId> START <name>": keep the lines of those calls.
            var ids = Set<String>()
            for line in lines {
                let parts = line.split(separator: " ")
                if let i = parts.firstIndex(of: "START"), i > 0, i + 1 < parts.count, parts[i + 1] == function { ids.insert(String(parts[i - 1])) }
            }
            lines = lines.filter { line in ids.contains { line.contains(" \($0) ") } }
        }
        return Array(lines.suffix(last))
    }

    // MARK: - Cost

    public func costSnapshot(usage: Usage) async -> CostSnapshot {
        let prices = await Pricing.prices(region: region, client: services.client)
        return CostSnapshot(
            provider: "aws (\(region))",
            metrics: prices.metrics(usage: usage, memoryMb: settings.memoryMb, arm64: architecture == "arm64"),
            priceSource: prices.source,
            notes: ["Billed duration from Lambda's REPORT lines (queue calls: measured duration), 1 ms steps; free tier not counted."])
    }

    // MARK: - Cleanup

    public func cleanup() async throws -> CleanupReport {
        if cleaned.withLock({ done in defer { done = true }; return done }) { return ["already cleaned up"] }
        queue.stop()
        var report: [String] = []
        func attempt(_ what: String, _ body: () async throws -> Void) async {
            do {
                try await body()
                report.append("deleted \(what)")
            } catch let e as FaastError where e.message.contains("NotFound") || e.message.contains("NonExistent") {
                report.append("\(what) was already gone")
            } catch {
                report.append("could not delete \(what): \(error)")
            }
        }
        if let infra = queue.infrastructure {
            await attempt("event invoke config of \(names.function)") { try await services.deleteEventInvokeConfig(names.function) }
            if let sub = infra.subscriptionArn, sub.hasPrefix("arn:") {
                await attempt("subscription \(sub)") { try await services.unsubscribe(sub) }
            }
            if !infra.topicArn.isEmpty { await attempt("topic \(names.requestTopic)") { try await services.deleteTopic(infra.topicArn) } }
            await attempt("queue \(names.responseQueue)") { try await services.deleteQueue(infra.queueUrl) }
        }
        await attempt("function \(names.function)") { try await services.deleteFunction(names.function) }
        report.append("kept log group \(names.logGroup) (retention \(Self.retentionInDays(settings.logRetentionDays)) day(s))")
        return report
    }

    public func collectGarbage() async throws -> CleanupReport {
        try await GarbageCollector(services: services).collect(excluding: names.sessionId, execute: true)
    }
}

/// Lambda's REPORT line from the base64 log tail of an `Invoke` with `LogType: Tail`.
struct LambdaReport {
    var billedMs: Double?
    var maxMemoryMb: Double?

    init() {}

    init(base64Tail: String?) {
        guard let base64Tail, let data = Data(base64Encoded: base64Tail) else { return }
        let text = String(decoding: data, as: UTF8.self)
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("REPORT") }) else { return }
        for field in line.split(separator: "\t") {
            let f = field.trimmingCharacters(in: .whitespaces)
            if f.hasPrefix("Billed Duration:") { billedMs = Double(f.dropFirst(16).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") }
            if f.hasPrefix("Max Memory Used:") { maxMemoryMb = Double(f.dropFirst(16).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") }
        }
    }
}

enum Format {
    static func seconds(_ s: Double) -> String { s == s.rounded() ? String(Int(s)) : String(s) }
}
