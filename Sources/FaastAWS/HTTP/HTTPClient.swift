import CCurl
import FaastCore
import Foundation
import Synchronization

/// One HTTP request: method, full URL (query string already encoded), headers, body and a timeout for the
/// whole transfer.
public struct HTTPRequest: Sendable {
    /// GET, POST, PUT, DELETE (any token is sent as is; HEAD asks for no body).
    public var method: String
    /// The full URL including the query string, already encoded.
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Seconds for the whole transfer (queueing for a connection included); 0 means no limit.
    public var timeout: Double
    /// false for a request that must never reach the server twice (one that runs user code). libcurl re-sends
    /// a request on its own when a reused connection turns out dead before any answer; such a request's body
    /// is handed to libcurl through a read callback that cannot rewind, so once any of it went out libcurl
    /// fails the transfer instead (`CURLE_SEND_FAIL_REWIND`, reported as `maybeSent`). It also tells exactly
    /// whether the body was handed over, which makes `notSent` provable after a timeout.
    public var idempotent: Bool

    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
                timeout: Double = 30, idempotent: Bool = true) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.idempotent = idempotent
    }
}

/// A complete HTTP response. Error statuses (4xx, 5xx) are responses too, never thrown.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lowercased, in the order received; the final response's only (no 100-continue).
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header of that name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// The body decoded as UTF-8 (invalid sequences replaced).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// An HTTP/1.1 client over libcurl's multi interface: one multi handle driven by one dedicated thread, with
/// any number of transfers in flight on it, connections reused through the multi handle's cache and easy
/// handles recycled through a small pool.
///
/// Requests and cancellations reach the event thread through a mutex-protected queue and a
/// `curl_multi_wakeup`; no curl handle is touched from any other thread. The thread starts with the first
/// request.
public final class HTTPClient: Sendable {
    public static let shared = HTTPClient()

    let core: HTTPEventCore

    public init(maxConnectionsPerHost: Int = 64) {
        _ = curlGlobalInitialized
        core = HTTPEventCore(maxConnectionsPerHost: max(1, maxConnectionsPerHost))
    }

    deinit {
        core.shutdown()
    }

    /// Sends a request and returns its response, whatever its status.
    ///
    /// Throws `HTTPTransportError` when the transfer fails (connection, timeout, shut-down client), with
    /// libcurl's code, how far the request got, and curl's text but never a header value; `CancellationError`
    /// when the calling task is cancelled (the transfer is then stopped); `FaastError(.invalidArgument)` for a
    /// request that cannot be sent at all.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try Task.checkCancellation()
        try Self.validate(request)
        let core = self.core
        let id = try core.register(request)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                core.submit(HTTPEventCore.Submission(id: id, request: request, continuation: continuation))
            }
        } onCancel: {
            core.cancel(id)
        }
    }

    /// Stops the event thread: requests in flight or queued fail with a transport error, later ones at once.
    public func shutdown() {
        core.shutdown()
    }

    /// Counters of the event thread, for tests and diagnostics.
    func stats() -> HTTPClientStats {
        core.state.withLock { $0.stats }
    }

    private static func validate(_ request: HTTPRequest) throws {
        if request.method.isEmpty || request.method.utf8.contains(where: { $0 <= 32 || $0 >= 127 }) {
            throw FaastError(.invalidArgument, "invalid HTTP method '\(request.method)'")
        }
        for header in request.headers {
            if header.name.isEmpty || header.name.utf8.contains(where: { $0 <= 32 || $0 >= 127 || $0 == UInt8(ascii: ":") }) {
                throw FaastError(.invalidArgument, "invalid HTTP header name '\(header.name)'")
            }
            // The value is never quoted: it may be a signature.
            if header.value.utf8.contains(where: { $0 == 0 || $0 == 10 || $0 == 13 }) {
                throw FaastError(.invalidArgument, "the value of HTTP header '\(header.name)' contains a line break")
            }
        }
    }
}

