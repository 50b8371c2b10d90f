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
/// between keystrokes: history shared with other shells (`History`), Up/Down by prefix, Ctrl-R search,
/// completion, UTF-8 typed as characters.
final class LineEditor: Sendable {
    let history: History
    /// The newest entry, not to be repeated.
    private let lastEntry: Mutex<String?>

    init(history: History) {
        self.history = history
        Self.useUTF8Locale()
        // Initializes libedit (rl_parse_and_bind needs the editor to exist) with faast_getc as its input:
        // a read that gives up when a Ctrl-C is pending, whichever thread the signal was delivered to.
        faast_el_configure(complete, Completion.wordBreaks, faast_getc)
        stifle_history(Int32(history.capacity))
        let entries = history.entries()
        for entry in entries { add_history(entry) }
        lastEntry = Mutex(entries.last)
    }

    /// libedit edits wide characters and converts the line back with the locale's encoding; faast's text is
    /// UTF-8, so the C/POSIX locale (or any other encoding) would lose every non-ASCII character typed.
    static func useUTF8Locale() {
        setlocale(LC_CTYPE, "")
        let codeset = String(cString: nl_langinfo(nl_item(CODESET)))
        if codeset.uppercased().replacingOccurrences(of: "-", with: "") != "UTF8" {
            setlocale(LC_CTYPE, "C.UTF-8")
        }
    }

    /// Blocks until a line, Ctrl-D, Ctrl-C or SIGTERM. Call from a thread that may block.
    func readLine(prompt: String) -> LineEvent {
        acceptedLine.withLock { $0 = nil }
        rl_callback_handler_install(prompt, lineHandler)
        faast_el_prompt_shown()
        defer { rl_callback_handler_remove() }
        while true {
            if faast_sigterm_received() != 0 { return .terminated }
            if faast_take_sigint() > 0 {
                faast_el_interrupt_line()
                StandardOutput.write(isatty(1) == 0 && isatty(2) == 1 ? 2 : 1, "^C\n")  // where the prompt is
                return .interrupted
            }
            // One key per call; faast_getc returns early when a signal is pending.
            rl_callback_read_char()
            if faast_el_take_eof() != 0 { return .endOfInput }
            if let event = acceptedLine.withLock({ e -> LineEvent? in defer { e = nil }; return e }) { return event }
        }
    }

    /// Adds an entry to this prompt's history and appends it to the shared file; an entry equal to the
    /// previous one is not repeated.
    func remember(_ entry: String) {
        guard lastEntry.withLock({ last in defer { last = entry }; return last != entry }) else { return }
        add_history(entry)
        history.append(entry)
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
    // libedit replaces ITS word (`text`) with what we return; our word may start earlier (a word-break
    // table of its own, or a version that splits differently), so hand back only the part after the overlap.
    let libeditWord = text.map { String(cString: $0) } ?? ""
    let ours = Completion.word(before: before)
    let overlap = ours.hasSuffix(libeditWord) ? String(ours.dropLast(libeditWord.count)) : ""
    let candidates = Completion.candidates(line: before, context: context).map {
        $0.hasPrefix(overlap) ? String($0.dropFirst(overlap.count)) : $0
    }
    let single = candidates.count == 1 ? candidates[0] : nil
    // No space after a folder, a key= or a variable (`$foo` is usually followed by `,` or `)`).
    faast_el_completion_settings(single.map { $0.hasSuffix("/") || $0.hasSuffix("=") || ours.hasPrefix("$") ? 0 : 32 } ?? 32)
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
