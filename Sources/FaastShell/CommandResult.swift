import FaastCore
import FaastLanguage

/// What a command produced, typed: the evaluator decides and a renderer (`TextRenderer`, `JSONRenderer`) shows,
/// so that text and JSON output come from the same facts.
enum CommandResult: Sendable {
    /// A syntax error (nothing of the script ran).
    case syntaxError(ParseError, file: String?)
    /// A user mistake found while running: a message and, where known, the place in the line.
    case usageError(ShellError, SourceContext)
    /// A call or deploy that failed: its kind, message, remote error and log.
    case failure(FaastError, function: String? = nil, attempts: Int? = nil)
    /// The command as written, before it runs (`--echo`); the renderer names the script's file:line.
    case echo(String)
    case opened(provider: String, module: String, functions: [FunctionInfo], ms: Double)
    /// The module deployed again (`reload`, or an edited module before a local call): which files had changed,
    /// its functions now, what the previous deployment's cleanup removed.
    case reloaded(provider: String, module: String, changed: [String], functions: [FunctionInfo], removed: CleanupReport,
                  automatic: Bool, ms: Double)
    /// A deployment left up at exit (`--keep`), and where its logs are.
    case kept(logs: String)
    /// A single call's value; `coldStart` when it started a worker or instance, `output` what the function printed
    /// (nil when not captured: `set output=off`, or the provider cannot tell).
    case value(function: String, value: JSONValue, latencyMs: Double, attempts: Int, coldStart: Bool = false, output: [String]? = nil)
    /// A value a generator yielded, shown as it arrives (`attempt` counts from 1); the call's result follows.
    case yielded(function: String, attempt: Int, seq: Int, value: JSONValue)
    /// A retried generator starts again: the `count` values shown before came from `attempt`, which failed.
    case yieldsVoided(function: String, attempt: Int, count: Int)
    /// `analyze` is about to deploy its variants (a note for people at a terminal).
    case analysisStarted(String)
    case analysis(AnalysisReport)
    /// A fan-out's summary; `listsValues`: its values come first, one a line (a short `map`).
    case batch(BatchResult, cost: CostSnapshot, interrupted: Bool, listsValues: Bool = false)
    /// `let NAME = …`; `output`: what a single call printed (nil when not captured), shown as under `call`.
    case bound(name: String, value: JSONValue, output: [String]? = nil)
    /// `expect …`; `output`: what the call printed, given only when the expectation failed.
    case expectation(passed: Bool, description: String, detail: String?, output: [String]? = nil)
    case functions([FunctionInfo])
    case help(String)
    /// `help FN`: the function (signature with defaults, docstring), of `module` (a file name).
    case functionHelp(FunctionInfo, module: String)
    /// `status`: nil when no module is open.
    case status([StatusRow]?)
    case stats(StatsReport)
    case cost(CostSnapshot, form: CostForm)
    case results(BatchResult)
    case logUrl(String)
    case logs([String])
    /// `history`: the newest entries, and the number of the first (1 is the oldest kept).
    case history([String], firstNumber: Int)
    case settingsChanged
    case printed(String)
    case slept(seconds: Double)
    /// `package`: what a deploy would upload.
    case packaged(PackageListing)
    case cleanedUp(CleanupReport)
    case collected(CleanupReport)
}

/// One line of `status`: its label and text for people (nil: not shown, a default), its typed value for JSON
/// (`"concurrency": 10`).
struct StatusRow: Sendable {
    var label: String
    var text: String?
    var value: JSONValue

    init(_ label: String, _ text: String?, _ value: JSONValue) {
        self.label = label
        self.text = text
        self.value = value
    }

    /// The JSON key: the label in camel case (`AWS retries` → `awsRetries`).
    var key: String {
        let words = label.split(separator: " ")
        return words.enumerated().map { i, w in i == 0 ? w.lowercased() : w.prefix(1).uppercased() + w.dropFirst() }.joined()
    }
}

/// `stats [FN]`: each function's statistics (and the session's, as `(all)`); with FN, its histogram too.
struct StatsReport: Sendable {
    var entries: [(name: String, stats: FunctionStats)]
    /// The named function's statistics, for its execution times and histogram.
    var detail: FunctionStats?
}

/// `analyze`: one row per memory size, and what the numbers mean where they were measured.
struct AnalysisReport: Sendable {
    var function: String
    var count: Int
    var rows: [AnalysisRow]
    var note: String
    var interrupted: Bool
    /// Whether everything deployed, ran and was removed.
    var ok: Bool { !interrupted && !rows.contains { $0.error != nil || $0.failed > 0 || $0.cleanupError != nil } }
}

/// Shows command results on an output sink.
protocol Renderer: Sendable {
    /// `command` is the keyword of the command that produced `result` (nil for a syntax error).
    func render(_ result: CommandResult, command: String?)
    /// Whether a live progress line may be drawn for fan-outs.
    var showsProgress: Bool { get }
    /// Where a fan-out's values go as its calls finish, when this renderer shows them that way
    /// (`--format json`); the fan-out's result then goes to `FanOutStream.finish` instead of `render`.
    func valueStream(command: String) -> FanOutStream?
}

extension Renderer {
    func valueStream(command: String) -> FanOutStream? { nil }
}

/// How `cost` shows its snapshot: a table, CSV rows, or a JSON object (README, "Cost").
enum CostForm: String, Sendable {
    case text, csv, json
}

/// Where a command was written: its script (nil for the prompt and `-c`) and line.
struct CommandPlace: Sendable {
    var file: String?
    var line: Int

    /// `hello.faast:7` in a script (a sourced file's own name); nil at the prompt and for `-c`.
    var scriptLabel: String? { file.map { "\($0):\(line)" } }
}

extension Shell {
    /// The renderer for the current format (`set format=` may change it between commands).
    var renderer: any Renderer {
        switch format {
        case .json: return JSONRenderer(output: output, place: place)
        case .text: return TextRenderer(output: output, style: style, showTiming: showTiming, place: place?.scriptLabel)
        }
    }

    /// Hands a result to the renderer.
    func report(_ result: CommandResult, command: String?) {
        if quiet {
            switch result {
            case .syntaxError, .usageError, .failure, .expectation(passed: false, _, _, _): break
            default: return
            }
        }
        renderer.render(result, command: command)
    }
}