/// `curl_global_init`, once per process (a global's initializer runs exactly once, thread-safely).
private let curlGlobalInitialized: Bool = ccurl_global_init_default() == CURLE_OK

struct HTTPClientStats: Sendable, Equatable {
    /// Event threads this client has started (never more than one).
    var threadsStarted = 0
    /// Easy handles alive (in flight or pooled).
    var easyHandles = 0
    /// Easy handles idle in the pool.
    var pooledHandles = 0
    /// Header lists allocated and not yet freed.
    var headerLists = 0
    /// Transfers on the multi handle.
    var activeTransfers = 0
    /// Transfers finished (completed, failed or cancelled).
    var finishedTransfers = 0
}

/// The multi handle as other threads may use it: only for `curl_multi_wakeup`, which libcurl documents as
/// callable from any thread, and only while the event thread has not cleaned the handle up.
struct WakeupHandle: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
}

/// The state shared between callers and the event thread, and the thread's main loop.
final class HTTPEventCore: Sendable {
    struct Submission: Sendable {
        let id: UInt64
        let request: HTTPRequest
        let continuation: CheckedContinuation<HTTPResponse, any Error>
    }

    enum Phase {
        /// `send` has an id but has not queued the request yet.
        case registered
        /// Cancelled before it was queued: the submission fails at once.
        case cancelledEarly
        /// In `queue`, not yet seen by the event thread.
        case queued
        /// Owned by the event thread.
        case inFlight
    }

    struct State {
        var nextID: UInt64 = 0
        var phases: [UInt64: Phase] = [:]
        var queue: [Submission] = []
        var cancellations: [UInt64] = []
        /// The multi handle, only for `curl_multi_wakeup`; set while the event thread runs.
        var multi: WakeupHandle?
        var threadStarted = false
        var shuttingDown = false
        var stats = HTTPClientStats()

        func wake() {
            if let multi { _ = curl_multi_wakeup(multi.pointer) }
        }
    }

    let state = Mutex(State())
    let maxConnectionsPerHost: Int

    init(maxConnectionsPerHost: Int) {
        self.maxConnectionsPerHost = maxConnectionsPerHost
    }

    /// Gives a request its id, starting the event thread on first use.
    func register(_ request: HTTPRequest) throws -> UInt64 {
        let (id, startThread): (UInt64?, Bool) = state.withLock { state in
            if state.shuttingDown { return (nil, false) }
            let id = state.nextID
            state.nextID += 1
            state.phases[id] = .registered
            let start = !state.threadStarted
            state.threadStarted = true
            return (id, start)
        }
        guard let id else { throw Self.shutDownError(request) }
        if startThread {
            let thread = Thread { [self] in run() }
            thread.name = "faast-http"
            thread.start()
        }
        return id
    }

    func submit(_ submission: Submission) {
        let outcome: Error? = state.withLock { state in
            switch state.phases[submission.id] {
            case .registered?:
                if state.shuttingDown {
                    state.phases[submission.id] = nil
                    return Self.shutDownError(submission.request)
                }
                state.phases[submission.id] = .queued
                state.queue.append(submission)
                state.wake()
                return nil
            case .cancelledEarly?:
                state.phases[submission.id] = nil
                return CancellationError()
            default:
                // The event thread stopped and forgot every request.
                return Self.shutDownError(submission.request)
            }
        }
        if let outcome { submission.continuation.resume(throwing: outcome) }
    }

    func cancel(_ id: UInt64) {
        let dequeued: Submission? = state.withLock { state in
            switch state.phases[id] {
            case .registered?:
                state.phases[id] = .cancelledEarly
            case .queued?:
                state.phases[id] = nil
                if let index = state.queue.firstIndex(where: { $0.id == id }) {
                    return state.queue.remove(at: index)
                }
            case .inFlight?:
                state.cancellations.append(id)
                state.wake()
            case .cancelledEarly?, nil:
                break
            }
            return nil
        }
        dequeued?.continuation.resume(throwing: CancellationError())
    }

