import CFaastSys
import FaastCore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// How a worker is started: the interpreter command line and its environment.
struct WorkerLaunch: Sendable {
    var executable: String
    var arguments: [String]
    var environment: [String: String]
    var directory: String
    var logDirectory: String
}

/// One warm worker process: a node or python trampoline that runs one call at a time.
///
/// Requests go out on the worker's fd 3, responses come back on its fd 4, read by a thread of its own that
/// decodes each line and resumes the waiting call. A worker that exits, times out or is cancelled fails the
/// call in flight exactly once and is never reused.
final class Worker: Sendable {
    let id: Int
    let pid: pid_t
    let logPath: String
    private let requestFd: Int32
    private let responseFd: Int32
    private let state = Mutex(State())
    /// Guards the request descriptor: writes and the close never overlap, so a closed number that the
    /// system hands out again is never written to. True once closed.
    private let requestClosed = Mutex(false)

    private struct Pending {
        var continuation: CheckedContinuation<WireResponse, any Error>
        var callId: String
        var function: String
    }

    private struct State {
        var pending: Pending?
        /// Messages that arrived while nobody waited (the ready line can beat its waiter).
        var early: [WireResponse] = []
        /// Why the worker was stopped, if we stopped it (timeout, cancel, cleanup).
        var fault: FaastError?
        var exitCode: Int32?
        var dead = false
        /// Monotonic deadline of the call in flight, 0 when idle.
        var deadlineNs: UInt64 = 0
        var timeoutSeconds = 0.0
    }

    private init(id: Int, pid: pid_t, logPath: String, requestFd: Int32, responseFd: Int32) {
        self.id = id
        self.pid = pid
        self.logPath = logPath
        self.requestFd = requestFd
        self.responseFd = responseFd
    }

    /// Starts a worker process and its reader thread (without waiting for it to be ready).
    static func spawn(id: Int, launch: WorkerLaunch) throws(FaastError) -> Worker {
        var request: [Int32] = [0, 0]
        var response: [Int32] = [0, 0]
        guard faast_pipe(&request) == 0 else { throw FaastError(.deployFailed, "cannot create a pipe: \(String(cString: strerror(errno)))") }
        guard faast_pipe(&response) == 0 else {
            close(request[0]); close(request[1])
            throw FaastError(.deployFailed, "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        let logPath = "\(launch.logDirectory)/worker-\(id).log"
        let logFd = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard logFd >= 0 else {
            [request[0], request[1], response[0], response[1]].forEach { close($0) }
            throw FaastError(.deployFailed, "cannot open the worker log \(logPath): \(String(cString: strerror(errno)))")
        }
        let argv = [launch.executable] + launch.arguments
        let envp = launch.environment.map { "\($0.key)=\($0.value)" }
        let pid = withCStrings(argv) { cArgv in
            withCStrings(envp) { cEnvp in
                faast_spawn_worker(launch.executable, cArgv, cEnvp, launch.directory, request[0], response[1], logFd)
            }
        }
        close(request[0])
        close(response[1])
        close(logFd)
        guard pid > 0 else {
            close(request[1]); close(response[0])
            throw FaastError(.deployFailed, "cannot start \(launch.executable): \(String(cString: strerror(-pid)))")
        }
        let worker = Worker(id: id, pid: pid, logPath: logPath, requestFd: request[1], responseFd: response[0])
        ResponseLoop.shared.watch(worker)
        return worker
    }

    var isAlive: Bool { state.withLock { !$0.dead && $0.fault == nil } }

    /// Waits for the next unsolicited message (the ready or load-error line at start-up).
    func nextMessage(timeout: Double) async throws -> WireResponse {
        try await exchange(line: nil, callId: "", function: "", timeout: timeout)
    }

    /// Sends one request line and waits for its response.
    /// Throws `FaastError` (timeout, cancelled, workerExited, outOfMemory, transport).
    func exchange(line: String?, callId: String, function: String, timeout: Double) async throws -> WireResponse {
        try await withTaskCancellationHandler {
            let response = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<WireResponse, any Error>) in
                let immediate: Result<WireResponse, FaastError>? = state.withLock { s in
                    if let fault = s.fault { return .failure(fault) }
                    if line == nil, !s.early.isEmpty { return .success(s.early.removeFirst()) }
                    if s.dead { return .failure(FaastError(.workerExited, "the worker is no longer running")) }
                    s.pending = Pending(continuation: continuation, callId: callId, function: function)
                    s.timeoutSeconds = timeout
                    s.deadlineNs = MonotonicClock.nanoseconds() + UInt64(max(0, timeout) * 1e9)
                    return nil
                }
                if let immediate {
                    continuation.resume(with: immediate.mapError { $0 as any Error })
                    return
                }
                if let line, !writeAll(line + "\n") {
                    // The reader sees the end of the pipe and reports how the worker ended.
                    kill(-pid, SIGKILL)
                }
            }
            return response
        } onCancel: {
            stop(because: FaastError(.cancelled, function.isEmpty ? "cancelled" : "\(function) was cancelled"))
        }
    }

