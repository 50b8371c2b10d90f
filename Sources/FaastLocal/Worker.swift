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
/// Requests go out on the worker's fd 3 and responses come back on its fd 4, read on the thread that waits
/// for them. A request may be sent while the call before it runs: the trampoline reads it when that call
/// has answered, so calls still run one at a time and in order. A worker that exits, times out or is
/// cancelled fails the running call exactly once and is never reused; calls waiting behind it never ran.
final class Worker: Sendable {
    let id: Int
    let pid: pid_t
    let logPath: String
    /// Bytes the request pipe holds: requests sent ahead stay within half of it, so a write never blocks
    /// while the worker may be blocked writing an answer.
    let requestPipeCapacity: Int
    private let requestFd: Int32
    private let responseFd: Int32
    private let state = Mutex(State())
    /// Guards the request descriptor: writes and the close never overlap, so a closed number that the
    /// system hands out again is never written to. True once closed.
    private let requestClosed = Mutex(false)

    private struct Call {
        var callId: String
        var function: String
        var timeout: Double
        /// When it began to run (epoch ms), once it is the oldest call in flight.
        var startedEpochMs = 0.0
    }

    private struct State {
        /// Calls sent and not yet answered, oldest first: the first one is running, the others wait in the pipe.
        var inFlight: [Call] = []
        /// Why the worker was stopped, if we stopped it (timeout, cancel, cleanup).
        var fault: FaastError?
        var dead = false
        var exitCode: Int32 = 0
        /// Monotonic deadline of the running call, 0 when idle.
        var deadlineNs: UInt64 = 0

        /// The oldest call in flight begins to run now.
        mutating func startFront() {
            guard !inFlight.isEmpty else {
                deadlineNs = 0
                return
            }
            inFlight[0].startedEpochMs = MonotonicClock.epochMs()
            deadlineNs = MonotonicClock.nanoseconds() + UInt64(max(0, inFlight[0].timeout) * 1e9)
        }
    }

    /// The response bytes read and not yet taken: `buffer[start..<end]`, of which the first `scanned` hold no
    /// newline. Used only by the thread that waits for an answer.
    private struct ReadState {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var start = 0
        var end = 0
        var scanned = 0
        /// When the last read returned (`MonotonicClock.seconds()`): when the lines it completed arrived.
        var readAt = 0.0
    }
    private let reader = Mutex(ReadState())
    /// Held while reaping, so the process is waited for exactly once.
    private let reaping = Mutex(false)

    private init(id: Int, pid: pid_t, logPath: String, requestFd: Int32, responseFd: Int32) {
        self.id = id
        self.pid = pid
        self.logPath = logPath
        self.requestFd = requestFd
        self.responseFd = responseFd
        requestPipeCapacity = Int(faast_pipe_capacity(requestFd))
    }

    deinit {
        closeRequest()
        close(responseFd)
    }

