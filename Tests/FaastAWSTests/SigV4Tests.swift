import Foundation
import Testing

@testable import FaastAWS

/// The AWS SigV4 test suite (from aws-c-auth), vendored at `Tests/Fixtures/aws-sigv4-test-suite/` with its licence.
/// Each case is a directory with `request.txt`, `context.json` (credentials, region, service, timestamp, `normalize`,
/// `sign_body`, `omit_session_token`) and the expected `header-canonical-request.txt`,
/// `header-string-to-sign.txt`, `header-signature.txt` and `header-signed-request.txt`. The `query-*` files
/// (presigned URLs) are not used: faast signs headers only.
enum SigV4Suite {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/FaastAWSTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures/aws-sigv4-test-suite")

    /// Cases that do not apply, with the reason. None: the unnormalized path cases run with `normalizePath: false`
    /// (S3-style), `sign_body` cases with `addContentSHA256Header`, `omit_session_token` with
    /// `omitSessionTokenFromSignature`.
    static let skipped: [String: String] = [:]

    /// Every case directory (one that holds a `request.txt`), searched recursively; empty when the suite is missing,
    /// which `suiteIsPresent` turns into a failure.
    static let cases: [String] = {
        guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { return [] }
        var names: [String] = []
        for case let url as URL in enumerator where url.lastPathComponent == "request.txt" {
            let caseDirectory = url.deletingLastPathComponent().standardizedFileURL.path
            let root = directory.standardizedFileURL.path
            names.append(String(caseDirectory.dropFirst(root.count + 1)))
        }
        return names.sorted()
    }()

    struct Context: Decodable {
        struct Credentials: Decodable {
            var access_key_id: String
            var secret_access_key: String
            var token: String?
        }
        var credentials: Credentials
        var normalize: Bool
        var region: String
        var service: String
        var sign_body: Bool
        var timestamp: String
        var omit_session_token: Bool?
    }

    struct ParsedRequest {
        var method: String
        var path: String
        var query: [(name: String, value: String)]
        var headers: [(name: String, value: String)]
        var body: [UInt8]
    }

    static func read(_ caseName: String, _ file: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(caseName).appendingPathComponent(file), encoding: .utf8)
    }

    /// Parses `request.txt`: request line (`METHOD path?query HTTP/1.1`, the path may hold spaces), headers
    /// (`Name:value`, indented lines continue the previous value), a blank line, the body.
    static func parseRequest(_ text: String) throws -> ParsedRequest {
        let (head, body): (Substring, Substring) = {
            if let range = text.range(of: "\n\n") { return (text[..<range.lowerBound], text[range.upperBound...]) }
            return (Substring(text), "")
        }()
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.last == "" { lines.removeLast() }
        let requestLine = try #require(lines.first)
        let firstSpace = try #require(requestLine.firstIndex(of: " "))
        let lastSpace = try #require(requestLine.lastIndex(of: " "))
        let method = String(requestLine[..<firstSpace])
        let target = String(requestLine[requestLine.index(after: firstSpace)..<lastSpace])

        var path = target
        var query: [(name: String, value: String)] = []
        if let mark = target.firstIndex(of: "?") {
            path = String(target[..<mark])
            for item in target[target.index(after: mark)...].split(separator: "&") {
                let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
                let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
                query.append((name, value))
            }
        }

        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            if line.first == " " || line.first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += "\n" + line
                continue
            }
            let colon = try #require(line.firstIndex(of: ":"), "header line without a colon: \(line)")
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
        }
        return ParsedRequest(method: method, path: path, query: query, headers: headers, body: Array(body.utf8))
    }

    static func request(_ caseName: String) throws -> SigV4Request {
        let context = try JSONDecoder().decode(Context.self, from: Data(read(caseName, "context.json").utf8))
        let parsed = try parseRequest(read(caseName, "request.txt"))
        let date = try #require(ISO8601DateFormatter().date(from: context.timestamp))
        return SigV4Request(
            method: parsed.method, path: parsed.path, query: parsed.query, headers: parsed.headers,
            payload: .bytes(parsed.body), service: context.service, region: context.region,
            credentials: AWSCredentials(
                accessKeyId: context.credentials.access_key_id,
                secretAccessKey: context.credentials.secret_access_key,
                sessionToken: context.credentials.token),
            date: date, normalizePath: context.normalize, addContentSHA256Header: context.sign_body,
            omitSessionTokenFromSignature: context.omit_session_token ?? false)
    }

    /// The headers the signed request adds to `request.txt`'s, from `header-signed-request.txt`.
    static func expectedAddedHeaders(_ caseName: String) throws -> [String: String] {
        let original = try parseRequest(read(caseName, "request.txt")).headers.map { $0.name.lowercased() }
        let signed = try parseRequest(read(caseName, "header-signed-request.txt")).headers
        var added: [String: String] = [:]
        for (name, value) in signed where !original.contains(name.lowercased()) {
            added[name.lowercased()] = value
        }
        return added
    }
}

