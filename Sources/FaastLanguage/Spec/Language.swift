import FaastCore

/// The table of the faast language: every command and every `key=value` option, defined once.
///
/// The parser takes its keywords and option keys from here and checks literal values against their kinds;
/// the shell checks evaluated values the same way and applies them through the options' setters; `help`,
/// Tab completion, the command line's flags and the README's tables are derived from it.
///
/// To add an option to `call`: add an `OptionSpec` below (key, kind with its range or words, default, help,
/// and a `call:` setter; a `deploy:` setter too if `open` should take it as the deployment's default) and
/// list it in `callOptions`. `map`, `let`, `expect`, `set` and `open` take the call options too.
public enum Language {
    static let defaults = DeploySettings()

    // MARK: - Options

    static let memory = OptionSpec(
        "memory", .count(64...10_240, unit: "MB"), default: "\(defaults.memoryMb)",
        help: "memory of each function (locally a heap or address-space limit)",
        deploy: { $0.memoryMb = $1.int })
    static let timeout = OptionSpec(
        "timeout", .number(.above(0, upTo: 86_400), unit: "seconds"), default: ReadableNumber.plain(defaults.timeout),
        help: "a call fails as timeout after this long",
        call: { $0.timeout = $1.double }, deploy: { $0.timeout = $1.double })
    static let concurrency = OptionSpec(
        "concurrency", .count(0...100_000, unit: "calls"), default: "\(defaults.concurrency)",
        help: "calls in flight at once (0: unlimited)",
        call: { $0.concurrency = $1.int }, deploy: { $0.concurrency = $1.int })
    static let mode = OptionSpec(
        "mode", .choice(InvocationMode.allCases.map(\.rawValue)), default: defaults.mode.rawValue,
        help: "how calls travel: a direct request, or through a queue",
        call: { $0.mode = InvocationMode(rawValue: $1.string) }, deploy: { $0.mode = InvocationMode(rawValue: $1.string) ?? $0.mode })
    static let retries = OptionSpec(
        "retries", .count(0...100, unit: "retries"), default: "\(defaults.maxRetries)",
        help: "retries of attempts that provably did not start (throttled, never connected)",
        call: { $0.maxRetries = $1.int }, deploy: { $0.maxRetries = $1.int })
    static let rerun = OptionSpec(
        "rerun", .count(0...100, unit: "re-runs"), default: "\(defaults.maxReruns)",
        help: "run again a call whose attempt may have run (its worker died) up to this many times; counted",
        call: { $0.maxReruns = $1.int }, deploy: { $0.maxReruns = $1.int })
    static let rate = OptionSpec(
        "rate", .number(.above(0, upTo: 1_000_000), unit: "calls/s"), default: "none",
        help: "at most this many calls start per second",
        call: { $0.rate = $1.double }, deploy: { $0.rate = $1.double })
    static let burst = OptionSpec(
        "burst", .count(1...1_000_000, unit: "calls"), default: "\(defaults.burst)",
        help: "calls that may start at once before the rate applies",
        call: { $0.burst = $1.int }, deploy: { $0.burst = $1.int })
    static let pipeline = OptionSpec(
        "pipeline", .flag, default: defaults.pipeline ? "on" : "off",
        help: "local fan-outs send the next requests to a warm worker ahead of its answers",
        call: { $0.pipeline = $1.bool }, deploy: { $0.pipeline = $1.bool })
    static let speculative = OptionSpec(
        "speculative", .number(NumberRange(0, 1_000), unit: "K"), default: "off",
        help: "after 10 completed calls, a call running past mean + K·stdev gets one duplicate; first answer wins",
        call: { $0.speculative = $1.double }, deploy: { $0.speculative = $1.double })
    static let env = OptionSpec(
        "env", .object, default: "{}", help: "environment variables the functions see",
        deploy: { settings, value in for p in value.pairList { settings.env[p.name] = p.value } })
    static let inherit = OptionSpec(
        "inherit", .globs, default: "none",
        help: "names of faast's own environment variables the functions see too (globs; * for all but AWS keys)",
        providers: ["local"], deploy: { $0.inheritEnvironment = $1.strings })
    static let retention = OptionSpec(
        "retention", .number(.above(0, upTo: 3_650), unit: "days"), default: ReadableNumber.plain(defaults.logRetentionDays),
        help: "how long logs outlive the session",
        deploy: { $0.logRetentionDays = $1.double })
    static let region = OptionSpec(
        "region", .text, default: "AWS_REGION, else the profile's, else us-west-2", help: "the AWS region",
        providers: ["aws"], deploy: { $0.cloud.region = $1.string })
    static let role = OptionSpec(
        "role", .text, default: "faast-lambda-role", help: "an existing IAM role for the function",
        providers: ["aws"], deploy: { $0.cloud.role = $1.string })
    static let session = OptionSpec(
        "session", .text, default: "a kept session of this module with the same settings, else a fresh deploy",
        help: "attach this kept session (faast sessions lists them)", providers: ["aws"], deploy: { $0.cloud.session = $1.string })
    static let architecture = OptionSpec(
        "architecture", .choice(Architecture.allCases.map(\.rawValue)), default: defaults.cloud.architecture.rawValue,
        help: "the processor the function runs on", providers: ["aws"],
        deploy: { $0.cloud.architecture = Architecture(rawValue: $1.string) ?? $0.cloud.architecture })
    static let include = OptionSpec(
        "include", .globs, default: "none", help: "files next to the module to put in the code package",
        providers: ["aws"], deploy: { $0.package.include = $1.strings })
    static let exclude = OptionSpec(
        "exclude", .globs, default: "none", help: "files to leave out of the code package",
        providers: ["aws"], deploy: { $0.package.exclude = $1.strings })
    static let dependencies = OptionSpec(
        "dependencies", .text, default: "none",
        help: "a requirements.txt or package.json (next to the module) installed into a cached layer, and locally",
        deploy: { $0.package.dependencies = $1.string })
    static let format = OptionSpec(
        "format", .choice(OutputFormat.allCases.map(\.rawValue)), default: "text",
        help: "output for people, or one JSON object per command",
        session: { $0.format = OutputFormat(rawValue: $1.string) ?? $0.format })
    static let timing = OptionSpec(
        "timing", .flag, default: "on a terminal", help: "show latencies after results",
        session: { $0.timing = $1.bool })
    static let echo = OptionSpec(
        "echo", .flag, default: "off", help: "print each command before running it",
        session: { $0.echo = $1.bool })
    /// `analyze`'s memory sizes (the deployment's `memory=` is one size).
    public static let memorySizes = OptionSpec(
        "memory", .counts(128...10_240, unit: "MB"), default: "128,256,512,1024,1769,3008",
        help: "the memory sizes to compare")
    static let last = OptionSpec("last", .count(1...10_000, unit: "lines"), default: "20", help: "how many lines (of logs, of history)")
    static let prompt = OptionSpec(
        "prompt", .text, default: "MODULE@PROVIDER> ",
        help: "the prompt; {module} and {provider} are replaced, \"\" restores the default",
        session: { $0.prompt = $1.string.isEmpty ? nil : $1.string })
    static let pager = OptionSpec(
        "pager", .flag, default: "on", help: "at the prompt, output longer than the screen goes through $PAGER (less -FRX)",
        session: { $0.pager = $1.bool })
    static let maxlines = OptionSpec(
        "maxlines", .count(0...100_000_000, unit: "lines"), default: "\(SessionSettings().maxLines)",
        help: "at the prompt, a value longer than this is shortened (0: never)",
        session: { $0.maxLines = $1.int })