    /// Starts a worker process (without waiting for it to be ready).
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
        let (executable, directory, requestRead, responseWrite) = (launch.executable, launch.directory, request[0], response[1])
        let pid = Spawner.shared.run {
            withCStrings(argv) { cArgv in
                withCStrings(envp) { cEnvp in
                    faast_spawn_worker(executable, cArgv, cEnvp, directory, requestRead, responseWrite, logFd)
                }
            }
        }
        close(request[0])
        close(response[1])
        close(logFd)
        guard pid > 0 else {
            close(request[1]); close(response[0])
            throw FaastError(.deployFailed, "cannot start \(launch.executable): \(String(cString: strerror(-pid)))")
        }
        return Worker(id: id, pid: pid, logPath: logPath, requestFd: request[1], responseFd: response[0])
    }

    var isAlive: Bool { state.withLock { !$0.dead && $0.fault == nil } }
    var isBusy: Bool { state.withLock { !$0.inFlight.isEmpty } }

    /// Sends one request line (or none, to read the start-up line) and reads its response on the calling
    /// thread, which blocks until the response arrives or the worker ends: a stop (timeout, cancellation)
    /// kills the process, which ends the read. The response comes straight to the caller's thread.
    func exchangeBlocking(line: String?, callId: String, function: String, timeout: Double) throws(FaastError) -> WireResponse {
        try send(line: line, callId: callId, function: function, timeout: timeout)
        return try receive().response
    }

    /// Sends a request line, newline included (nil: none, to wait for the start-up line). The call runs once
    /// every call sent before it has answered; its timeout counts from then.
    func send(line: String?, callId: String, function: String, timeout: Double) throws(FaastError) {
        try state.withLock { s throws(FaastError) in
            if let fault = s.fault { throw fault }
            if s.dead { throw FaastError(.workerExited, "the worker is no longer running") }
            s.inFlight.append(Call(callId: callId, function: function, timeout: timeout))
            if s.inFlight.count == 1 { s.startFront() }
        }
        if let line, !writeAll(line) {
            // The worker is gone or going: the next read sees its end.
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
        }
    }

    /// Reads the answer of the oldest call in flight, on the calling thread; the next call starts running.
    /// If the worker ends first, this throws the running call's error, and the calls waiting behind it are
    /// dropped: they never ran.
    func receive() throws(FaastError) -> (response: WireResponse, arrivedAt: Double) {
        guard let front = state.withLock({ $0.inFlight.first }) else {
            throw FaastError(.transport, "no call in flight on this worker")
        }
        guard let (parsed, arrivedAt) = nextResponse() else {
            let code = reap() ?? 0
            state.withLock { s in
                s.inFlight.removeAll()
                s.deadlineNs = 0
            }
            if let fault = state.withLock({ $0.fault }) { throw fault }
            let error = exitError(code: code, function: front.function)
            noteAborted(front, reason: error.message)
            throw error
        }
        let message: WireResponse
        do {
            message = try WireProtocol.decode(try parsed.get())
        } catch {
            let why = (error as? FaastError)?.message ?? "\(error)"
            throw corrupted(FaastError(.transport, "unreadable response from the worker: \(why)", logLocation: logURL))
        }
        if let id = message.callId, !front.callId.isEmpty, !id.isEmpty, id != front.callId {
            throw corrupted(FaastError(.transport, "the worker answered \(id) while \(front.callId) was running "
                + "(something else writes to its response pipe, fd 4)", logLocation: logURL))
        }
        state.withLock { s in
            if !s.inFlight.isEmpty { s.inFlight.removeFirst() }
            s.startFront()
        }
        return (message, arrivedAt)
    }

    /// A response stream that cannot be trusted any more: the running call fails with `error`, and the worker
    /// is stopped, so that no later answer is taken for another call's.
    private func corrupted(_ error: FaastError) -> FaastError {
        state.withLock { s in
            if s.fault == nil { s.fault = error }
            s.inFlight.removeAll()
            s.deadlineNs = 0
        }
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        return error
    }

    /// The async form, for deploys and single calls: the blocking exchange on a thread of its own.
    func exchange(line: String?, callId: String, function: String, timeout: Double) async throws -> WireResponse {
        try await withTaskCancellationHandler {
            try await runOnThread { try self.exchangeBlocking(line: line, callId: callId, function: function, timeout: timeout) }
        } onCancel: {
            stop(because: FaastError(.cancelled, function.isEmpty ? "cancelled" : "\(function) was cancelled"))
        }
    }

    /// The next response line from the pipe, parsed where it lies in the read buffer, and when it arrived; nil
    /// at the pipe's end.
    private func nextResponse() -> (Result<JSONValue, JSONParseError>, Double)? {
        reader.withLock { r -> (Result<JSONValue, JSONParseError>, Double)? in
            while true {
                let (start, end, from) = (r.start, r.end, r.start + r.scanned)
                let newline = r.buffer.withUnsafeBufferPointer { p -> Int? in
                    var i = from
                    while i < end {
                        if p[i] == 0x0A { return i }
                        i += 1
                    }
                    return nil
                }
                if let newline {
                    r.start = newline + 1
                    r.scanned = 0
                    if newline == start { continue }  // an empty line
                    let result = r.buffer.withUnsafeBufferPointer { p in
                        Result { () throws(JSONParseError) in
                            try JSONParser.parseDocument(UnsafeBufferPointer(rebasing: p[start..<newline]))
                        }
                    }
                    if r.start == r.end {
                        r.start = 0
                        r.end = 0
                        // A large answer's room is not kept for the worker's lifetime.
                        if r.buffer.count > 1 << 20 { r.buffer = [UInt8](repeating: 0, count: 64 * 1024) }
                    }
                    return (result, r.readAt)
                }
                r.scanned = end - start
                if r.end == r.buffer.count {
                    if r.start > 0 {
                        // Move the partial line to the front.
                        let (s0, count) = (r.start, r.end - r.start)
                        r.buffer.withUnsafeMutableBufferPointer { p in
                            _ = memmove(p.baseAddress!, p.baseAddress! + s0, count)
                        }
                        r.start = 0
                        r.end = count
                    } else {
                        // A line longer than the buffer: double it.
                        r.buffer.append(contentsOf: repeatElement(0, count: r.buffer.count))
                    }
                }
                let (e0, room) = (r.end, r.buffer.count - r.end)
                let n = r.buffer.withUnsafeMutableBufferPointer { read(responseFd, $0.baseAddress! + e0, room) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { return nil }
                r.readAt = MonotonicClock.seconds()
                r.end += n
            }
        }
    }

    /// Waits for the process once; returns its exit code (or -signal).
    @discardableResult
    private func reap(blocking: Bool = true) -> Int32? {
        reaping.withLock { _ -> Int32? in
            if let code = state.withLock({ $0.dead ? $0.exitCode : nil }) { return code }
            var status: Int32 = 0
            var r: pid_t
            repeat { r = waitpid(pid, &status, blocking ? 0 : WNOHANG) } while r < 0 && errno == EINTR
            guard r == pid || (r < 0 && errno == ECHILD) else { return nil }
            let code = r == pid ? faast_wait_status_code(status) : 0
            state.withLock { s in
                s.dead = true
                s.exitCode = code
            }
            closeRequest()
            return code
        }
    }

    /// Fails the call in flight with `fault` and kills the worker (and anything it started).
    func stop(because fault: FaastError) {
        let running = state.withLock { s -> Call? in
            if s.fault == nil { s.fault = fault }
            s.deadlineNs = 0
            return s.inFlight.first
        }
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        if let running { noteAborted(running, reason: fault.message) }
    }

    /// Marks in the worker's log a call that never reached its END line (killed or died). The trampoline
    /// holds a call's START line until the call prints, waits or ends, so a call killed before then gets
    /// its START line here, stamped with the time it began.
    private func noteAborted(_ call: Call, reason: String) {
        guard !call.callId.isEmpty else { return }
        let fd = open(logPath, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var text = ""
        let marker = " \(call.callId) "
        if !Self.tail(ofFile: logPath, lines: 400).split(separator: "\n").contains(where: { $0.contains(marker) }) {
            let began = call.startedEpochMs > 0 ? call.startedEpochMs : MonotonicClock.epochMs()
            text += "\(Self.isoTime(epochMs: began))\(marker)START \(call.function)\n"
        }
        let reason = reason.split(separator: "\n").first ?? ""
        text += "\(Self.isoTime(epochMs: MonotonicClock.epochMs()))\(marker)ABORTED \(call.function): \(reason)\n"
        _ = text.withCString { write(fd, $0, strlen($0)) }
    }

    /// "2026-11-27T11:36:18.123Z", as the trampolines stamp their lines.
    static func isoTime(epochMs: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: epochMs / 1000))
    }

    /// Closes the request pipe so the worker exits by itself; kills it if it has not after `grace` seconds.
    func shutdown(grace: Double = 0.5) async {
        let busy = state.withLock { s -> Bool in
            if s.fault == nil { s.fault = FaastError(.cancelled, "the session was cleaned up") }
            return !s.inFlight.isEmpty
        }
        if busy { stop(because: FaastError(.cancelled, "the session was cleaned up")) }
        closeRequest()
        let deadline = MonotonicClock.seconds() + grace
        while MonotonicClock.seconds() < deadline {
            if reap(blocking: false) != nil { return }
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        reap()
    }

    /// Stops the call in flight if its deadline has passed (called by the provider's watchdog).
    func enforceDeadline(now: UInt64) {
        let expired = state.withLock { s -> (String, Double)? in
            guard s.deadlineNs != 0, now >= s.deadlineNs, let running = s.inFlight.first else { return nil }
            return (running.function, running.timeout)
        }
        guard let (function, seconds) = expired else { return }
        let name = function.isEmpty ? "the worker" : function
        stop(because: FaastError(.timeout, "\(name) exceeded its \(Self.format(seconds)) s timeout", logLocation: logURL))
    }

    var logURL: String { "file://" + logPath }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
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


/// Runs a blocking body on a thread of its own and awaits its result.
func runOnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 512 * 1024
        thread.start()
    }
}

/// The one long-lived thread that forks every worker. PR_SET_PDEATHSIG fires when the *thread* that forked
/// the child exits, not the process: a worker forked from a lane thread or a pool thread that later ends
/// would be killed with it.
final class Spawner: Sendable {
    static let shared = Spawner()
    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let wake = DispatchSemaphore(value: 0)

    private init() {
        let thread = Thread { [self] in
            // Workers inherit this thread's CPUs: every allowed one, even when a bound lane started this thread.
            _ = faast_bind_cpu(0, -1)
            while true {
                wake.wait()
                for job in jobs.withLock({ j -> [@Sendable () -> Void] in defer { j = [] }; return j }) { job() }
            }
        }
        thread.name = "faast-spawner"
        thread.stackSize = 512 * 1024
        thread.start()
    }

    /// Runs `body` on the spawner thread and returns its result.
    func run(_ body: @escaping @Sendable () -> pid_t) -> pid_t {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<pid_t>(0)
        jobs.withLock { $0.append { result.withLock { $0 = body() }; done.signal() } }
        wake.signal()
        done.wait()
        return result.withLock { $0 }
    }
}
