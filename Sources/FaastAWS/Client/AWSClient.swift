import FaastCore
import Foundation

/// Signed requests to AWS services over the shared libcurl client, in the three protocols faast needs:
/// REST-JSON (Lambda), JSON 1.0/1.1 (CloudWatch Logs, SQS, Pricing) and Query (IAM, SNS, STS).
/// Control-plane requests that AWS throttles or fails with a 5xx are sent again with jittered backoff;
/// requests that run user code (`Invoke`, `Publish`) never are: they go through `send` with
/// `idempotent: false`, and the caller decides from the typed error whether they provably were not taken.
///
/// Errors inside are typed: `AWSServiceError` (AWS's code), `HTTPTransportError` (libcurl's code and how far
/// the request got), `CancellationError`; `AWSErrors` maps them to `FaastError` at the provider's edge.
public final class AWSClient: Sendable {
    public let region: String
    let credentials: AWSCredentials
    let environment: [String: String]
    let http: HTTPClient
    let retryPolicy = RetryPolicy(base: 0.1, cap: 5)
    let maxAttempts = 6
    /// Requests sent again after throttling or a server error (for statistics).
    let retryCount = AtomicTally()
    /// Every request this client sends (retries included) waits for a slot here, when set.
    let limiter: RateLimiter?
    /// Requests this client sent (retries included).
    let requestCount = AtomicTally()
    /// Every request sent, by service, method and path (for tests and benchmarks).
    public let requestCounts = RequestCounts()

    public init(credentials: AWSCredentials, region: String, environment: [String: String], http: HTTPClient = .shared,
                limiter: RateLimiter? = nil) {
        self.credentials = credentials
        self.region = region
        self.environment = environment
        self.http = http
        self.limiter = limiter
    }

    /// The same account and region, every request (retries included) held to `rate` per second.
    public func limited(to rate: Double) -> AWSClient {
        AWSClient(credentials: credentials, region: region, environment: environment, http: http,
                  limiter: RateLimiter(rate: rate, burst: 1))
    }