    /// Fails the call in flight with `fault` and kills the worker (and anything it started).
    func stop(because fault: FaastError) {
        let pending = state.withLock { s -> Pending? in
            if s.fault == nil { s.fault = fault }
            let p = s.pending
            s.pending = nil
            s.deadlineNs = 0
            return p
        }
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        if let pending { noteAborted(pending, reason: fault.message) }
        pending?.continuation.resume(throwing: fault)
    }

    /// The trampoline writes a call's START line with its first output or its END line; a call that never
    /// got there is marked in the log by the host, so the log still says which call the worker was running.
    private func noteAborted(_ pending: Pending, reason: String) {
        guard !pending.callId.isEmpty else { return }
        let fd = open(logPath, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let stamp = formatter.string(from: Date())
        let line = "\(stamp) \(pending.callId) ABORTED \(pending.function): \(reason.split(separator: "\n").first ?? "")\n"
        _ = line.withCString { write(fd, $0, strlen($0)) }
    }

    /// Closes the request pipe so the worker exits by itself; kills it if it has not after `grace` seconds.
    func shutdown(grace: Double = 0.5) async {
        let busy = state.withLock { s -> Bool in
            if s.fault == nil { s.fault = FaastError(.cancelled, "the session was cleaned up") }
            return s.pending != nil
        }
        if busy { stop(because: FaastError(.cancelled, "the session was cleaned up")) }
        closeRequest()
        let deadline = MonotonicClock.seconds() + grace
        while MonotonicClock.seconds() < deadline {
            if state.withLock({ $0.dead }) { return }
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
    }

    /// Stops the call in flight if its deadline has passed (called by the provider's watchdog).
    func enforceDeadline(now: UInt64) {
        let expired = state.withLock { s -> (String, Double)? in
            guard s.deadlineNs != 0, now >= s.deadlineNs, let p = s.pending else { return nil }
            return (p.function, s.timeoutSeconds)
        }
        guard let (function, seconds) = expired else { return }
        let name = function.isEmpty ? "the worker" : function
        stop(because: FaastError(.timeout, "\(name) exceeded its \(Self.format(seconds)) s timeout", logLocation: logURL))
    }

    var logURL: String { "file://" + logPath }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }

    // MARK: - Reading

    /// Partial line carried between reads; touched only by the response loop's thread.
    private let partial = Mutex<[UInt8]>([])

    /// Reads what the worker has written (called by the response loop when the pipe is readable).
    /// Returns false at the end of the pipe: the worker has exited.
    func readAvailable(into chunk: inout [UInt8]) -> Bool {
        while true {
            let n = chunk.withUnsafeMutableBytes { read(responseFd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return errno == EAGAIN || errno == EWOULDBLOCK
            }
            if n == 0 { return false }
            partial.withLock { buffer in
                var start = 0
                chunk.withUnsafeBufferPointer { bytes in
                    for i in 0..<n where bytes[i] == 0x0A {
                        if buffer.isEmpty {
                            deliver(UnsafeBufferPointer(rebasing: bytes[start..<i]))
                        } else {
                            buffer.append(contentsOf: bytes[start..<i])
                            buffer.withUnsafeBufferPointer { deliver($0) }
                            buffer.removeAll(keepingCapacity: true)
                        }
                        start = i + 1
                    }
                    if start < n { buffer.append(contentsOf: bytes[start..<n]) }
                }
            }
            if n < chunk.count { return true }
        }
    }

    var responseDescriptor: Int32 { responseFd }

    /// After the end of the pipe: reaps the process and fails the call in flight with how it ended.
    /// Runs on a thread of its own, since the process may take a moment to become reapable.
    func finishAfterExit() {
        close(responseFd)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let code = faast_wait_status_code(status)
        let pending = state.withLock { s -> Pending? in
            s.dead = true
            s.exitCode = code
            let p = s.pending
            s.pending = nil
            s.deadlineNs = 0
            return s.fault == nil ? p : nil
        }
        closeRequest()
        if let pending {
            let error = exitError(code: code, function: pending.function)
            noteAborted(pending, reason: error.message)
            pending.continuation.resume(throwing: error)
        }
    }

    private func deliver(_ line: UnsafeBufferPointer<UInt8>) {
        if line.isEmpty { return }
        let message: Result<WireResponse, FaastError>
        do {
            message = .success(try WireProtocol.decode(try JSONParser.parseDocument(line)))
        } catch let e as FaastError {
            message = .failure(e)
        } catch {
            message = .failure(FaastError(.transport, "unreadable response from the worker: \(error)"))
        }
        let pending = state.withLock { s -> Pending? in
            guard let p = s.pending else {
                if case .success(let m) = message { s.early.append(m) }
                return nil
            }
            s.pending = nil
            s.deadlineNs = 0
            return p
        }
        guard let pending else { return }
        switch message {
        case .success(let m):
            if case .failed(let callId, _, _, _) = m, callId != pending.callId, !pending.callId.isEmpty {
                pending.continuation.resume(throwing: FaastError(.transport, "response for \(callId) while waiting for \(pending.callId)"))
            } else {
                pending.continuation.resume(returning: m)
            }
        case .failure(let e):
            pending.continuation.resume(throwing: e)
        }
    }

    /// The error for a worker that ended during a call: its exit code or signal, and the last log lines.
    private func exitError(code: Int32, function: String) -> FaastError {
        let recent = Self.tail(ofFile: logPath, lines: 200)
        let tail = recent.split(separator: "\n").suffix(8).joined(separator: "\n")
        let name = function.isEmpty ? "the worker" : function
        let how = code >= 0 ? "exited with code \(code)" : "was killed by signal \(Self.signalName(-code))"
        // V8 prints its verdict before a long native stack trace, so look further back than the tail shown.
        if recent.contains("heap out of memory") || recent.contains("OOMErrorHandler") || recent.contains("MemoryError") {
            return FaastError(.outOfMemory, "\(name) ran out of memory (the worker \(how))", logLocation: logURL)
        }
        var message = "\(name): the worker \(how) during the call"
        if !tail.isEmpty { message += "\nlast log lines:\n" + tail }
        return FaastError(.workerExited, message, logLocation: logURL)
    }

    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGTERM: "SIGTERM", SIGINT: "SIGINT",
            SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGFPE: "SIGFPE", SIGHUP: "SIGHUP", SIGPIPE: "SIGPIPE",
        ]
        return names[signal] ?? "\(signal)"
    }

