import FaastCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A worker's log file (its stdout and stderr, stamped by the trampoline), as faast reads and adds to it:
/// the lines for a call that never reached its END, and the last lines shown with a worker's death.
struct WorkerLog: Sendable {
    let path: String

    var url: String { "file://" + path }

    /// Marks a call that never reached its END line (killed or died). The trampoline holds a call's START
    /// line until the call prints, waits or ends, so a call killed before then gets its START line here,
    /// stamped with the time it began (`startedEpochMs`, 0 if unknown).
    func noteAborted(callId: String, function: String, startedEpochMs: Double, reason: String) {
        guard !callId.isEmpty else { return }
        let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var text = ""
        let marker = " \(callId) "
        if !tail(lines: 400).split(separator: "\n").contains(where: { $0.contains(marker) }) {
            let began = startedEpochMs > 0 ? startedEpochMs : MonotonicClock.epochMs()
            text += "\(Self.isoTime(epochMs: began))\(marker)START \(function)\n"
        }
        let reason = reason.split(separator: "\n").first ?? ""
        text += "\(Self.isoTime(epochMs: MonotonicClock.epochMs()))\(marker)ABORTED \(function): \(reason)\n"
        _ = text.withCString { write(fd, $0, strlen($0)) }
    }

    /// The error for a worker that ended during a call: its exit code or signal, and the last log lines.
    func exitError(code: Int32, function: String) -> FaastError {
        let recent = tail(lines: 200)
        let shown = recent.split(separator: "\n").suffix(8).joined(separator: "\n")
        let name = function.isEmpty ? "the worker" : function
        let how = code >= 0 ? "exited with code \(code)" : "was killed by signal \(Self.signalName(-code))"
        // V8 prints its verdict before a long native stack trace, so look further back than the tail shown.
        if recent.contains("heap out of memory") || recent.contains("OOMErrorHandler") || recent.contains("MemoryError") {
            return FaastError(.outOfMemory, "\(name) ran out of memory (the worker \(how))", logLocation: url)
        }
        var message = "\(name): the worker \(how) during the call"
        if !shown.isEmpty { message += "\nlast log lines:\n" + shown }
        return FaastError(.workerExited, message, logLocation: url)
    }

    /// The most lines `output(callId:)` returns (the last ones); the log has them all.
    static let maxOutputLines = 1000

    /// What call `callId` printed (stdout and stderr, in order, without the stamps and the START/END lines
    /// the trampoline writes around them), from the log's last 256 KB: the call has answered, so its lines
    /// are written. Nil when the log cannot be read.
    func output(callId: String) -> [String]? {
        guard let text = tail(bytes: 256 * 1024) else { return nil }
        let marker = callId + " "
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            // "<ISO time> <callId> <text>": the time has no space.
            guard let space = line.firstIndex(of: " ") else { continue }
            let rest = line[line.index(after: space)...]
            if rest.hasPrefix(marker) { lines.append(rest.dropFirst(marker.utf8.count)) }
        }
        if lines.first?.hasPrefix("START ") == true { lines.removeFirst() }
        if let last = lines.last, last.hasPrefix("END ") || last.hasPrefix("ABORTED ") { lines.removeLast() }
        return lines.suffix(Self.maxOutputLines).map(String.init)
    }

    /// The last `bytes` bytes of the log, from the start of a line.
    private func tail(bytes: UInt64) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > bytes ? size - bytes : 0)
        var text = String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
        if size > bytes, let nl = text.firstIndex(of: "\n") { text = String(text[text.index(after: nl)...]) }
        return text
    }

    /// The last `lines` lines of the log (reads at most its last 8 KB).
    func tail(lines: Int) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > 8192 ? size - 8192 : 0)
        let data = (try? handle.readToEnd()) ?? Data()
        let text = String(decoding: data, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: true).suffix(lines).joined(separator: "\n")
    }

    /// "2026-11-27T11:36:18.123Z", as the trampolines stamp their lines.
    static func isoTime(epochMs: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: epochMs / 1000))
    }

    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGTERM: "SIGTERM", SIGINT: "SIGINT",
            SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGFPE: "SIGFPE", SIGHUP: "SIGHUP", SIGPIPE: "SIGPIPE",
        ]
        return names[signal] ?? "\(signal)"
    }
}
