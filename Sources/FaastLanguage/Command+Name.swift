extension Command {
    /// The command's keyword (`exit` for `quit` too): JSON output names commands by it.
    public var name: String {
        switch self {
        case .open: return "open"
        case .call: return "call"
        case .map: return "map"
        case .letBinding: return "let"
        case .expect: return "expect"
        case .analyze: return "analyze"
        case .functions: return "functions"
        case .help: return "help"
        case .status: return "status"
        case .stats: return "stats"
        case .cost: return "cost"
        case .results: return "results"
        case .logUrl: return "logUrl"
        case .logs: return "logs"
        case .history: return "history"
        case .set: return "set"
        case .print: return "print"
        case .sleep: return "sleep"
        case .source: return "source"
        case .cleanup: return "cleanup"
        case .package: return "package"
        case .gc: return "gc"
        case .keep: return "keep"
        case .reload: return "reload"
        case .exit: return "exit"
        }
    }
}