    func shutdown() {
        let queued: [Submission] = state.withLock { state in
            state.shuttingDown = true
            state.wake()
            if state.threadStarted { return [] }  // the thread fails what it has and what is queued
            let queued = state.queue
            state.queue = []
            state.phases = [:]
            return queued
        }
        for submission in queued {
            submission.continuation.resume(throwing: Self.shutDownError(submission.request))
        }
    }

    /// A request the client gave up on before it was sent.
    static func shutDownError(_ request: HTTPRequest) -> HTTPTransportError {
        HTTPTransportError(code: 0, reach: .notSent, method: request.method, url: redactedURL(request.url),
                           detail: "HTTP client shut down")
    }

    /// The URL for error messages: without its query string, which may carry a presigned signature.
    static func redactedURL(_ url: String) -> String {
        if let question = url.firstIndex(of: "?") { return String(url[..<question]) }
        return url
    }

    // MARK: The event thread

    private func run() {
        guard let multi = curl_multi_init() else {
            failEverything(HTTPTransportError(code: Int(CURLE_FAILED_INIT.rawValue), reach: .notSent, method: "",
                                              url: "", detail: "could not create a curl multi handle"))
            return
        }
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxConnectionsPerHost + 16)
        let loop = EventLoop(multi: multi, poolCapacity: min(maxConnectionsPerHost, 32))
        state.withLock { state in
            state.multi = WakeupHandle(pointer: multi)
            state.stats.threadsStarted += 1
        }

        while true {
            let (submissions, cancellations, stop) = state.withLock { state in
                let submissions = state.queue
                state.queue = []
                for submission in submissions { state.phases[submission.id] = .inFlight }
                let cancellations = state.cancellations
                state.cancellations = []
                return (submissions, cancellations, state.shuttingDown)
            }
            if stop {
                // Submissions just taken are inFlight: fail them with the others.
                for submission in submissions {
                    loop.finished.append((submission.id, submission.continuation,
                                          .failure(Self.shutDownError(submission.request))))
                }
                break
            }
            for id in cancellations { loop.cancel(id) }
            for submission in submissions { loop.start(submission) }
            flush(loop)

            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            loop.collectCompleted()
            flush(loop)

            var readyDescriptors: Int32 = 0
            _ = curl_multi_poll(multi, nil, 0, 1000, &readyDescriptors)
        }

        loop.failAllActive()
        let leftover: [Submission] = state.withLock { state in
            state.multi = nil
            let queued = state.queue
            state.queue = []
            state.cancellations = []
            state.phases = [:]
            return queued
        }
        loop.destroy()
        for submission in leftover {
            loop.finished.append((submission.id, submission.continuation,
                                  .failure(Self.shutDownError(submission.request))))
        }
        flush(loop)
    }

    /// Forgets the finished transfers' ids, publishes the counters, then resumes their callers.
    private func flush(_ loop: EventLoop) {
        let finished = loop.finished
        let stats = loop.stats
        loop.finished = []
        state.withLock { state in
            for item in finished { state.phases[item.id] = nil }
            state.stats.easyHandles = stats.easyHandles
            state.stats.pooledHandles = stats.pooledHandles
            state.stats.headerLists = stats.headerLists
            state.stats.activeTransfers = stats.activeTransfers
            state.stats.finishedTransfers += finished.count
        }
        for item in finished { item.continuation.resume(with: item.result) }
    }

    private func failEverything(_ error: HTTPTransportError) {
        let queued: [Submission] = state.withLock { state in
            state.shuttingDown = true
            let queued = state.queue
            state.queue = []
            state.phases = [:]
            return queued
        }
        for submission in queued { submission.continuation.resume(throwing: error) }
    }
}

/// One transfer's state on the event thread; the callbacks reach it through an unretained pointer (the
/// event loop's `active` table keeps it alive while curl may call them).
final class Transfer {
    let id: UInt64
    let method: String
    let url: String
    let continuation: CheckedContinuation<HTTPResponse, any Error>
    let easy: UnsafeMutableRawPointer
    var headerList: UnsafeMutablePointer<curl_slist>?
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []
    let errorBuffer: UnsafeMutablePointer<CChar>
    /// A non-idempotent request's body, handed to libcurl by `curlReadCallback`; `uploaded` bytes so far.
    let upload: [UInt8]?
    var uploaded = 0

