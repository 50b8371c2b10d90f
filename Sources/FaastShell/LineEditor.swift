import CEditLine
import CFaastSys
import FaastCore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What reading a line at the prompt produced.
enum LineEvent: Sendable {
    case line(String)
    /// Ctrl-D on an empty line.
    case endOfInput
    /// Ctrl-C: the line was cleared.
    case interrupted
    /// SIGTERM or SIGHUP.
    case terminated
}

/// The session facts tab completion reads; updated by the REPL after every command. A global because
/// libedit's completion callback is a C function pointer with no context argument; the Mutex makes the REPL's
/// write (between commands) and the callback's read (on the line editor's thread) safe. See Signals.swift
/// for the shell's threads.
let completionContext = Mutex(CompletionContext())
/// The line libedit's callback handed over.
private let acceptedLine = Mutex<LineEvent?>(nil)

/// libedit through its readline interface, in callback mode so that Ctrl-C and SIGTERM are seen
/// between keystrokes: history in a 0600 file written after every command, Ctrl-R search, completion.
final class LineEditor: Sendable {
    let historyPath: String
    static let historySize: Int32 = 1000

    init(historyPath: String) {
        self.historyPath = historyPath
        setlocale(LC_CTYPE, "")
        // Initializes libedit (rl_parse_and_bind needs the editor to exist) with faast_getc as its input:
        // a read that gives up when a Ctrl-C is pending, whichever thread the signal was delivered to.
        faast_el_configure(complete, Completion.wordBreaks, faast_getc)
        let dir = (historyPath as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Not history_truncate_file: on Linux it drops libedit's header and the next load fails. Stifle instead.
        stifle_history(Self.historySize)
        Self.loadHistory(historyPath)
    }

    /// libedit's own file (first line `_HiStOrY_V2_`) is read by libedit; a plain file of one command per line
    /// (written by hand, or by another readline) is read line by line, so that the next write keeps its lines
    /// instead of replacing a file libedit could not parse.
    static func loadHistory(_ path: String) {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return }
        let text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("_HiStOrY_V2_") {
            read_history(path)
            return
        }
        let lines = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        for line in lines.suffix(Int(historySize)) { add_history(line) }
    }

    /// Blocks until a line, Ctrl-D, Ctrl-C or SIGTERM. Call from a thread that may block.
    func readLine(prompt: String) -> LineEvent {
        acceptedLine.withLock { $0 = nil }
        rl_callback_handler_install(prompt, lineHandler)
        defer { rl_callback_handler_remove() }
        while true {
            if faast_sigterm_received() != 0 { return .terminated }
            if faast_take_sigint() > 0 {
                faast_el_interrupt_line()
                StandardOutput.write(1, "^C\n")
                return .interrupted
            }
            // One key per call; faast_getc returns early when a signal is pending.
            rl_callback_read_char()
            if let event = acceptedLine.withLock({ e -> LineEvent? in defer { e = nil }; return e }) { return event }
        }
    }

    /// Adds an entry and rewrites the history file (mode 0600).
    func remember(_ entry: String) {
        add_history(entry)
        write_history(historyPath)
        chmod(historyPath, 0o600)
    }

    /// Reads a line on a thread of its own, so the async world is not blocked.
    func readLineAsync(prompt: String) async -> LineEvent {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: self.readLine(prompt: prompt)) }
            thread.start()
        }
    }
}

private func lineHandler(_ line: UnsafeMutablePointer<CChar>?) {
    guard let line else {
        acceptedLine.withLock { $0 = .endOfInput }
        return
    }
    let text = String(cString: line)
    free(line)
    acceptedLine.withLock { $0 = .line(text) }
}

/// libedit's completion callback: candidates for the word before the cursor from `Completion`.
private func complete(_ text: UnsafePointer<CChar>?, _ start: Int32, _ end: Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
    let buffer = Array(String(cString: faast_el_line_buffer()).utf8)
    let point = min(Int(faast_el_point()), buffer.count)
    let before = String(decoding: buffer[..<point], as: UTF8.self)
    let context = completionContext.withLock { $0 }
    let candidates = Completion.candidates(line: before, context: context)
    let single = candidates.count == 1 ? candidates[0] : nil
    faast_el_completion_settings(single.map { $0.hasSuffix("/") || $0.hasSuffix("=") ? 0 : 32 } ?? 32)
    guard !candidates.isEmpty else { return nil }
    // readline's contract: [replacement for the word, match 1, ..., NULL]; one match alone is its own entry.
    var entries: [String]
    if let single {
        entries = [single]
    } else {
        var prefix = candidates[0]
        for c in candidates.dropFirst() {
            while !c.hasPrefix(prefix) { prefix.removeLast() }
        }
        entries = [prefix] + candidates
    }
    let array = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: entries.count + 1)
    for (i, e) in entries.enumerated() { array[i] = strdup(e) }
    array[entries.count] = nil
    return array
}
