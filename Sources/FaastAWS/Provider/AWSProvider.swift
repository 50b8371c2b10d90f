import FaastCore
import FaastPackaging
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
        var client = try AWSClient.fromEnvironment(region: settings.cloud.region, environment: environment)
        let store = SessionStore(environment: environment)
        if let id = settings.cloud.session, let kept = store.read(id), kept.region != client.region {
            client = try AWSClient.fromEnvironment(region: kept.region, environment: environment)
        }
        if let kept = try await AWSProvider.attachKept(module, settings: settings, client: client, store: store) { return kept }
        return try await AWSProvider.deploy(module, settings: settings, client: client)
    }

    public func collectGarbage(settings: DeploySettings) async throws -> CleanupReport {
        let client = try AWSClient.fromEnvironment(region: settings.cloud.region, environment: environment)
        do {
            return try await GarbageCollector(services: AWSServices(client: client)).collect(excluding: nil, execute: true)
        } catch {
            throw AWSErrors.faastError(error)
        }
    }
}

/// A module deployed as one Lambda function: https calls are direct `Invoke`s, queue calls go through
/// SNS and come back on SQS; cost from Lambda's own billed duration; logs in CloudWatch.
public final class AWSProvider: InvokingProvider {
    public let name = "aws"
    public let module: ModuleSpec
    /// The module's functions (see `ModuleDescription`: the local description until Lambda's comes).
    public var functions: [FunctionInfo] { description.functions }
    let description: ModuleDescription
    public let settings: DeploySettings
    public let names: ResourceNames
    public let functionArn: String
    let services: AWSServices
    let roleName: String
    let queue: QueueTransport
    /// Set once a cleanup removed everything; a cleanup that left something may run again.
    let cleaned = Mutex(false)
    /// The layer of `dependencies=`, when there is one.
    let layer: LayerCache.Layer?
    /// The local files its code package was built from (the shell watches them: see `SourceTracking`).
    public let sourceFiles: [String]
    /// Its kept-session record and lock (Sessions/KeptSessions.swift).
    let keeping = KeepState()

    init(module: ModuleSpec, functions: ModuleDescription, settings: DeploySettings, names: ResourceNames, functionArn: String,
         services: AWSServices, roleName: String, layer: LayerCache.Layer? = nil, sourceFiles: [String] = []) {
        self.module = module
        self.sourceFiles = sourceFiles
        self.layer = layer
        description = functions
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
        var lines = [("region", region), ("function", names.function), ("role", roleName), ("architecture", architecture),
                     ("AWS retries", "\(services.client.retryCount.count) (throttling and server errors, control plane)")]
        if queue.infrastructure != nil {
            let requests = queue.requests
            lines.append(("queue results", "\(requests.delivered) delivered, \(requests.dropped) dropped (duplicate or late deliveries)"))
            lines.append(("queue requests", "\(requests.publishBatches) PublishBatch for \(requests.published) calls, "
                          + "\(requests.receives) receives, \(requests.deleteBatches) batched deletes"))
        }
        if let layer { lines.append(("layer", layer.arn + (layer.published ? " (published by this session)" : " (reused)"))) }
        return lines
    }

    public var detailValues: [String: JSONValue] {
        var values: [String: JSONValue] = ["AWS retries": .int(services.client.retryCount.count)]
        if queue.infrastructure != nil {
            let requests = queue.requests
            values["queue results"] = ["delivered": .int(requests.delivered), "dropped": .int(requests.dropped)]
            values["queue requests"] = ["publishBatches": .int(requests.publishBatches), "published": .int(requests.published),
                                        "receives": .int(requests.receives), "deleteBatches": .int(requests.deleteBatches)]
        }
        return values
    }

    // MARK: - Invoke

    /// Lambda's synchronous payload limit, and SNS's message limit.
    static let httpsPayloadLimit = 6 * 1024 * 1024
    static let queueMessageLimit = 256 * 1024

