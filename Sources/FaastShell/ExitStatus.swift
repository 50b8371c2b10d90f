/// The outcome of one command, which decides the exit code of a script.
public enum CommandStatus: Sendable, Equatable {
    case ok
    /// A call or an expect failed, or a module failed to deploy (exit code 1).
    case failed
    /// A usage or syntax error (exit code 2).
    case usage
    /// `exit` / `quit`.
    case exit
    /// Interrupted by Ctrl-C (exit code 130).
    case interrupted
}

/// Exit codes, documented in README; `code(for:)` is the one place an outcome becomes one.
public enum ExitStatus {
    public static let ok: Int32 = 0
    public static let failed: Int32 = 1
    public static let usage: Int32 = 2
    public static let interrupted: Int32 = 130
    public static let terminated: Int32 = 143

    /// The exit code of a session whose worst outcome was `status`; SIGTERM (or SIGHUP) overrides it.
    public static func code(for status: CommandStatus, terminated: Bool = false) -> Int32 {
        if terminated { return Self.terminated }
        switch status {
        case .ok, .exit: return ok
        case .failed: return failed
        case .usage: return usage
        case .interrupted: return interrupted
        }
    }
}
