import FaastCore
import FaastLanguage

/// What the command line decided for a shell session.
public struct ShellOptions: Sendable {
    /// `local` or `aws`.
    public var provider = "local"
    public var deploy = DeploySettings()
    /// Output format, timings and echo: what `set format= timing= echo=` changes.
    public var session = SessionSettings()
    public var format: OutputFormat {
        get { session.format }
        set { session.format = newValue }
    }
    /// Print each command before running it.
    public var echo: Bool {
        get { session.echo }
        set { session.echo = newValue }
    }
    /// Show latencies after results; nil: only when standard output is a terminal.
    public var timing: Bool? {
        get { session.timing }
        set { session.timing = newValue }
    }
    /// Scripts go on after a failed call or expect (the exit code still says 1).
    public var continueOnError = false
    /// Leave the deployment up on exit.
    public var keep = false
    public init() {}
}

/// The text a command came from: for error positions and carets, and relative paths.
public struct SourceContext: Sendable {
    /// The script's path as given, or nil for the prompt and `-c`.
    public var file: String?
    public var lines: [String]
    /// Folder that relative paths in `open` and `source` start from.
    public var directory: String
    /// The line number of the text's first line (the n-th `-c` command is line n).
    public var firstLine = 1

    public init(file: String?, text: String, directory: String, firstLine: Int = 1) {
        self.firstLine = firstLine
        self.file = file
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        self.directory = directory
    }

    public func line(_ n: Int) -> String {
        let i = n - firstLine
        return i >= 0 && i < lines.count ? lines[i] : ""
    }
}