    static let autoreload = OptionSpec(
        "autoreload", .flag, default: "on",
        help: "locally, a call after the module (or a file it imports) changed runs it on fresh workers; on AWS, a note",
        session: { $0.autoreload = $1.bool })

    /// What a call takes (and `map`, `let`, `expect`; `set` for the session's defaults; `open` for the deployment's).
    public static let callOptions: [OptionSpec] = [mode, timeout, retries, rerun, concurrency, rate, burst, pipeline, speculative]
    /// What `open` takes: the deployment's settings and the defaults of its calls.
    public static let openOptions: [OptionSpec] =
        [memory, timeout, concurrency, mode, env, inherit, retries, rerun, rate, burst, pipeline, speculative, retention, region, role,
         architecture, include, exclude, dependencies, session]
    /// What `set` takes: call defaults and output settings.
    static let output = OptionSpec(
        "output", .flag, default: "on", help: "a single call (and let; expect when it fails) shows what the function printed (stdout, stderr)",
        session: { $0.output = $1.bool })
    public static let setOptions: [OptionSpec] = callOptions + [format, timing, echo, prompt, pager, maxlines, output, autoreload]

    /// The fan-out count after `x`.
    public static let fanOutCount = ValueKind.count(0...100_000_000, unit: "calls")
    /// How `cost` shows the snapshot.
    public static let costForms = ["text", "csv", "json"]
    /// The seconds `sleep` takes.
    public static let sleepSeconds = ValueKind.number(NumberRange(0, 86_400), unit: "seconds")

    // MARK: - Commands

