import CCurl

/// A transfer that failed below HTTP: libcurl's `CURLcode`, and whether the request can have reached the
/// server. Decisions to send a request again are made from `reach`, never from the text.
public struct HTTPTransportError: Error, Sendable, CustomStringConvertible {
    /// How far the request got.
    public enum Reach: Sendable, Equatable {
        /// Provably never reached the server: no connection, or its body was not all handed to libcurl.
        case notSent
        /// It may have reached the server (it failed after sending, or the answer was lost).
        case maybeSent
    }

    /// libcurl's `CURLcode` (0 when the client itself gave up, e.g. it was shut down).
    public var code: Int
    public var reach: Reach
    public var method: String
    /// The URL without its query string (which may carry a presigned signature).
    public var url: String
    /// curl's text and detail, never a header value.
    public var detail: String

    public init(code: Int, reach: Reach, method: String, url: String, detail: String) {
        self.code = code
        self.reach = reach
        self.method = method
        self.url = url
        self.detail = detail
    }

    public var description: String { "\(method) \(url): \(detail)" }

    /// Codes of transfers that ended before a request could be sent: name resolution, the TCP connect, the TLS
    /// handshake, or a request libcurl refused to start.
    static let beforeSending: Set<Int> = Set([
        CURLE_UNSUPPORTED_PROTOCOL, CURLE_FAILED_INIT, CURLE_URL_MALFORMAT, CURLE_COULDNT_RESOLVE_PROXY,
        CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION,
        CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND,
        CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
        CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT,
    ].map { Int($0.rawValue) })

    /// How far a failed transfer got: `notSent` for a code from before sending, or when the request had a body
    /// that libcurl did not take completely (the server cannot act on a request whose body it never got);
    /// `bodyHandedOver` is nil when that is not known (the body was given to libcurl in one piece).
    static func reach(code: CURLcode, bodyHandedOver: Bool?) -> Reach {
        if beforeSending.contains(Int(code.rawValue)) { return .notSent }
        if bodyHandedOver == false { return .notSent }
        return .maybeSent
    }
}
