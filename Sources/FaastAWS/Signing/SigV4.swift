import Crypto
import Foundation

/// What to sign: one HTTP request and the context it is signed in (service, region, credentials, date).
///
/// `path` is the request path exactly as it goes on the wire, already percent-encoded by the caller
/// (e.g. `/2015-03-31/functions/my-fn%3Aprod/invocations`; build segments with `SigV4.uriEncode`). The canonical
/// path encodes every segment of it once more, which is the "double encoding" AWS documents for every service
/// but S3, after removing `.`/`..` segments and empty segments (`//`) when `normalizePath` is set.
///
/// `query` holds decoded names and values; `SigV4.canonicalQueryString` gives both the canonical form and a
/// correct wire query string. `headers` are the headers the request is sent with, in order, repeats allowed;
/// they must include `Host` exactly as it will be sent.
public struct SigV4Request: Sendable {
    /// The body, or its hash.
    public enum Payload: Sendable {
        /// The body bytes; their SHA-256 is computed.
        case bytes([UInt8])
        /// A precomputed lowercase hex SHA-256 of the body.
        case hash(String)
        /// `UNSIGNED-PAYLOAD` (only where the service accepts it).
        case unsigned
    }

    public var method: String
    public var path: String
    public var query: [(name: String, value: String)]
    public var headers: [(name: String, value: String)]
    public var payload: Payload
    public var service: String
    public var region: String
    public var credentials: AWSCredentials
    public var date: Date
    /// Remove `.`, `..` and empty path segments before encoding (true for every service but S3).
    public var normalizePath: Bool
    /// Add and sign `x-amz-content-sha256` (S3-style services, or when a service asks for it).
    public var addContentSHA256Header: Bool
    /// Send `X-Amz-Security-Token` without signing it (a few older services want it added after signing).
    /// By default the token is signed.
    public var omitSessionTokenFromSignature: Bool

    public init(
        method: String,
        path: String,
        query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)],
        payload: Payload = .bytes([]),
        service: String,
        region: String,
        credentials: AWSCredentials,
        date: Date = Date(),
        normalizePath: Bool = true,
        addContentSHA256Header: Bool = false,
        omitSessionTokenFromSignature: Bool = false
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.payload = payload
        self.service = service
        self.region = region
        self.credentials = credentials
        self.date = date
        self.normalizePath = normalizePath
        self.addContentSHA256Header = addContentSHA256Header
        self.omitSessionTokenFromSignature = omitSessionTokenFromSignature
    }
}

/// AWS Signature Version 4 (header signing), one function per documented stage:
/// canonical request → string to sign → signing key → signature → `Authorization` header.
/// See https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
public enum SigV4 {
    public static let algorithm = "AWS4-HMAC-SHA256"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// Headers never signed: `authorization` itself, and the ones proxies and HTTP stacks add or change
    /// (as the AWS SDKs do).
    public static let unsignedHeaders: Set<String> = ["authorization", "user-agent", "expect", "x-amzn-trace-id"]

    // MARK: - Signing

    /// The headers to add to the request: `X-Amz-Date`, `X-Amz-Security-Token` (with session credentials),
    /// `x-amz-content-sha256` (when asked) and `Authorization`.
    public static func sign(_ request: SigV4Request) -> [(String, String)] {
        var added: [(String, String)] = [("X-Amz-Date", timestamp(request.date))]
        if let token = request.credentials.sessionToken {
            added.append(("X-Amz-Security-Token", token))
        }
        if request.addContentSHA256Header {
            added.append(("x-amz-content-sha256", payloadHash(request.payload)))
        }
        added.append(("Authorization", authorization(request)))
        return added
    }

    /// The `Authorization` header value.
    public static func authorization(_ request: SigV4Request) -> String {
        let signed = canonicalHeaders(signedHeaderList(request)).signedHeaders
        let scope = credentialScope(date: request.date, region: request.region, service: request.service)
        return "\(algorithm) Credential=\(request.credentials.accessKeyId)/\(scope), "
            + "SignedHeaders=\(signed), Signature=\(signature(request))"
    }