    /// The last `lines` lines of a file (reads at most its last 8 KB).
    static func tail(ofFile path: String, lines: Int) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > 8192 ? size - 8192 : 0)
        let data = (try? handle.readToEnd()) ?? Data()
        let text = String(decoding: data, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: true).suffix(lines).joined(separator: "\n")
    }

    // MARK: - Writing

    private func closeRequest() {
        requestClosed.withLock { closed in
            if !closed { close(requestFd) }
            closed = true
        }
    }

    private func writeAll(_ text: String) -> Bool {
        var text = text
        return requestClosed.withLock { closed in
            if closed { return false }
            return text.withUTF8 { buf in
            var offset = 0
            while offset < buf.count {
                let n = write(requestFd, buf.baseAddress! + offset, buf.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
            }
        }
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers = strings.map { strdup($0) }
    pointers.append(nil)
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}


/// One thread that reads every worker's responses through epoll: a burst of responses from several
/// workers costs one wake-up, not one per worker thread.
final class ResponseLoop: Sendable {
    static let shared = ResponseLoop()
    private let epfd: Int32
    private let workers = Mutex<[Int32: Worker]>([:])

    private init() {
        epfd = faast_epoll_create()
        let thread = Thread { [self] in run() }
        thread.name = "faast-responses"
        thread.start()
    }

    func watch(_ worker: Worker) {
        let fd = worker.responseDescriptor
        workers.withLock { $0[fd] = worker }
        if faast_epoll_add(epfd, fd) != 0 {
            // Cannot watch it: treat it as gone, so the call fails instead of hanging.
            workers.withLock { $0[fd] = nil }
            Thread { worker.finishAfterExit() }.start()
        }
    }

    private func run() {
        var ready = [Int32](repeating: 0, count: 64)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = ready.withUnsafeMutableBufferPointer { faast_epoll_wait(epfd, $0.baseAddress, 64, -1) }
            if n <= 0 { continue }
            for i in 0..<Int(n) {
                let fd = ready[i]
                guard let worker = workers.withLock({ $0[fd] }) else { continue }
                if !worker.readAvailable(into: &chunk) {
                    // End of the pipe: stop watching before the descriptor is closed (and its number reused).
                    _ = faast_epoll_remove(epfd, fd)
                    workers.withLock { $0[fd] = nil }
                    Thread { worker.finishAfterExit() }.start()
                }
            }
        }
    }
}