    /// Credentials and region resolved the way the AWS CLI does; one clear error when none are found.
    public static func fromEnvironment(region option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AWSClient {
        let credentials: AWSCredentials
        do {
            credentials = try CredentialResolver.resolve(environment: environment)
        } catch {
            throw FaastError(.deployFailed, "\(error)")
        }
        let region = try RegionResolver.validated(option: option, environment: environment).region
        return AWSClient(credentials: credentials, region: region, environment: environment)
    }

    public func endpoint(_ service: Endpoints.Service) -> AWSEndpoint {
        Endpoints.endpoint(service: service.signingName, region: region, environment: environment)
    }

    /// Signs and sends one request; returns the raw response whatever its status. `idempotent: false` for a
    /// request that must never reach AWS twice (see `HTTPRequest.idempotent`).
    func send(_ service: Endpoints.Service, method: String, path: String, query: [(name: String, value: String)] = [],
              headers extra: [(name: String, value: String)] = [], body: [UInt8] = [], timeout: Double = 30,
              idempotent: Bool = true) async throws -> HTTPResponse {
        let ep = endpoint(service)
        guard let url = URL(string: ep.url), let host = url.host else {
            throw FaastError(.provider, "invalid endpoint URL for \(service.serviceId): \(ep.url)")
        }
        try await limiter?.acquire()
        requestCount.add(1)
        let hostHeader = url.port.map { "\(host):\($0)" } ?? host
        let basePath = url.path == "/" ? "" : url.path
        var headers = [(name: "Host", value: hostHeader)] + extra
        var request = SigV4Request(
            method: method, path: basePath + path, query: query, headers: headers, payload: .bytes(body),
            service: ep.signingName, region: ep.signingRegion, credentials: credentials)
        if service == .s3 { request.addContentSHA256Header = true; request.normalizePath = false }
        for (name, value) in SigV4.sign(request) { headers.append((name, value)) }
        let queryString = query.isEmpty ? "" : "?" + SigV4.canonicalQueryString(query)
        let full = ep.url + path + queryString
        requestCounts.add(service: service.signingName, method: method, path: path, headers: extra, body: body)
        return try await http.send(HTTPRequest(
            method: method, url: full, headers: headers.filter { $0.name != "Host" }, body: body, timeout: timeout,
            idempotent: idempotent))
    }

    /// `send` with retries for throttling, server errors and connection failures (control-plane requests only);
    /// throws the decoded `AWSServiceError` or the last `HTTPTransportError`.
    func call(_ service: Endpoints.Service, method: String, path: String, query: [(name: String, value: String)] = [],
              headers: [(name: String, value: String)] = [], body: [UInt8] = [], timeout: Double = 30, attempts: Int? = nil,
              decodeError: (HTTPResponse) -> AWSServiceError) async throws -> HTTPResponse {
        let maxAttempts = attempts ?? self.maxAttempts
        var attempt = 0
        while true {
            do {
                let response = try await send(service, method: method, path: path, query: query, headers: headers, body: body, timeout: timeout)
                if response.status < 300 { return response }
                let error = decodeError(response)
                guard (error.isThrottling || error.isServerError), attempt + 1 < maxAttempts else { throw error }
            } catch is HTTPTransportError where attempt + 1 < maxAttempts {
                // Connection-level failure: the control plane's requests are safe to send again.
            }
            retryCount.add(1)
            try await Task.sleep(nanoseconds: retryPolicy.delayNanoseconds(afterAttempt: attempt))
            attempt += 1
        }
    }

    // MARK: - Protocols

    /// REST-JSON (Lambda): a JSON body in and out.
    func restJSON(_ service: Endpoints.Service, method: String, path: String, query: [(name: String, value: String)] = [],
                  body: JSONValue? = nil, timeout: Double = 30) async throws -> JSONValue {
        let bytes = body.map { Array($0.jsonText.utf8) } ?? []
        let headers: [(name: String, value: String)] = body == nil ? [] : [("Content-Type", "application/json")]
        let response = try await call(service, method: method, path: path, query: query, headers: headers, body: bytes, timeout: timeout) {
            Self.restJSONError(service: service.serviceId, $0)
        }
        if response.body.isEmpty { return .null }
        return (try? JSONParser.parse(bytes: response.body)) ?? .null
    }

    /// AWS JSON 1.0/1.1 (CloudWatch Logs, SQS, Pricing): `X-Amz-Target: prefix.Action`.
    func json(_ service: Endpoints.Service, target: String, version: String = "1.1", body: JSONValue, timeout: Double = 30,
              attempts: Int? = nil) async throws -> JSONValue {
        let response = try await call(service, method: "POST", path: "/", headers: [
            ("Content-Type", "application/x-amz-json-\(version)"), ("X-Amz-Target", target),
        ], body: Array(body.jsonText.utf8), timeout: timeout, attempts: attempts) { Self.jsonError(service: service.serviceId, $0) }
        if response.body.isEmpty { return .null }
        return (try? JSONParser.parse(bytes: response.body)) ?? .null
    }

    /// Query (IAM, SNS, STS): form-encoded parameters in, XML out.
    func query(_ service: Endpoints.Service, action: String, version: String, parameters: [(String, String)] = []) async throws -> String {
        let form = [(name: "Action", value: action), (name: "Version", value: version)] + parameters.map { (name: $0.0, value: $0.1) }
        let body = Array(SigV4.canonicalQueryString(form).utf8)
        let response = try await call(service, method: "POST", path: "/", headers: [
            ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
        ], body: body) { Self.queryError(service: service.serviceId, $0) }
        return response.bodyText
    }

    // MARK: - Errors

    static func requestId(_ r: HTTPResponse) -> String? {
        r.header("x-amzn-requestid") ?? r.header("x-amz-request-id") ?? r.header("x-amz-requestid")
    }

    static func restJSONError(service: String, _ r: HTTPResponse) -> AWSServiceError {
        let body = (try? JSONParser.parse(bytes: r.body)) ?? .null
        var code = r.header("x-amzn-errortype").map { String($0.split(separator: ":").first ?? "") }
            ?? body["Type"]?.stringValue ?? body["__type"]?.stringValue ?? "HTTP\(r.status)"
        if let hash = code.lastIndex(of: "#") { code = String(code[code.index(after: hash)...]) }
        let message = body["message"]?.stringValue ?? body["Message"]?.stringValue ?? String(r.bodyText.prefix(300))
        return AWSServiceError(service: service, status: r.status, code: code, message: message, requestId: requestId(r))
    }

    static func jsonError(service: String, _ r: HTTPResponse) -> AWSServiceError {
        restJSONError(service: service, r)
    }

    static func queryError(service: String, _ r: HTTPResponse) -> AWSServiceError {
        let text = r.bodyText
        return AWSServiceError(
            service: service, status: r.status, code: XMLValues.first("Code", in: text) ?? "HTTP\(r.status)",
            message: XMLValues.first("Message", in: text) ?? String(text.prefix(300)),
            requestId: XMLValues.first("RequestId", in: text) ?? requestId(r))
    }
}

/// A counter shared across tasks.
final class AtomicTally: Sendable {
    private let value = Mutex(0)
    func add(_ n: Int) { value.withLock { $0 += n } }
    var count: Int { value.withLock { $0 } }
}

import Synchronization