    init(submission: HTTPEventCore.Submission, easy: UnsafeMutableRawPointer) {
        id = submission.id
        method = submission.request.method
        url = submission.request.url
        continuation = submission.continuation
        upload = submission.request.idempotent ? nil : submission.request.body
        self.easy = easy
        let size = Int(CURL_ERROR_SIZE)
        errorBuffer = .allocate(capacity: size)
        errorBuffer.initialize(repeating: 0, count: size)
    }

    deinit {
        errorBuffer.deallocate()
    }

    func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        // Strip the line ending as bytes: in a String, "\r\n" is a single Character.
        var end = bytes.count
        while end > 0, bytes[end - 1] == 13 || bytes[end - 1] == 10 { end -= 1 }
        let line = Substring(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<end]), as: UTF8.self))
        if line.hasPrefix("HTTP/") {
            // A new status line (after a 100-continue, say): only the final response's headers remain.
            headers.removeAll(keepingCapacity: true)
            return
        }
        if line.isEmpty { return }
        if let first = line.first, first == " " || first == "\t" {
            // An obsolete folded continuation of the previous header.
            if !headers.isEmpty {
                headers[headers.count - 1].value += " " + trimmed(line)
            }
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = trimmed(line[..<colon]).lowercased()
        let value = trimmed(line[line.index(after: colon)...])
        headers.append((name: name, value: value))
        if name == "content-length", let length = Int(value), length > 0 {
            body.reserveCapacity(min(length, 64 << 20))
        }
    }

    func receiveBody(_ bytes: UnsafeRawBufferPointer) {
        body.append(contentsOf: bytes)
    }

    /// Copies the next part of the upload into libcurl's buffer; 0 at the end.
    func readUpload(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let upload, uploaded < upload.count else { return 0 }
        let n = min(buffer.count, upload.count - uploaded)
        upload.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + uploaded, byteCount: n)
        }
        uploaded += n
        return n
    }

    /// Whether the whole body went to libcurl; nil when libcurl had it in one piece from the start.
    var bodyHandedOver: Bool? {
        guard let upload else { return nil }
        return uploaded >= upload.count
    }

    private func trimmed(_ text: Substring) -> String {
        var text = text
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return String(text)
    }
}

private func curlWriteCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                               _ userdata: UnsafeMutableRawPointer?) -> Int {
    let total = size * count
    guard let data, let userdata, total > 0 else { return total }
    Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
        .receiveBody(UnsafeRawBufferPointer(start: data, count: total))
    return total
}

private func curlReadCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                              _ userdata: UnsafeMutableRawPointer?) -> Int {
    let total = size * count
    guard let data, let userdata, total > 0 else { return 0 }
    return Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
        .readUpload(into: UnsafeMutableRawBufferPointer(start: data, count: total))
}

private func curlHeaderCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                                _ userdata: UnsafeMutableRawPointer?) -> Int {
    let total = size * count
    guard let data, let userdata, total > 0 else { return total }
    Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
        .receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: total))
    return total
}

/// The event thread's own state: the multi handle, transfers in flight, the pool of idle easy handles.
/// Confined to that thread.
final class EventLoop {
    typealias Finished = (id: UInt64, continuation: CheckedContinuation<HTTPResponse, any Error>,
                          result: Result<HTTPResponse, any Error>)

    let multi: UnsafeMutableRawPointer
    let poolCapacity: Int
    var active: [UInt64: Transfer] = [:]
    var byHandle: [UnsafeMutableRawPointer: Transfer] = [:]
    var pool: [UnsafeMutableRawPointer] = []
    var easyHandles = 0
    var headerLists = 0
    /// Transfers done since the last flush, to resume outside the lock.
    var finished: [Finished] = []

