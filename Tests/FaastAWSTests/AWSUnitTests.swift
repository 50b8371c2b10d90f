import FaastCore
import Foundation
import Testing

@testable import FaastAWS

@Suite("AWS provider pieces")
struct AWSUnitTests {
    @Test("REPORT lines give billed duration and memory")
    func report() {
        let tail = "START RequestId: 1 Version: $LATEST\nhello\nEND RequestId: 1\nREPORT RequestId: 1\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t\n"
        let r = LambdaReport(base64Tail: Data(tail.utf8).base64EncodedString())
        #expect(r.billedMs == 13)
        #expect(r.maxMemoryMb == 40)
        #expect(LambdaReport(base64Tail: nil).billedMs == nil)
    }

    @Test("Lambda's error payloads map to faast's kinds")
    func functionErrors() {
        let timeout = AWSProvider.functionError(["errorMessage": "2026-11-27T10:00:00Z abc Task timed out after 3.00 seconds"],
                                                function: "f", timeout: 3, report: LambdaReport(), log: "")
        #expect(timeout.kind == .timeout)
        #expect(timeout.message == "f exceeded its 3 s timeout")
        #expect(AWSProvider.functionError(["errorType": "Runtime.OutOfMemory", "errorMessage": "x"], function: "f", timeout: 3,
                                          report: LambdaReport(), log: "").kind == .outOfMemory)
        #expect(AWSProvider.functionError(["errorType": "Runtime.ExitError", "errorMessage": "exit status 3"], function: "f",
                                          timeout: 3, report: LambdaReport(), log: "").kind == .workerExited)
        let other = AWSProvider.functionError(["errorType": "TypeError", "errorMessage": "bad", "trace": ["TypeError: bad", "  at x"]],
                                              function: "f", timeout: 3, report: LambdaReport(), log: "")
        #expect(other.kind == .exception)
        #expect(other.remote?.stack?.contains("at x") == true)
    }

    @Test("AWS error responses become code, message and request id; throttling is recognised")
    func errors() {
        let rest = HTTPResponse(status: 404, headers: [(name: "x-amzn-errortype", value: "ResourceNotFoundException:http://x"), (name: "x-amzn-requestid", value: "rid-1")],
                                body: Array(#"{"Type":"User","message":"Function not found: f"}"#.utf8))
        let e = AWSClient.restJSONError(service: "Lambda", rest)
        #expect(e.description == "Lambda ResourceNotFoundException: Function not found: f (request id rid-1)")
        #expect(!e.isThrottling)
        let throttled = HTTPResponse(status: 429, headers: [], body: Array(#"{"__type":"com.amazon#TooManyRequestsException","message":"Rate exceeded"}"#.utf8))
        #expect(AWSClient.jsonError(service: "Lambda", throttled).isThrottling)
        #expect(AWSErrors.faastError(AWSClient.jsonError(service: "Lambda", throttled)).kind == .throttled)
        let xml = #"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded &amp; more</Message></Error><RequestId>r2</RequestId></ErrorResponse>"#
        let q = AWSClient.queryError(service: "IAM", HTTPResponse(status: 400, headers: [], body: Array(xml.utf8)))
        #expect(q.code == "Throttling" && q.message == "Rate exceeded & more" && q.requestId == "r2" && q.isThrottling)
    }

    @Test("errors of requests that run user code: only what provably was not taken may be sent again")
    func invocationErrors() {
        let unsent = HTTPTransportError(code: 7, reach: .notSent, method: "POST", url: "u", detail: "Couldn't connect")
        #expect(AWSErrors.invocationError(unsent, function: "f").kind == .transport)
        #expect(AWSErrors.invocationError(unsent, function: "f").attemptDidNotStart, "never sent: the core may send it again")
        let lost = HTTPTransportError(code: 56, reach: .maybeSent, method: "POST", url: "u",
                                      detail: "Failure when receiving data from the peer (Recv failure: Connection reset by peer)")
        let mayHaveRun = AWSErrors.invocationError(lost, function: "f")
        #expect(mayHaveRun.kind == .mayHaveRun)
        #expect(mayHaveRun.message == "f on Lambda: the connection failed after the request was sent: "
            + "Failure when receiving data from the peer (Recv failure: Connection reset by peer)")
        #expect(!mayHaveRun.attemptDidNotStart && mayHaveRun.mayHaveRun, "never retried; re-run only with rerun=N")
        let throttled = AWSServiceError(service: "Lambda", status: 429, code: "TooManyRequestsException", message: "Rate exceeded")
        #expect(AWSErrors.invocationError(throttled, function: "f").kind == .throttled)
        let serverError = AWSServiceError(service: "SNS", status: 500, code: "InternalFailure", message: "x", requestId: "r1")
        let unclear = AWSErrors.invocationError(serverError, function: "f")
        #expect(unclear.kind == .mayHaveRun)
        #expect(!unclear.message.contains("r1"), "calls failing alike group together in a fan-out's summary")
        let refused = AWSServiceError(service: "Lambda", status: 400, code: "InvalidRequestContentException", message: "bad")
        #expect(AWSErrors.invocationError(refused, function: "f").kind == .provider)
    }

    @Test("region names are letters, digits and dashes, wherever they come from")
    func regions() throws {
        for good in ["us-east-1", "eu-west-3", "cn-north-1", "us-gov-west-1", "ap-southeast-4"] {
            #expect(RegionResolver.isValid(good), "\(good)")
        }
        for bad in ["evil.example/x?", "us-east-1.evil", "", "-us", "us east", "us-east-1#", "é", String(repeating: "a", count: 64)] {
            #expect(!RegionResolver.isValid(bad), "\(bad)")
        }
        let error = #expect(throws: FaastError.self) {
            try RegionResolver.validated(option: nil, environment: ["AWS_REGION": "a.b/c"])
        }
        #expect(error?.message.contains("invalid region 'a.b/c' (from AWS_REGION)") == true)
        #expect(throws: FaastError.self) {
            try AWSClient.fromEnvironment(region: "x/y", environment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"])
        }
    }

    @Test("a queue request must fit the result record, escaped as the most verbose encoder escapes it")
    func queueRecordSize() {
        #expect(QueueLimits.sizeInRecord("ab") == 4)
        #expect(QueueLimits.sizeInRecord("\"\\\n") == 2 + 6)
        #expect(QueueLimits.sizeInRecord("é") == 2 + 6)
        #expect(QueueLimits.sizeInRecord("👋") == 2 + 12)
        #expect(QueueLimits.sizeInRecord("\u{01}") == 2 + 6)
    }

    @Test("the Pricing API's answer gives first-tier on-demand prices")
    func pricing() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Moto.repo + "/Tests/Fixtures/pricing/lambda-us-east-1.json"))
        let doc = try JSONParser.parse(bytes: Array(data))
        let products = try (doc["PriceList"]?.arrayValue ?? []).map { try JSONParser.parse($0.stringValue ?? "") }
        let prices = try Pricing.parse(products: products)
        #expect(prices.gbSecondX86 == 0.0000166667)
        #expect(prices.gbSecondArm == 0.0000133334)
        #expect(prices.request == 0.0000002)
        #expect(throws: FaastError.self) { try Pricing.parse(products: []) }
    }

    @Test("unreachable pricing falls back to the dated table and says so; a fetched price is cached for a day")
    func pricingFallbackAndCache() async throws {
        let cache = NSTemporaryDirectory() + "faast-pricing-\(UUID().uuidString.prefix(6))"
        var env = try Moto.environment()
        env["AWS_ENDPOINT_URL_PRICING"] = "http://127.0.0.1:9"
        let client = try AWSClient.fromEnvironment(region: "us-east-1", environment: env)
        let prices = await Pricing.prices(region: "us-east-1", client: client, cacheDirectory: cache)
        #expect(prices.source.contains("built-in table dated"))
        #expect(prices.source.contains("not reachable"))
        var fetched = LambdaPrices.builtIn
        fetched.gbSecondX86 = 0.5
        fetched.source = "AWS Pricing API (us-east-1)"
        Pricing.writeCache(cache + "/pricing-lambda-us-east-1.json", prices: fetched, now: Date())
        #expect(await Pricing.prices(region: "us-east-1", client: client, cacheDirectory: cache).gbSecondX86 == 0.5)
        let stale = await Pricing.prices(region: "us-east-1", client: client, cacheDirectory: cache, now: Date().addingTimeInterval(2 * 86_400))
        #expect(stale.gbSecondX86 == LambdaPrices.builtIn.gbSecondX86)
    }

    @Test("the code package: same input, same bytes; includes and excludes; the size limit fails early")
    func codePackage() async throws {
        let dir = NSTemporaryDirectory() + "faast-pkg-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        try "exports.f = () => 1".write(toFile: dir + "/mod.js", atomically: true, encoding: .utf8)
        try "{}".write(toFile: dir + "/data/a.json", atomically: true, encoding: .utf8)
        try "x".write(toFile: dir + "/data/b.tmp", atomically: true, encoding: .utf8)
        let spec = ModuleSpec(path: dir + "/mod.js", runtime: .node)
        let a = try await CodePackage.build(module: spec, include: ["data/*"], exclude: ["*.tmp"])
        let b = try await CodePackage.build(module: spec, include: ["data/*"], exclude: ["*.tmp"])
        #expect(a.zip == b.zip)
        #expect(a.files == ["data/a.json", "mod.js", "trampoline.js"])
        // A sparse file: its size counts, nothing is written or read.
        #expect(FileManager.default.createFile(atPath: dir + "/data/big.bin", contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: dir + "/data/big.bin"))
        try handle.truncate(atOffset: 260 * 1024 * 1024)
        try handle.close()
        await #expect(throws: FaastError.self) { try await CodePackage.build(module: spec, include: ["data/*"]) }
    }

    @Test("resource names carry the session id; retention rounds up to what CloudWatch allows")
    func names() {
        let n = ResourceNames(sessionId: "0123456789ab")
        #expect(n.function == "faast-0123456789ab")
        #expect(ResourceNames.sessionId(inName: n.requestTopic) == "0123456789ab")
        #expect(ResourceNames.sessionId(inName: n.logGroup) == "0123456789ab")
        #expect(ResourceNames.sessionId(inName: "other-function") == nil)
        #expect(AWSProvider.retentionInDays(1) == 1)
        #expect(AWSProvider.retentionInDays(2) == 3)
        #expect(AWSProvider.retentionInDays(0.5) == 1)
    }
}