@Suite("SigV4 test suite")
struct SigV4SuiteTests {
    @Test func suiteIsPresent() {
        #expect(
            FileManager.default.fileExists(atPath: SigV4Suite.directory.appendingPathComponent("get-vanilla/request.txt").path),
            "AWS SigV4 test suite not found at \(SigV4Suite.directory.path)")
        #expect(SigV4Suite.cases.count >= 38, "expected at least 38 cases, found \(SigV4Suite.cases.count)")
        #expect(SigV4Suite.cases.contains("get-vanilla-with-session-token"))
        #expect(SigV4Suite.cases.contains("post-sts-header-after"))
    }

    @Test("canonical request", arguments: SigV4Suite.cases)
    func canonicalRequest(caseName: String) throws {
        guard SigV4Suite.skipped[caseName] == nil else { return }
        let expected = try SigV4Suite.read(caseName, "header-canonical-request.txt")
        #expect(SigV4.canonicalRequest(try SigV4Suite.request(caseName)) == expected)
    }

    @Test("string to sign", arguments: SigV4Suite.cases)
    func stringToSign(caseName: String) throws {
        guard SigV4Suite.skipped[caseName] == nil else { return }
        let expected = try SigV4Suite.read(caseName, "header-string-to-sign.txt")
        #expect(SigV4.stringToSign(try SigV4Suite.request(caseName)) == expected)
    }

    @Test("signature", arguments: SigV4Suite.cases)
    func signature(caseName: String) throws {
        guard SigV4Suite.skipped[caseName] == nil else { return }
        let expected = try SigV4Suite.read(caseName, "header-signature.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(SigV4.signature(try SigV4Suite.request(caseName)) == expected)
    }

    @Test("signed headers and Authorization", arguments: SigV4Suite.cases)
    func authorization(caseName: String) throws {
        guard SigV4Suite.skipped[caseName] == nil else { return }
        let expected = try SigV4Suite.expectedAddedHeaders(caseName)
        let added = SigV4.sign(try SigV4Suite.request(caseName))
        #expect(added.last?.0 == "Authorization")
        var actual: [String: String] = [:]
        for (name, value) in added { actual[name.lowercased()] = value }
        #expect(actual["authorization"] == expected["authorization"])
        #expect(actual == expected)
    }
}

@Suite("SigV4 stages")
struct SigV4StageTests {
    static let credentials = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let date = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z

    @Test func timestamps() {
        #expect(SigV4.timestamp(Self.date) == "20150830T123600Z")
        #expect(SigV4.datestamp(Self.date) == "20150830")
        #expect(SigV4.timestamp(Date(timeIntervalSince1970: 0)) == "19700101T000000Z")
        #expect(SigV4.timestamp(Date(timeIntervalSince1970: 951_782_400)) == "20000229T000000Z")
        #expect(SigV4.timestamp(Date(timeIntervalSince1970: 4_102_444_799.9)) == "20991231T235959Z")
    }