    init(multi: UnsafeMutableRawPointer, poolCapacity: Int) {
        self.multi = multi
        self.poolCapacity = poolCapacity
    }

    var stats: HTTPClientStats {
        HTTPClientStats(easyHandles: easyHandles, pooledHandles: pool.count, headerLists: headerLists,
                        activeTransfers: active.count)
    }

    func start(_ submission: HTTPEventCore.Submission) {
        let request = submission.request
        let easy: UnsafeMutableRawPointer
        if let pooled = pool.popLast() {
            easy = pooled
        } else if let created = curl_easy_init() {
            easy = created
            easyHandles += 1
        } else {
            finished.append((submission.id, submission.continuation, .failure(HTTPTransportError(
                code: Int(CURLE_OUT_OF_MEMORY.rawValue), reach: .notSent, method: request.method,
                url: HTTPEventCore.redactedURL(request.url), detail: "could not create a curl handle"))))
            return
        }
        let transfer = Transfer(submission: submission, easy: easy)
        var code = configure(transfer, request)
        if code == CURLE_OK, curl_multi_add_handle(multi, easy) != CURLM_OK {
            code = CURLE_FAILED_INIT
        }
        guard code == CURLE_OK else {
            let error = transportError(transfer, code)
            release(transfer, removeFromMulti: false)
            finished.append((transfer.id, transfer.continuation, .failure(error)))
            return
        }
        active[transfer.id] = transfer
        byHandle[easy] = transfer
    }

