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

    static func write(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { buf in
            var offset = 0
            while offset < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + offset, buf.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
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
