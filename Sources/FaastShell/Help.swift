/// One line of help per command, and the longer text of `help COMMAND`.
enum Help {
    static let commands: [(name: String, usage: String, summary: String)] = [
        ("open", "open [local|aws] MODULE [key=value ...]", "deploy a module (memory= timeout= concurrency= mode= env={...} retries= rate= region= ...)"),
        ("call", "call FN(ARGS) [xN] [key=value ...]", "call a function; xN fans out N calls with $i = 0..N-1 (mode= timeout= retries= concurrency= rate= pipeline=)"),
        ("map", "map FN [v1, v2, ...] [key=value ...]", "one call per element; an array element spreads into arguments"),
        ("let", "let NAME = call ... | map ... | VALUE", "keep a result in $NAME ($_ is always the last result)"),
        ("expect", "expect call FN(ARGS) == VALUE | fails [KIND]", "check a result; a failed expect fails the script"),
        ("functions", "functions", "list the module's functions"),
        ("help", "help [COMMAND|FN]", "this help, a command's, or a function's parameters"),
        ("status", "status", "provider, module, options, calls and cost so far"),
        ("stats", "stats [FN]", "counts and latency percentiles; with FN, a histogram"),
        ("cost", "cost", "the cost snapshot (local: with a Lambda estimate)"),
        ("results", "results", "every value of the last fan-out"),
        ("logUrl", "logUrl [FN]", "where the logs are"),
        ("logs", "logs [FN] [last=N]", "recent log lines of the session's calls"),
        ("set", "set key=value ...", "session defaults: concurrency timeout retries rate mode format timing echo"),
        ("print", "print TEXT", "print text ($name is replaced by its value)"),
        ("sleep", "sleep SECONDS", "wait"),
        ("source", "source FILE", "run the commands of a .faast file"),
        ("cleanup", "cleanup", "remove the deployment (logs are kept for their retention)"),
        ("gc", "gc", "remove what old or crashed sessions left behind"),
        ("exit", "exit | quit", "leave (cleans up unless --keep)"),
    ]

    static var overview: String {
        let width = commands.map(\.usage.count).max() ?? 0
        return (["commands:"] + commands.map { "  " + Format.pad($0.usage, width) + "  " + $0.summary } + [
            "values are JSON ('single quotes' too); # starts a comment; open brackets continue on the next line.",
            "Ctrl-C cancels a running command, Ctrl-D leaves.",
        ]).joined(separator: "\n")
    }
}
