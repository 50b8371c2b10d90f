import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where packaging talks to the user while it works: warnings (always, on standard error, so piped and JSON
/// output on standard output stay exact) and a progress line that only a terminal sees.
public final class Notices: Sendable {
    private let lines = Mutex<[String]>([])
    private let progressShown = Mutex(false)
    private let echo: Bool
    private let terminal: Bool

    /// `echo`: write warnings to standard error as they come (false: only collect them, for tests).
    public init(echo: Bool = true) {
        self.echo = echo
        terminal = echo && isatty(2) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    /// The warnings so far.
    public var warnings: [String] { lines.withLock { $0 } }

    public func warn(_ message: String) {
        lines.withLock { $0.append(message) }
        guard echo else { return }
        clearProgress()
        FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
    }

    /// A transient status line (`installing numpy…`), overwritten by the next and erased by `done`.
    public func progress(_ text: String) {
        guard terminal else { return }
        let width = 100
        let shown = text.count > width ? String(text.prefix(width - 1)) + "…" : text
        progressShown.withLock { $0 = true }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(shown)".utf8))
    }

    public func clearProgress() {
        guard terminal, progressShown.withLock({ let was = $0; $0 = false; return was }) else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
