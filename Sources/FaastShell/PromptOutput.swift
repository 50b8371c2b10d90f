import CEditLine
import CFaastSys
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Standard output and error, with what the interactive prompt adds on a terminal: while a command typed at
/// the prompt runs, its standard output is held; when it ends, the text is written as is if it fits the
/// screen, or sent through the pager (`$PAGER`, else `less -FRX`, as psql does) if it does not. Outside a
/// prompt command (scripts, `-c`, piped output) it writes straight through: piped output is never paged.
public final class PromptOutput: OutputSink {
    public let outIsTerminal: Bool
    public let errIsTerminal: Bool

    private struct State {
        /// Standard output held back; nil when not holding (outside a prompt command, or after something
        /// went to standard error).
        var held: String?
        /// The `maxlines` of the running prompt command; nil outside one.
        var maxLines: Int?
    }

    private let state = Mutex(State())

    public init() {
        outIsTerminal = isatty(1) == 1
        errIsTerminal = isatty(2) == 1
    }

    public func out(_ text: String) {
        let passThrough = state.withLock { state -> Bool in
            guard state.held != nil else { return true }
            state.held! += text
            return false
        }
        if passThrough { StandardOutput.write(1, text) }
    }

    public func err(_ text: String) {
        // Standard error is not held (progress, errors); what was held comes first, so that the order the
        // command wrote in is kept, and the rest of this command is not paged.
        Self.writeLive(self)
        StandardOutput.write(2, text)
    }

    /// A command typed at the prompt starts: hold its standard output, and shorten its values past
    /// `maxLines` (0: never); on a terminal only.
    func beginPromptCommand(maxLines: Int) {
        guard outIsTerminal else { return }
        state.withLock { $0 = State(held: "", maxLines: maxLines) }
    }

    /// The command ended: its output, through the pager when `pager` and it is longer than the screen.
    func endPromptCommand(pager: Bool) {
        let text = state.withLock { state -> String? in defer { state = State() }; return state.held }
        guard let text, !text.isEmpty else { return }
        let size = Terminal.size(fd: 1)
        // One row stays for the prompt that follows.
        guard pager, Terminal.rows(of: text, columns: size.columns) > size.rows - 1, Pager.run(text) else {
            StandardOutput.write(1, text)
            return
        }
    }

    /// Output that must appear as it happens (a generator's live list): what was held is written, and the
    /// rest of this command passes straight through (it is not paged).
    public static func writeLive(_ output: any OutputSink) {
        guard let prompt = output as? PromptOutput else { return }
        if let earlier = prompt.state.withLock({ state -> String? in defer { state.held = nil }; return state.held }),
           !earlier.isEmpty {
            StandardOutput.write(1, earlier)
        }
    }

    /// A value's text as `output` shows it: shortened past `maxlines` while a prompt command runs on a
    /// terminal; whole in scripts, `-c` and pipes (and with any other sink).
    public static func shortened(_ text: String, for output: any OutputSink) -> String {
        guard let prompt = output as? PromptOutput, let maxLines = prompt.state.withLock({ $0.maxLines }) else { return text }
        return LongValue.shortened(text, maxLines: maxLines)
    }
}

/// The pager of long output at the prompt.
enum Pager {
    /// `$PAGER` (an empty one means none), else `less -FRX`: quits at once when the text fits, keeps colours,
    /// leaves the text on the screen.
    static var command: String? {
        let env = ProcessInfo.processInfo.environment["PAGER"]
        if let env { return env.trimmingCharacters(in: .whitespaces).isEmpty ? nil : env }
        return "less -FRX"
    }

    /// Writes `text` to the pager and waits for it to end; false when no pager could be started or its
    /// command does not exist (then the caller writes the text itself: output is never lost to a bad $PAGER).
    static func run(_ text: String) -> Bool {
        guard let command else { return false }
        var text = text
        let started = text.withUTF8 { buf in
            buf.withMemoryRebound(to: CChar.self) { faast_el_run_pager(command, $0.baseAddress, $0.count) == 0 }
        }
        // A Ctrl-C typed in the pager was for the pager (it reached faast too, as the terminal's foreground).
        while faast_take_sigint() > 0 {}
        return started
    }
}

/// What the prompt needs of the terminal: its size, the rows a text takes, and echo off while a command runs.
enum Terminal {
    /// Rows and columns of the terminal on `fd` (24×80 when unknown).
    static func size(fd: Int32) -> (rows: Int, columns: Int) {
        var ws = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_row > 0, ws.ws_col > 0 else { return (24, 80) }
        return (Int(ws.ws_row), Int(ws.ws_col))
    }

    /// The columns `text` takes on a terminal: ANSI escape sequences take none, wide characters two,
    /// combining marks none.
    static func width(_ text: Substring) -> Int {
        var width = 0
        var inEscape = false
        for scalar in text.unicodeScalars {
            if inEscape {
                if (0x40...0x7E).contains(scalar.value), scalar != "[" { inEscape = false }
                continue
            }
            if scalar == "\u{1B}" {
                inEscape = true
                continue
            }
            width += max(0, Int(faast_el_wcwidth(scalar.value)))
        }
        return width
    }

    /// The screen rows `text` fills when lines wrap at `columns`.
    static func rows(of text: String, columns: Int) -> Int {
        text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0).reduce(0) {
            $0 + max(1, (width($1) + columns - 1) / max(1, columns))
        }
    }

    /// The longest start of `text` that fits `columns` (escape sequences kept).
    static func truncated(_ text: String, columns: Int) -> String {
        var out = ""
        var used = 0
        var inEscape = false
        for scalar in text.unicodeScalars {
            if inEscape || scalar == "\u{1B}" {
                inEscape = scalar == "\u{1B}" || !((0x40...0x7E).contains(scalar.value) && scalar != "[")
                out.unicodeScalars.append(scalar)
                continue
            }
            let w = max(0, Int(faast_el_wcwidth(scalar.value)))
            if used + w > columns { break }
            used += w
            out.unicodeScalars.append(scalar)
        }
        return out
    }

    /// Turns the terminal's echo off while a command runs, so that keys typed ahead are not echoed into its
    /// output or the progress line; they stay queued and appear at the next prompt. Returns what to restore.
    static func echoOff() -> termios? {
        guard isatty(0) == 1 else { return nil }
        var saved = termios()
        guard tcgetattr(0, &saved) == 0 else { return nil }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO | ECHONL)
        // TCSANOW: keys already typed stay queued (TCSAFLUSH would drop them).
        tcsetattr(0, TCSANOW, &quiet)
        return saved
    }

    static func restore(_ saved: termios?) {
        guard var saved else { return }
        tcsetattr(0, TCSANOW, &saved)
    }
}

/// Values too long for the prompt.
enum LongValue {
    /// `text` cut after `maxLines` lines, with a note saying how many more there are and how to see them.
    static func shortened(_ text: String, maxLines: Int) -> String {
        guard maxLines > 0 else { return text }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > maxLines + 1 else { return text }
        let more = lines.count - maxLines
        return lines.prefix(maxLines).joined(separator: "\n")
            + "\n… \(Format.grouped(more)) more lines (set maxlines=0 to see values whole; print $_ shows it on one line)"
    }
}