    /// Sets the transfer's options; the first failure's code, or CURLE_OK.
    private func configure(_ transfer: Transfer, _ request: HTTPRequest) -> CURLcode {
        let easy = transfer.easy
        let userdata = Unmanaged.passUnretained(transfer).toOpaque()
        var results: [CURLcode] = []
        func set(_ option: CURLoption, _ value: Int) { results.append(ccurl_easy_setopt_long(easy, option, value)) }

        results.append(ccurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(transfer.errorBuffer)))
        results.append(ccurl_easy_setopt_string(easy, CURLOPT_URL, request.url))
        results.append(ccurl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"))
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_TCP_KEEPALIVE, 1)
        set(CURLOPT_TCP_NODELAY, 1)
        set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        set(CURLOPT_CONNECTTIMEOUT_MS, 10_000)
        if request.timeout > 0 {
            set(CURLOPT_TIMEOUT_MS, max(1, Int((request.timeout * 1000).rounded(.up))))
        }
        results.append(ccurl_easy_setopt_write_callback(easy, curlWriteCallback))
        results.append(ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, userdata))
        results.append(ccurl_easy_setopt_header_callback(easy, curlHeaderCallback))
        results.append(ccurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, userdata))

        // Method and body. A body is sent when there is one, and always (perhaps empty, with
        // Content-Length: 0) for POST, PUT and PATCH; a bodiless GET or DELETE sends none.
        let method = request.method
        let sendsBody = !request.body.isEmpty || method == "POST" || method == "PUT" || method == "PATCH"
        if method == "HEAD" {
            set(CURLOPT_NOBODY, 1)
        } else if method == "GET" && !sendsBody {
            set(CURLOPT_HTTPGET, 1)
        } else if method != "POST" || !sendsBody {
            results.append(ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method))
        }
        if sendsBody && method != "HEAD" {
            results.append(ccurl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
            if transfer.upload != nil {
                // No seek callback on purpose: libcurl cannot rewind this body, so it never sends it twice.
                if method == "POST" { set(CURLOPT_POST, 1) } else { set(CURLOPT_UPLOAD, 1) }
                results.append(ccurl_easy_setopt_read_callback(easy, curlReadCallback))
                results.append(ccurl_easy_setopt_pointer(easy, CURLOPT_READDATA, userdata))
                if method != "POST" {
                    results.append(ccurl_easy_setopt_off_t(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(request.body.count)))
                }
            } else if request.body.isEmpty {
                results.append(ccurl_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, ""))
            } else {
                results.append(request.body.withUnsafeBytes { bytes in
                    ccurl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                })
            }
        }

        // Headers, plus "Expect:" (no 100-continue round trip) and, unless given, an empty Content-Type
        // (curl would otherwise add application/x-www-form-urlencoded to a POST).
        var lines = request.headers.map { $0.value.isEmpty ? "\($0.name);" : "\($0.name): \($0.value)" }
        let given = Set(request.headers.map { $0.name.lowercased() })
        if !given.contains("expect") { lines.append("Expect:") }
        if !given.contains("content-type") { lines.append("Content-Type:") }
        var list: UnsafeMutablePointer<curl_slist>?
        for line in lines {
            guard let appended = curl_slist_append(list, line) else {
                if let list { curl_slist_free_all(list) }
                return CURLE_OUT_OF_MEMORY
            }
            list = appended
        }
        if list != nil { headerLists += 1 }
        transfer.headerList = list
        results.append(ccurl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list))

        return results.first { $0 != CURLE_OK } ?? CURLE_OK
    }

    func cancel(_ id: UInt64) {
        guard let transfer = active[id] else { return }
        release(transfer, removeFromMulti: true)
        finished.append((transfer.id, transfer.continuation, .failure(CancellationError())))
    }

    func collectCompleted() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard ccurl_msg_kind(message) == CURLMSG_DONE, let easy = ccurl_msg_easy_handle(message) else { continue }
            let code = ccurl_msg_result(message)
            guard let transfer = byHandle[easy] else { continue }
            let result: Result<HTTPResponse, any Error>
            if code == CURLE_OK {
                var status = 0
                _ = ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
                result = .success(HTTPResponse(status: status, headers: transfer.headers, body: transfer.body))
            } else {
                result = .failure(transportError(transfer, code))
            }
            release(transfer, removeFromMulti: true)
            finished.append((transfer.id, transfer.continuation, result))
        }
    }

    func failAllActive() {
        for transfer in Array(active.values) {
            release(transfer, removeFromMulti: true)
            finished.append((transfer.id, transfer.continuation, .failure(HTTPTransportError(
                code: 0, reach: transfer.bodyHandedOver == false ? .notSent : .maybeSent, method: transfer.method,
                url: HTTPEventCore.redactedURL(transfer.url), detail: "HTTP client shut down"))))
        }
    }

    /// Frees every handle; the loop is unusable afterwards.
    func destroy() {
        failAllActive()
        for easy in pool { curl_easy_cleanup(easy) }
        easyHandles -= pool.count
        pool = []
        _ = curl_multi_cleanup(multi)
    }

    /// Takes the transfer off the multi handle, frees its header list and returns its easy handle to the pool.
    private func release(_ transfer: Transfer, removeFromMulti: Bool) {
        if removeFromMulti { _ = curl_multi_remove_handle(multi, transfer.easy) }
        active[transfer.id] = nil
        byHandle[transfer.easy] = nil
        if let list = transfer.headerList {
            curl_slist_free_all(list)
            transfer.headerList = nil
            headerLists -= 1
        }
        if pool.count < poolCapacity {
            curl_easy_reset(transfer.easy)
            pool.append(transfer.easy)
        } else {
            curl_easy_cleanup(transfer.easy)
            easyHandles -= 1
        }
    }

    /// libcurl's code, how far the request got, and "curl's text (detail)", never with a header value.
    private func transportError(_ transfer: Transfer, _ code: CURLcode) -> HTTPTransportError {
        var text = String(cString: curl_easy_strerror(code))
        let detail = String(cString: transfer.errorBuffer).trimmingCharacters(in: .whitespacesAndNewlines)
        if !detail.isEmpty && detail != text { text += " (\(detail))" }
        return HTTPTransportError(
            code: Int(code.rawValue), reach: HTTPTransportError.reach(code: code, bodyHandedOver: transfer.bodyHandedOver),
            method: transfer.method, url: HTTPEventCore.redactedURL(transfer.url), detail: text)
    }
}
