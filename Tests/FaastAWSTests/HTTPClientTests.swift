import CCurl
import FaastCore
import Foundation
import Synchronization
import Testing

@testable import FaastAWS

/// The HTTP client against a real local server: a Python `ThreadingHTTPServer` (HTTP/1.1 keep-alive) started once
/// for the suite. Its source is below rather than in a `.py` file next to this one, which SwiftPM would report as
/// an unhandled file of the test target.
enum TestHTTPServer {
    /// The server's port; the server starts on first use and exits when this process does (its stdin closes).
    static let port: Int = start()

    static func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    private static let retained = Mutex<[Pipe]>([])

    private static func start() -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, "0"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        do { try process.run() } catch { fatalError("cannot start the test HTTP server: \(error)") }
        retained.withLock { $0 = [input, output] }  // the write end of stdin stays open for the process's life
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { fatalError("the test HTTP server exited before listening") }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else {
            fatalError("unexpected first line from the test HTTP server: \(text)")
        }
        return port
    }

    static let script = #"""
#!/usr/bin/env python3
"""A small HTTP/1.1 keep-alive server for HTTPClientTests.

Usage: http_test_server.py PORT   (0 picks a free port)
Prints "PORT <n>" on stdout once it listens; exits when stdin closes (the test process ended).

Routes (any method):
  /status/<code>       respond with that status and the echo body
  /sleep?ms=<n>        sleep, then echo with "start"/"end" timestamps (seconds, float)
  /big?bytes=<n>       n bytes, byte i = i % 251
  /interim             an unsolicited "100 Continue" (with an X-Interim header) before the echo
  /connections?key=<k> number of distinct client ports seen on requests carrying "X-Conn-Key: <k>"
  /reset?key=<k>       reads the whole request, counts it under <k>, then aborts the connection (TCP RST)
  /count?key=<k>       how many /reset requests with <k> arrived
  anything else        echo: {"method", "path", "headers": [[name, value], ...], "body_b64", "body_len"}
"""
import base64
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