    public func invoke(_ request: InvocationRequest) async throws -> InvocationResponse {
        let message = WireProtocol.callRequest(callId: request.callId, function: request.function, args: request.args, keywords: request.keywords)
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
                body: body, timeout: request.timeout + 30, idempotent: false)
        } catch {
            throw AWSErrors.invocationError(error, function: request.function)
        }
        let requestId = AWSClient.requestId(response)
        let logUrl = logLocation(requestId: requestId)
        guard response.status < 300 else {
            throw AWSErrors.invocationError(AWSClient.restJSONError(service: "Lambda", response), function: request.function,
                                            logLocation: logUrl)
        }
        let report = LambdaReport(base64Tail: response.header("x-amz-log-result"))
        let payload = (try? JSONParser.parse(bytes: response.body)) ?? .null
        if response.header("x-amz-function-error") != nil {
            var error = Self.functionError(payload, function: request.function, timeout: request.timeout, report: report, log: logUrl)
            if request.capturesOutput { error.output = report.output(callId: request.callId) }
            throw error
        }
        return try envelope(payload, request: request, billedMs: report.billedMs, memoryMb: report.maxMemoryMb, log: logUrl,
                            transferBytes: response.body.count, report: report)
    }

    private func invokeQueue(_ request: InvocationRequest, message: String) async throws -> InvocationResponse {
        var message = message
        var yields: YieldSequencer?
        if let onYield = request.onYield {
            // A generator sends each value it yields to the session's queue, as its own message.
            let queueUrl = try await queue.ready().queueUrl
            message = WireProtocol.callRequest(callId: request.callId, function: request.function, args: request.args, keywords: request.keywords,
                                               stream: .string(queueUrl))
            yields = YieldSequencer(attempt: request.attempt, handler: onYield)
        }
        if message.utf8.count > Self.queueMessageLimit {
            throw FaastError(.invalidArgument, "the arguments of \(request.function) are \(message.utf8.count) bytes; queue mode allows 256 KB")
        }
        let inRecord = QueueLimits.sizeInRecord(message)
        if inRecord > QueueLimits.maxRequestInRecord {
            throw FaastError(.invalidArgument, "the arguments of \(request.function) take \(inRecord) bytes in the result record, "
                + "which must fit SQS's 256 KB with the result; queue mode allows \(QueueLimits.maxRequestInRecord / 1024) KB: use mode=https")
        }
        let record: JSONValue
        do {
            record = try await queue.invoke(callId: request.callId, message: message, deadline: request.timeout + 90,
                                            function: request.function, yields: yields)
        } catch {
            throw AWSErrors.faastError(error)
        }
        let requestId = record["requestContext"]?["requestId"]?.stringValue
        let logUrl = logLocation(requestId: requestId)
        let payload = record["responsePayload"] ?? .null
        if record["requestContext"]?["condition"]?.stringValue != "Success" || record["responseContext"]?["functionError"] != nil {
            throw Self.functionError(payload, function: request.function, timeout: request.timeout, report: LambdaReport(), log: logUrl)
        }
        return try envelope(payload, request: request, billedMs: nil, memoryMb: nil, log: logUrl)
    }

    /// The trampoline's response envelope as a result or the function's own error.
    /// `report`: the https log tail (cold start, what the call printed); queue calls have none: their answer says
    /// `coldStart` when the invocation was its instance's first (the one that loaded the module).
    private func envelope(_ payload: JSONValue, request: InvocationRequest, billedMs: Double?, memoryMb: Double?, log: String,
                          transferBytes: Int = 0, report: LambdaReport? = nil) throws -> InvocationResponse {
        let output = request.capturesOutput ? report?.output(callId: request.callId) : nil
        let coldStart = report?.coldStart ?? (payload["coldStart"]?.boolValue ?? false)
        switch try WireProtocol.decode(payload) {
        case .returned(_, let value, var timing):
            if let memoryMb { timing.memoryMb = memoryMb }
            timing.coldStart = coldStart
            return InvocationResponse(value: value, timing: timing, billedMs: billedMs, transferBytes: transferBytes, output: output)
        case .failed(_, let remote, let kind, var timing):
            timing.coldStart = coldStart
            var error = FaastError.fromRuntime(remote, kind: kind, timing: timing, logLocation: log)
            error.billedMs = billedMs
            error.output = output
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
        // Lambda's payload: newer runtimes type a timeout (Sandbox.Timedout); others only say it in the message.
        if type == "Sandbox.Timedout" || message.contains("Task timed out") {
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
        let events: [JSONValue]
        do {
            events = try await services.filterLogEvents(group: names.logGroup, pattern: nil, limit: 10_000, startTime: nil)
        } catch {
            throw AWSErrors.faastError(error)
        }
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
        var metrics = prices.metrics(usage: usage, memoryMb: settings.memoryMb, arm64: architecture == "arm64")
        if let i = metrics.firstIndex(where: { $0.name == "sqsRequests" }) {
            metrics[i] = Self.sqsMetric(queue.requests, usage: usage, price: prices.sqsRequest)
        }
        if let i = metrics.firstIndex(where: { $0.name == "snsPublish" }) {
            metrics[i] = Self.snsMetric(queue.requests, usage: usage, price: prices.snsPublish)
        }
        return CostSnapshot(
            provider: "aws (\(region))", metrics: metrics, priceSource: prices.source,
            notes: ["Billed duration from Lambda's REPORT lines (queue calls: measured duration), 1 ms steps; free tier not counted."])
    }

    /// The SNS requests actually made for queue mode: PublishBatch requests, billed by SNS per 64 KB of payload.
    /// Counted for the whole session; for fewer calls than the session published, the calls' share is an estimate.
    static func snsMetric(_ requests: QueueTransport.Requests, usage: Usage, price: Double) -> CostMetric {
        let share = min(1, Double(usage.queueCalls) / Double(max(1, requests.published)))
        var note = "\(requests.publishBatches) PublishBatch requests for \(requests.published) calls (billed per 64 KB)"
        if share < 1 { note = "estimate: \(Int((share * 100).rounded())) % of the session's " + note }
        return CostMetric(name: "snsPublish", unit: "request", price: price, measured: (Double(requests.publishBilled) * share).rounded(),
                          note: note)
    }

    /// The SQS requests actually made for queue mode: the pollers' receives (20 s long polls, empty ones too),
    /// their batched deletes, one SendMessage by Lambda per result record, and one by the function per value a
    /// generator streamed. They are counted for the whole session; for fewer calls than the session made (one
    /// fan-out), the calls' share is an estimate, and says so.
    static func sqsMetric(_ requests: QueueTransport.Requests, usage: Usage, price: Double) -> CostMetric {
        let made = requests.receives + requests.deleteBatches + requests.delivered + requests.dropped + requests.yields
        let records = max(1, requests.delivered)
        let share = min(1, Double(usage.queueCalls) / Double(records))
        var note = "\(requests.receives) receives, \(requests.deleteBatches) batched deletes, "
            + "\(requests.delivered + requests.dropped) results sent by Lambda"
        if requests.yields > 0 { note += ", \(requests.yields) streamed values sent by functions" }
        if share < 1 { note = "estimate: \(Int((share * 100).rounded())) % of the session's " + note }
        return CostMetric(name: "sqsRequests", unit: "request", price: price, measured: (Double(made) * share).rounded(), note: note)
    }
}

/// Lambda's REPORT line from the base64 log tail of an `Invoke` with `LogType: Tail`, and the lines the
/// function printed before it.
struct LambdaReport {
    var billedMs: Double?
    var maxMemoryMb: Double?
    /// The REPORT line has an `Init Duration`: this invocation started a new instance (a cold start).
    var coldStart = false
    /// The tail's text (its last 4 KB).
    var text = ""

    init() {}

    init(base64Tail: String?) {
        guard let base64Tail, let data = Data(base64Encoded: base64Tail) else { return }
        text = String(decoding: data, as: UTF8.self)
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("REPORT") }) else { return }
        for field in line.split(separator: "\t") {
            let f = field.trimmingCharacters(in: .whitespaces)
            if f.hasPrefix("Billed Duration:") { billedMs = Double(f.dropFirst(16).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") }
            if f.hasPrefix("Max Memory Used:") { maxMemoryMb = Double(f.dropFirst(16).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") }
            if f.hasPrefix("Init Duration:") { coldStart = true }
        }
    }

    /// What call `callId` printed, as far as the tail holds it: the lines between Lambda's START and END lines,
    /// without the trampoline's stamp (`<callId> `) and its own START/END lines, and without the runtime's
    /// `<time>\t<request id>\t<LEVEL>\t` prefix of node's console lines.
    func output(callId: String) -> [String] {
        var lines: [Substring] = []
        let stamp = callId + " "
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("START RequestId:") { lines = []; continue }
            if line.hasPrefix("END RequestId:") { break }
            if line.hasPrefix("REPORT RequestId:") || line.hasPrefix("INIT_START ") { continue }
            if line.hasPrefix(stamp) {
                let rest = line.dropFirst(stamp.utf8.count)
                if rest.hasPrefix("START ") || rest.hasPrefix("END ") { continue }
                lines.append(rest)
                continue
            }
            let fields = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false)
            if fields.count == 4, fields[0].hasSuffix("Z"), fields[0].contains("T"),
               ["INFO", "WARN", "ERROR", "DEBUG", "TRACE", "FATAL"].contains(fields[2]) {
                lines.append(fields[3])
            } else {
                lines.append(line)
            }
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.map(String.init)
    }
}

enum Format {
    static func seconds(_ s: Double) -> String { s == s.rounded() ? String(Int(s)) : String(s) }
}