    public static let commands: [CommandSpec] = [
        CommandSpec("open", usage: "open [local|aws] MODULE [key=value ...]",
                    "deploy a module and make it the session's (replacing and cleaning up the previous one)",
                    operand: .module, options: openOptions,
                    examples: ["open examples/functions.js", "open aws functions.py region=eu-west-1 memory=512 timeout=30"]),
        CommandSpec("call", usage: "call FN(ARGS) [xN] [key=value ...]",
                    "call a function; xN fans out N calls with $i = 0 … N-1; name=value in ARGS is a python keyword argument",
                    operand: .call, options: callOptions,
                    examples: ["call hello(\"world\")", "call square($i) x1000 mode=queue concurrency=100",
                               "call greet(\"bob\", punct=\"?\")"]),
        CommandSpec("map", usage: "map FN[(name=value, ...)] [v1, v2, ...] [key=value ...]",
                    "one call per element; an array element spreads into arguments; keyword arguments go to every call",
                    operand: .map, options: callOptions,
                    examples: ["map add [[1, 2], [3, 4]]", "map greet(punct=\"?\") [\"ann\", \"bob\"]"]),
        CommandSpec("let", usage: "let NAME = call ... | map ... | VALUE",
                    "keep a value in $NAME (a fan-out keeps the array of its values); $_ is always the last result",
                    operand: .binding, options: callOptions, examples: ["let g = call hello(\"faast\")", "let xs = [1, 2, 3]"]),
        CommandSpec("expect", usage: "expect call FN(ARGS) == VALUE | fails [KIND]",
                    "check a call's result (numbers compare by value) or that it fails; a failed expect fails the script",
                    operand: .expectation, options: callOptions,
                    examples: ["expect call add(1, 2) == 3", "expect call fail(\"x\") fails exception"]),
        CommandSpec("analyze", usage: "analyze call FN(ARGS) [xN] memory=MB,MB,... [key=value ...]",
                    "run a workload at several memory sizes and compare time and cost (every variant is removed after)",
                    operand: .analysis, options: [memorySizes] + callOptions,
                    examples: ["analyze call square($i) x100 memory=128,256,512"]),
        CommandSpec("functions", "list the module's functions"),
        CommandSpec("help", usage: "help [COMMAND|FN]", "this help, a command's, or a function's parameters", operand: .topic),
        CommandSpec("status", "provider, module, options, calls and cost so far"),
        CommandSpec("stats", usage: "stats [FN]", "counts and latency percentiles; with FN, a histogram", operand: .function),
        CommandSpec("cost", usage: "cost [text|csv|json]", "the cost snapshot (local: with a Lambda estimate), as a table, CSV or JSON",
                    operand: .word(costForms), examples: ["cost csv"]),
        CommandSpec("results", "the values of the last fan-out (of its first 100,000 calls at most)"),
        CommandSpec("logUrl", usage: "logUrl [FN]", "where the logs are", operand: .function),
        CommandSpec("history", usage: "history [last=N]", "the prompt's recent commands (shared by every faast shell)",
                    operand: .settings,
                    options: [last], examples: ["history last=5"]),
        CommandSpec("logs", usage: "logs [FN] [last=N]", "recent log lines of the session's calls", operand: .function,
                    options: [last], examples: ["logs hello last=5"]),
        CommandSpec("set", usage: "set key=value ...", "change the session's defaults", operand: .settings,
                    options: setOptions, examples: ["set concurrency=5 retries=0", "set format=json"]),
        CommandSpec("print", usage: "print TEXT", "print text ($name is replaced by its value)", operand: .text,
                    examples: ["print the greeting was: $greeting"]),
        CommandSpec("sleep", usage: "sleep SECONDS", "wait (\(sleepSeconds.allowed))", operand: .seconds),
        CommandSpec("source", usage: "source FILE", "run the commands of a .faast file", operand: .script),
        CommandSpec("package", usage: "package [MODULE] [key=value ...]",
                    "what a deploy to AWS Lambda would ship: files and sizes, the dependencies layer, totals against the limits",
                    operand: .module, options: [include, exclude, dependencies, architecture],
                    examples: ["package", "package functions.py dependencies=requirements.txt"]),
        CommandSpec("cleanup", "remove the deployment (logs are kept for their retention)"),
        CommandSpec("gc", "remove what old or crashed sessions left behind"),
        CommandSpec("reload", "deploy the open module's code again, with the same settings (locally: on fresh workers)"),
        CommandSpec("keep", "leave the deployment up at exit, recorded for faast attach (as --keep)"),
        CommandSpec("exit", aliases: ["quit"], usage: "exit | quit", "leave (cleans up unless --keep)"),
    ]

    /// Every command keyword, aliases included: for the parser, completion and suggestions.
    public static let keywords: [String] = commands.flatMap(\.keywords)

    /// The command spelled `keyword` (or one of its aliases).
    public static func command(_ keyword: String) -> CommandSpec? {
        commands.first { $0.keywords.contains(keyword) }
    }

    /// Every option of every command, each key once (for the README and the command line's flags).
    public static var allOptions: [OptionSpec] {
        var seen: Set<String> = []
        return commands.flatMap(\.options).filter { seen.insert($0.key).inserted }
    }

    /// The option spelled `key` in any command.
    public static func option(_ key: String) -> OptionSpec? { allOptions.first { $0.key == key } }
}