    /// Task 4: the signature, lowercase hex HMAC-SHA256 of the string to sign under the signing key.
    public static func signature(_ request: SigV4Request) -> String {
        let key = signingKey(
            secret: request.credentials.secretAccessKey, date: request.date,
            region: request.region, service: request.service)
        return signature(stringToSign: stringToSign(request), signingKey: key)
    }

    public static func signature(stringToSign: String, signingKey: SymmetricKey) -> String {
        hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey))
    }

    /// Task 3: the signing key, `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, yyyymmdd), region), service), "aws4_request")`.
    public static func signingKey(secret: String, date: Date, region: String, service: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array(("AWS4" + secret).utf8))
        for part in [datestamp(date), region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    /// Task 2: the string to sign: algorithm, timestamp, credential scope, hex SHA-256 of the canonical request.
    public static func stringToSign(_ request: SigV4Request) -> String {
        stringToSign(
            canonicalRequest: canonicalRequest(request), date: request.date,
            region: request.region, service: request.service)
    }

    public static func stringToSign(canonicalRequest: String, date: Date, region: String, service: String) -> String {
        [
            algorithm,
            timestamp(date),
            credentialScope(date: date, region: region, service: service),
            sha256Hex(Array(canonicalRequest.utf8)),
        ].joined(separator: "\n")
    }

    /// `yyyymmdd/region/service/aws4_request`.
    public static func credentialScope(date: Date, region: String, service: String) -> String {
        "\(datestamp(date))/\(region)/\(service)/aws4_request"
    }

    /// Task 1: the canonical request, over the request's headers plus the ones `sign` adds and signs
    /// (`x-amz-date`, `x-amz-security-token`, `x-amz-content-sha256`).
    public static func canonicalRequest(_ request: SigV4Request) -> String {
        let headers = canonicalHeaders(signedHeaderList(request))
        return [
            request.method.uppercased(),
            canonicalURI(request.path, normalize: request.normalizePath),
            canonicalQueryString(request.query),
            headers.canonical,
            headers.signedHeaders,
            payloadHash(request.payload),
        ].joined(separator: "\n")
    }

    // MARK: - Canonical parts

    /// The canonical path: each segment of the (wire, percent-encoded) path URI-encoded again; with `normalize`,
    /// `.` and empty segments dropped and `..` resolved (RFC 3986 dot-segment removal), a trailing `/` kept.
    public static func canonicalURI(_ path: String, normalize: Bool) -> String {
        guard !path.isEmpty else { return "/" }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst(path.hasPrefix("/") ? 1 : 0)
        guard normalize else {
            return "/" + segments.map { uriEncode(String($0)) }.joined(separator: "/")
        }
        var kept: [Substring] = []
        for segment in segments {
            switch segment {
            case "", ".": continue
            case "..": if !kept.isEmpty { kept.removeLast() }
            default: kept.append(segment)
            }
        }
        var result = "/" + kept.map { uriEncode(String($0)) }.joined(separator: "/")
        let last = segments.last ?? ""
        if !kept.isEmpty && (last == "" || last == "." || last == "..") { result += "/" }
        return result
    }

    /// The canonical query string: names and values URI-encoded, sorted by encoded name then encoded value,
    /// `name=value` joined with `&` (an empty value gives `name=`). Also a correct wire query string.
    public static func canonicalQueryString(_ items: [(name: String, value: String)]) -> String {
        items
            .map { (uriEncode($0.name), uriEncode($0.value)) }
            .sorted { a, b in
                a.0 != b.0 ? a.0.utf8.lexicographicallyPrecedes(b.0.utf8) : a.1.utf8.lexicographicallyPrecedes(b.1.utf8)
            }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// Canonical headers (`name:value\n` each, names lowercased and sorted, values trimmed with inner runs of
    /// whitespace, line breaks included, collapsed to one space, repeats joined with `,` in order) and the
    /// signed-header list (`a;b;c`). Headers in `unsignedHeaders` are left out.
    public static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (canonical: String, signedHeaders: String) {
        var order: [String] = []
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            let lower = name.lowercased()
            if unsignedHeaders.contains(lower) { continue }
            if values[lower] == nil { order.append(lower) }
            values[lower, default: []].append(trimAll(value))
        }
        let names = order.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let canonical = names.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        return (canonical, names.joined(separator: ";"))
    }

    /// The hex SHA-256 of the body, the given hash, or `UNSIGNED-PAYLOAD`.
    public static func payloadHash(_ payload: SigV4Request.Payload) -> String {
        switch payload {
        case .bytes(let bytes): return sha256Hex(bytes)
        case .hash(let hash): return hash.lowercased()
        case .unsigned: return unsignedPayload
        }
    }

    /// The headers that go into the canonical request: the request's own, without any it also passes for the
    /// headers `sign` sets, plus those.
    static func signedHeaderList(_ request: SigV4Request) -> [(name: String, value: String)] {
        var replaced: Set<String> = ["x-amz-date"]
        var extra: [(name: String, value: String)] = [("x-amz-date", timestamp(request.date))]
        if let token = request.credentials.sessionToken {
            replaced.insert("x-amz-security-token")
            if !request.omitSessionTokenFromSignature { extra.append(("x-amz-security-token", token)) }
        }
        if request.addContentSHA256Header {
            replaced.insert("x-amz-content-sha256")
            extra.append(("x-amz-content-sha256", payloadHash(request.payload)))
        }
        return request.headers.filter { !replaced.contains($0.name.lowercased()) } + extra
    }

    // MARK: - Helpers

    /// RFC 3986 encoding of every UTF-8 byte but the unreserved `A-Z a-z 0-9 - _ . ~` (space → `%20`, `/` → `%2F`).
    public static func uriEncode(_ string: String) -> String {
        var out = ""
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%"
                out.unicodeScalars.append(upperHexDigits[Int(byte >> 4)])
                out.unicodeScalars.append(upperHexDigits[Int(byte & 0x0F)])
            }
        }
        return out
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    public static func timestamp(_ date: Date) -> String {
        let c = UTCComponents(date)
        return pad(c.year, 4) + pad(c.month, 2) + pad(c.day, 2) + "T" + pad(c.hour, 2) + pad(c.minute, 2) + pad(c.second, 2) + "Z"
    }

    /// `yyyyMMdd` in UTC.
    public static func datestamp(_ date: Date) -> String {
        let c = UTCComponents(date)
        return pad(c.year, 4) + pad(c.month, 2) + pad(c.day, 2)
    }

    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// Lowercase hex of a byte sequence.
    public static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out = ""
        for byte in bytes {
            out.unicodeScalars.append(lowerHexDigits[Int(byte >> 4)])
            out.unicodeScalars.append(lowerHexDigits[Int(byte & 0x0F)])
        }
        return out
    }

    private static let upperHexDigits = Array("0123456789ABCDEF".unicodeScalars)
    private static let lowerHexDigits = Array("0123456789abcdef".unicodeScalars)

    /// Trims the value and collapses every inner run of whitespace (spaces, tabs, line breaks) to one space.
    static func trimAll(_ value: String) -> String {
        var out = ""
        var pendingSpace = false
        for scalar in value.unicodeScalars {
            if scalar == " " || scalar == "\t" || scalar == "\r" || scalar == "\n" {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out += " " }
                pendingSpace = false
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// Civil date and time in UTC (proleptic Gregorian), without Calendar or DateFormatter.
    private struct UTCComponents {
        var year, month, day, hour, minute, second: Int

        init(_ date: Date) {
            let total = Int(date.timeIntervalSince1970.rounded(.down))
            var days = total / 86_400
            var seconds = total % 86_400
            if seconds < 0 {
                seconds += 86_400
                days -= 1
            }
            hour = seconds / 3600
            minute = seconds % 3600 / 60
            second = seconds % 60
            // Days to civil date (H. Hinnant's algorithm).
            let z = days + 719_468
            let era = (z >= 0 ? z : z - 146_096) / 146_097
            let doe = z - era * 146_097
            let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
            let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
            let mp = (5 * doy + 2) / 153
            day = doy - (153 * mp + 2) / 5 + 1
            month = mp < 10 ? mp + 3 : mp - 9
            year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        }
    }
}
