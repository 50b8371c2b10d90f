import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where the shell writes: standard output for results, standard error for diagnostics and progress.
public protocol OutputSink: Sendable {
    func out(_ text: String)
    func err(_ text: String)
    /// Whether standard error is a terminal (progress lines, colour).
    var errIsTerminal: Bool { get }
    /// Whether standard output is a terminal (timings shown by default, colour).
    var outIsTerminal: Bool { get }
}

/// The process's own standard output and error.
public struct StandardOutput: OutputSink {
    public let outIsTerminal: Bool
    public let errIsTerminal: Bool

    public init() {
        outIsTerminal = isatty(1) == 1
        errIsTerminal = isatty(2) == 1
    }

    public func out(_ text: String) { Self.write(1, text) }
    public func err(_ text: String) { Self.write(2, text) }

    /// The first error writing standard output (`ENOSPC` for `> /dev/full`, `EPIPE` when the reader left),
    /// so that faast can say so and exit non-zero instead of losing results silently.
    private static let outputError = Mutex<Int32?>(nil)

    /// Why standard output could not be written, or nil: a sentence for standard error (nil for a reader
    /// that went away, `EPIPE`, which a pipeline like `| head` makes on purpose).
    public static var writeFailure: (errno: Int32, message: String?)? {
        guard let code = outputError.withLock({ $0 }) else { return nil }
        let message = code == EPIPE ? nil : "error: cannot write to standard output: \(String(cString: strerror(code)))"
        return (code, message)
    }

    static func write(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { buf in
            var offset = 0
            while offset < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + offset, buf.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    if fd == 1 {
                        let code = errno
                        outputError.withLock { if $0 == nil { $0 = code } }
                    }
                    return
                }
                offset += n
            }
        }
    }
}

/// Collects output in memory (tests, and `--format json` capture).
public final class CapturedOutput: OutputSink {
    private let buffers = Mutex<(out: String, err: String)>(("", ""))
    public let outIsTerminal = false
    public let errIsTerminal = false
    public init() {}
    public func out(_ text: String) { buffers.withLock { $0.out += text } }
    public func err(_ text: String) { buffers.withLock { $0.err += text } }
    public var stdout: String { buffers.withLock { $0.out } }
    public var stderr: String { buffers.withLock { $0.err } }
}

/// ANSI styling, only on a terminal and never with `NO_COLOR` or `TERM=dumb`.
public struct Style: Sendable {
    public let enabled: Bool

    public init(terminal: Bool, environment: [String: String] = ProcessInfo.processInfo.environment) {
        enabled = terminal && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
    }

    private func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
    public func red(_ s: String) -> String { wrap(s, "31") }
    public func green(_ s: String) -> String { wrap(s, "32") }
    public func yellow(_ s: String) -> String { wrap(s, "33") }
    public func dim(_ s: String) -> String { wrap(s, "2") }
    public func bold(_ s: String) -> String { wrap(s, "1") }
}

/// Text from outside faast (a module's exception messages and stacks, log lines, values) made harmless for a
/// terminal: control characters other than newline and tab are shown in caret notation (`ESC` as `^[`,
/// C1 controls as `\x9b`), so a module cannot move the cursor, retitle the window or hide what it printed.
public enum TerminalText {
    public static func neutralized(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if !isControl(scalar) {
                out.append(scalar)
            } else if scalar.value < 0x20 {
                out.append(contentsOf: "^".unicodeScalars)
                out.append(Unicode.Scalar(UInt8(scalar.value + 0x40)))
            } else if scalar.value == 0x7F {
                out.append(contentsOf: "^?".unicodeScalars)
            } else {
                out.append(contentsOf: "\\x\(String(scalar.value, radix: 16))".unicodeScalars)
            }
        }
        return String(out)
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        (s.value < 0x20 && s != "\n" && s != "\t") || (0x7F...0x9F).contains(s.value)
    }
}