connections = {}
connections_lock = threading.Lock()
resets = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format, *args):
        pass

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _handle(self):
        start = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        key = self.headers.get("X-Conn-Key")
        if key:
            with connections_lock:
                connections.setdefault(key, set()).add(self.client_address[1])
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        status = 200
        payload = None
        if url.path.startswith("/status/"):
            status = int(url.path[len("/status/"):])
        elif url.path == "/sleep":
            time.sleep(int(query.get("ms", ["0"])[0]) / 1000.0)
        elif url.path == "/big":
            n = int(query.get("bytes", ["0"])[0])
            pattern = bytes(i % 251 for i in range(251))
            payload = (pattern * (n // 251 + 1))[:n]
        elif url.path == "/interim":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n")
        elif url.path == "/reset":
            with connections_lock:
                k = query.get("key", [""])[0]
                resets[k] = resets.get(k, 0) + 1
            import socket, struct
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        elif url.path == "/count":
            with connections_lock:
                payload = json.dumps(resets.get(query.get("key", [""])[0], 0)).encode()
        elif url.path == "/connections":
            with connections_lock:
                payload = json.dumps(len(connections.get(query.get("key", [""])[0], ()))).encode()
        if payload is None:
            payload = json.dumps({
                "method": self.command,
                "path": self.path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body_b64": base64.b64encode(body).decode(),
                "body_len": len(body),
                "start": start,
                "end": time.time(),
            }).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Multi", "one")
        self.send_header("X-Multi", "two")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512


def main():
    server = Server(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0), Handler)
    print("PORT %d" % server.server_address[1], flush=True)

    def watch_stdin():
        while sys.stdin.buffer.read(4096):
            pass
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
"""#
}

/// What the server's echo route returns.
struct Echo: Decodable {
    let method: String
    let path: String
    let headers: [[String]]
    let body_b64: String
    let body_len: Int
    let start: Double
    let end: Double

    func header(_ name: String) -> String? {
        headers.first { $0[0].lowercased() == name.lowercased() }?[1]
    }

    var body: [UInt8] { [UInt8](Data(base64Encoded: body_b64) ?? Data()) }

    init(_ response: HTTPResponse) throws {
        self = try JSONDecoder().decode(Echo.self, from: Data(response.body))
    }
}

@Suite(.serialized)
struct HTTPClientTests {
    let client = HTTPClient()

    @Test func getEchoesMethodPathAndHeadersWithoutBody() async throws {
        let response = try await client.send(HTTPRequest(
            method: "GET", url: TestHTTPServer.url("/echo?a=1&b=%20x"),
            headers: [(name: "X-Custom", value: "hello world"), (name: "X-Empty", value: "")]))
        #expect(response.status == 200)
        let echo = try Echo(response)
        #expect(echo.method == "GET")
        #expect(echo.path == "/echo?a=1&b=%20x")
        #expect(echo.header("X-Custom") == "hello world")
        #expect(echo.header("X-Empty") == "")
        #expect(echo.header("Content-Length") == nil)
        #expect(echo.header("Transfer-Encoding") == nil)
        #expect(echo.header("Expect") == nil)
        #expect(echo.body_len == 0)
        // Response headers: names lowercased, in order, repeated ones kept; lookup case-insensitive.
        #expect(response.header("CONTENT-TYPE") == "application/json")
        #expect(response.header("x-multi") == "one")
        #expect(response.headers.filter { $0.name == "x-multi" }.map(\.value) == ["one", "two"])
        #expect(response.headers.allSatisfy { $0.name == $0.name.lowercased() })
        #expect(response.header("content-length") == String(response.body.count))
    }

    @Test func postSendsBinaryAndUTF8BodyExactly() async throws {
        let body: [UInt8] = [0, 1, 2, 0xFF, 0xFE, 13, 10, 0] + Array("héllo ✓ 日本".utf8) + [0]
        let response = try await client.send(HTTPRequest(
            method: "POST", url: TestHTTPServer.url("/post"),
            headers: [(name: "Content-Type", value: "application/octet-stream")], body: body))
        let echo = try Echo(response)
        #expect(echo.method == "POST")
        #expect(echo.body == body)
        #expect(echo.header("Content-Length") == String(body.count))
        #expect(echo.header("Content-Type") == "application/octet-stream")
        #expect(echo.header("Expect") == nil)
    }

    @Test func postWithoutContentTypeGetsNoFormDefault() async throws {
        let body = Array(#"{"k":"v"}"#.utf8)
        let echo = try Echo(try await client.send(HTTPRequest(method: "POST", url: TestHTTPServer.url("/p"), body: body)))
        #expect(echo.body == body)
        #expect(echo.header("Content-Type") == nil)
    }

    @Test func emptyPostSendsContentLengthZero() async throws {
        let echo = try Echo(try await client.send(HTTPRequest(method: "POST", url: TestHTTPServer.url("/empty"))))
        #expect(echo.method == "POST")
        #expect(echo.header("Content-Length") == "0")
        #expect(echo.body_len == 0)
    }

    @Test func putAndDeleteEcho() async throws {
        let body = Array("put ✓ body".utf8) + [0, 0xC3]
        let put = try Echo(try await client.send(HTTPRequest(method: "PUT", url: TestHTTPServer.url("/put"), body: body)))
        #expect(put.method == "PUT")
        #expect(put.body == body)

        let delete = try Echo(try await client.send(HTTPRequest(
            method: "DELETE", url: TestHTTPServer.url("/thing/1"), headers: [(name: "X-Id", value: "42")])))
        #expect(delete.method == "DELETE")
        #expect(delete.path == "/thing/1")
        #expect(delete.header("X-Id") == "42")
        #expect(delete.header("Content-Length") == nil)
        #expect(delete.body_len == 0)

        let deleteWithBody = try Echo(try await client.send(HTTPRequest(
            method: "DELETE", url: TestHTTPServer.url("/thing/2"), body: [1, 2, 3])))
        #expect(deleteWithBody.method == "DELETE")
        #expect(deleteWithBody.body == [1, 2, 3])
    }

    @Test func headHasNoBody() async throws {
        let response = try await client.send(HTTPRequest(method: "HEAD", url: TestHTTPServer.url("/head")))
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
        #expect(response.header("content-type") == "application/json")
    }

    @Test func interimResponseHeadersAreDropped() async throws {
        let response = try await client.send(HTTPRequest(method: "POST", url: TestHTTPServer.url("/interim"), body: [7]))
        #expect(response.status == 200)
        #expect(response.header("x-interim") == nil)
        #expect(response.header("content-type") == "application/json")
        #expect(try Echo(response).body == [7])
    }

    @Test func errorStatusIsAResponse() async throws {
        let response = try await client.send(HTTPRequest(method: "POST", url: TestHTTPServer.url("/status/503"), body: [1]))
        #expect(response.status == 503)
        #expect(try Echo(response).method == "POST")
        let notFound = try await client.send(HTTPRequest(method: "GET", url: TestHTTPServer.url("/status/404")))
        #expect(notFound.status == 404)
    }

    @Test func largeBodyArrivesIntact() async throws {
        let size = 5_000_000
        let response = try await client.send(HTTPRequest(method: "GET", url: TestHTTPServer.url("/big?bytes=\(size)")))
        #expect(response.status == 200)
        #expect(response.body.count == size)
        let intact = response.body.indices.allSatisfy { response.body[$0] == UInt8($0 % 251) }
        #expect(intact)
    }

    @Test func largeRequestBodySentIntact() async throws {
        let body = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let echo = try Echo(try await client.send(HTTPRequest(method: "PUT", url: TestHTTPServer.url("/upload"), body: body)))
        #expect(echo.body_len == body.count)
        #expect(echo.body == body)
    }

    @Test func concurrentRequestsOverlapOnOneThread() async throws {
        let started = ContinuousClock.now
        let echoes = try await withThrowingTaskGroup(of: Echo.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    try Echo(try await client.send(HTTPRequest(method: "GET", url: TestHTTPServer.url("/sleep?ms=200"))))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let elapsed = ContinuousClock.now - started
        #expect(echoes.count == 200)
        #expect(elapsed < .seconds(10), "200 × 200 ms took \(elapsed)")
        #expect(client.stats().threadsStarted == 1)
        // Server-side intervals: how many requests were being served at once at the busiest moment.
        var events: [(time: Double, delta: Int)] = []
        for echo in echoes {
            events.append((time: echo.start, delta: 1))
            events.append((time: echo.end, delta: -1))
        }
        events.sort { a, b in a.time < b.time || (a.time == b.time && a.delta < b.delta) }
        var current = 0
        var peak = 0
        for event in events {
            current += event.delta
            peak = max(peak, current)
        }
        #expect(peak >= 20, "at most \(peak) requests overlapped")
    }

    @Test func sequentialRequestsReuseConnections() async throws {
        let key = UUID().uuidString
        for index in 0..<50 {
            let response = try await client.send(HTTPRequest(
                method: index % 2 == 0 ? "GET" : "POST", url: TestHTTPServer.url("/seq/\(index)"),
                headers: [(name: "X-Conn-Key", value: key)], body: index % 2 == 0 ? [] : [UInt8(index)]))
            #expect(response.status == 200)
        }
        let count = try await client.send(HTTPRequest(method: "GET", url: TestHTTPServer.url("/connections?key=\(key)")))
        let connections = Int(count.bodyText) ?? -1
        #expect(connections >= 1 && connections <= 3, "50 sequential requests used \(connections) connections")
    }

    /// libcurl sends a request again on its own when a reused connection dies before any answer. For a
    /// request that may have run (idempotent: false) that must not happen: it fails as maybeSent, and the
    /// server saw it once. The same request marked idempotent shows the re-send this guards against.
    @Test(arguments: [false, true])
    func deadReusedConnectionResendsOnlyIdempotentRequests(idempotent: Bool) async throws {
        let client = HTTPClient(maxConnectionsPerHost: 1)
        defer { client.shutdown() }
        let key = UUID().uuidString
        // Warm up the one connection, so that the next request reuses it.
        #expect(try await client.send(HTTPRequest(method: "GET", url: TestHTTPServer.url("/warm"))).status == 200)
        var error: HTTPTransportError?
        do {
            _ = try await client.send(HTTPRequest(
                method: "POST", url: TestHTTPServer.url("/reset?key=\(key)"), body: Array("{\"callId\":\"c1\"}".utf8),
                idempotent: idempotent))
        } catch let e as HTTPTransportError {
            error = e
        }
        let seen = try await client.send(HTTPRequest(method: "GET", url: TestHTTPServer.url("/count?key=\(key)")))
        if idempotent {
            #expect(Int(seen.bodyText) == 2, "libcurl re-sent the request on a fresh connection")
        } else {
            #expect(Int(seen.bodyText) == 1, "a request that may have run was sent again")
            #expect(error?.reach == .maybeSent)
        }
        #expect(error != nil)
    }

    @Test func bodyNotHandedOverIsNotSent() async throws {
        let client = HTTPClient()
        defer { client.shutdown() }
        let error = await #expect(throws: HTTPTransportError.self) {
            try await client.send(HTTPRequest(method: "POST", url: "http://127.0.0.1:1/x", body: [1, 2], idempotent: false))
        }
        #expect(error?.reach == .notSent)
    }

    @Test func timeoutThrowsTransport() async throws {
        let started = ContinuousClock.now
        let error = await #expect(throws: HTTPTransportError.self) {
            try await client.send(HTTPRequest(
                method: "GET", url: TestHTTPServer.url("/sleep?ms=3000"),
                headers: [(name: "Authorization", value: "secret-TIMEOUT")], timeout: 0.3))
        }
        // The server would answer after 3 s; failing before it did shows the timeout acted.
        #expect(ContinuousClock.now - started < .seconds(2.9))
        #expect(error?.code == Int(CURLE_OPERATION_TIMEDOUT.rawValue))
        #expect(error?.reach == .maybeSent)
        #expect(!(error?.description.contains("secret-TIMEOUT") ?? true))
    }

    @Test func closedPortThrowsTransport() async throws {
        let error = await #expect(throws: HTTPTransportError.self) {
            try await client.send(HTTPRequest(method: "POST", url: "http://127.0.0.1:1/x", body: [1, 2]))
        }
        #expect(error?.code == Int(CURLE_COULDNT_CONNECT.rawValue))
        #expect(error?.reach == .notSent)
        #expect(error?.description.hasPrefix("POST http://127.0.0.1:1/x: ") == true, "\(error?.description ?? "")")
    }

    @Test func errorMessageNeverContainsHeaderValues() async throws {
        let error = await #expect(throws: HTTPTransportError.self) {
            try await client.send(HTTPRequest(
                method: "GET", url: "http://127.0.0.1:1/x?X-Amz-Signature=sig-QUERY",
                headers: [(name: "Authorization", value: "secret-XYZ"), (name: "X-Amz-Security-Token", value: "token-ABC")]))
        }
        let message = error?.description ?? ""
        #expect(!message.contains("secret-XYZ"))
        #expect(!message.contains("token-ABC"))
        #expect(!message.contains("sig-QUERY"))
        #expect(message.contains("127.0.0.1:1/x"))
    }

    @Test func cancellationStopsTheTransferPromptly() async throws {
        let client = self.client
        let task = Task {
            try await client.send(HTTPRequest(method: "GET", url: TestHTTPServer.url("/sleep?ms=20000")))
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(client.stats().activeTransfers == 1)
        let cancelled = ContinuousClock.now
        task.cancel()
        let result = await task.result
        // The server would answer after 20 s: ending well before shows the transfer was dropped.
        #expect(ContinuousClock.now - cancelled < .seconds(10))
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(client.stats().activeTransfers == 0)
        // The client still works afterwards.
        #expect(try await client.send(HTTPRequest(method: "GET", url: TestHTTPServer.url("/after"))).status == 200)
    }

    @Test func alreadyCancelledTaskSendsNothing() async throws {
        let client = self.client
        let key = UUID().uuidString
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await client.send(HTTPRequest(
                method: "GET", url: TestHTTPServer.url("/never"), headers: [(name: "X-Conn-Key", value: key)]))
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        let count = try await client.send(HTTPRequest(method: "GET", url: TestHTTPServer.url("/connections?key=\(key)")))
        #expect(count.bodyText == "0")
    }

    @Test func invalidHeaderIsRejectedWithoutItsValue() async throws {
        let error = await #expect(throws: FaastError.self) {
            try await client.send(HTTPRequest(
                method: "GET", url: TestHTTPServer.url("/x"), headers: [(name: "X-Bad", value: "secret-NL\r\nInjected: 1")]))
        }
        #expect(error?.kind == .invalidArgument)
        #expect(!(error?.message.contains("secret-NL") ?? true))
    }

    @Test func shutdownFailsPendingAndLaterRequests() async throws {
        let client = HTTPClient()
        let pending = Task {
            try await client.send(HTTPRequest(method: "GET", url: TestHTTPServer.url("/sleep?ms=5000")))
        }
        try await Task.sleep(for: .milliseconds(300))
        client.shutdown()
        let error = await #expect(throws: HTTPTransportError.self) { try await pending.value }
        #expect(error?.detail == "HTTP client shut down")
        let later = await #expect(throws: HTTPTransportError.self) {
            try await client.send(HTTPRequest(method: "GET", url: TestHTTPServer.url("/x")))
        }
        #expect(later?.reach == .notSent)
    }

    @Test func manyRequestsKeepHandlesBounded() async throws {
        let total = 2_000
        let batch = 100
        for start in stride(from: 0, to: total, by: batch) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in start..<(start + batch) {
                    group.addTask {
                        let response = try await client.send(HTTPRequest(
                            method: index % 3 == 0 ? "POST" : "GET", url: TestHTTPServer.url("/m/\(index)"),
                            headers: [(name: "X-Index", value: String(index))], body: index % 3 == 0 ? [1, 2, 3] : []))
                        #expect(response.status == 200)
                    }
                }
                try await group.waitForAll()
            }
        }
        let stats = client.stats()
        #expect(stats.finishedTransfers == total)
        #expect(stats.activeTransfers == 0)
        #expect(stats.headerLists == 0)
        #expect(stats.easyHandles == stats.pooledHandles)
        #expect(stats.pooledHandles <= 32)
        #expect(stats.threadsStarted == 1)
    }
}