    @Test func signingKeyMatchesTheDocumentedExample() {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html (iam, 20150830).
        let key = SigV4.signingKey(
            secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", date: Self.date, region: "us-east-1", service: "iam")
        #expect(key.withUnsafeBytes { SigV4.hex($0) } == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9")
    }

    @Test func uriEncoding() {
        #expect(SigV4.uriEncode("a b/c~d-e_f.g") == "a%20b%2Fc~d-e_f.g")
        #expect(SigV4.uriEncode("ሴ+=&%") == "%E1%88%B4%2B%3D%26%25")
    }

    @Test func canonicalPathEncodesTheWirePathAgain() {
        #expect(SigV4.canonicalURI("/2015-03-31/functions/fn%3Aprod/invocations", normalize: true)
            == "/2015-03-31/functions/fn%253Aprod/invocations")
        #expect(SigV4.canonicalURI("", normalize: true) == "/")
        #expect(SigV4.canonicalURI("/a/b/..", normalize: true) == "/a/")
        #expect(SigV4.canonicalURI("/a/./b/", normalize: true) == "/a/b/")
        #expect(SigV4.canonicalURI("/../..", normalize: true) == "/")
        #expect(SigV4.canonicalURI("//a//", normalize: false) == "//a//")
    }

    @Test func canonicalQuery() {
        #expect(SigV4.canonicalQueryString([]) == "")
        #expect(SigV4.canonicalQueryString([("b", "2"), ("a", ""), ("a", "1"), ("A", "x y")]) == "A=x%20y&a=&a=1&b=2")
    }

    @Test func canonicalHeaders() {
        let (canonical, signed) = SigV4.canonicalHeaders([
            ("Host", "example.com"), ("X-B", "  two   words  "), ("x-a", "1"), ("X-A", "2"),
            ("User-Agent", "faast"), ("Authorization", "old"), ("X-Folded", "a\n   b\tc"),
        ])
        #expect(canonical == "host:example.com\nx-a:1,2\nx-b:two words\nx-folded:a b c\n")
        #expect(signed == "host;x-a;x-b;x-folded")
    }

    @Test func signAddsContentHashOnlyWhenAsked() {
        var request = SigV4Request(
            method: "POST", path: "/", headers: [("Host", "example.amazonaws.com")], payload: .bytes(Array("{}".utf8)),
            service: "lambda", region: "us-west-2", credentials: Self.credentials, date: Self.date)
        #expect(SigV4.sign(request).map(\.0) == ["X-Amz-Date", "Authorization"])
        request.addContentSHA256Header = true
        let headers = SigV4.sign(request)
        #expect(headers.map(\.0) == ["X-Amz-Date", "x-amz-content-sha256", "Authorization"])
        #expect(headers[1].1 == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
        #expect(headers[2].1.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date,"))
    }

    @Test func sessionTokenIsSignedByDefault() {
        var credentials = Self.credentials
        credentials.sessionToken = "TOKEN"
        let request = SigV4Request(
            method: "GET", path: "/", headers: [("Host", "example.amazonaws.com"), ("X-Amz-Date", "stale")],
            service: "sts", region: "us-east-1", credentials: credentials, date: Self.date)
        let headers = SigV4.sign(request)
        #expect(headers.map(\.0) == ["X-Amz-Date", "X-Amz-Security-Token", "Authorization"])
        #expect(headers[1].1 == "TOKEN")
        #expect(headers[2].1.contains("SignedHeaders=host;x-amz-date;x-amz-security-token,"))
        #expect(!SigV4.canonicalRequest(request).contains("stale"))
    }

    @Test func precomputedAndUnsignedPayloads() {
        #expect(SigV4.payloadHash(.bytes([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SigV4.payloadHash(.hash("ABCDEF")) == "abcdef")
        #expect(SigV4.payloadHash(.unsigned) == "UNSIGNED-PAYLOAD")
    }
}
