import FaastCore
import Foundation
import Synchronization

/// A provider whose functions are Swift closures, answering at once and always the same way: evaluator and
/// renderer tests run in milliseconds, with exact output. (End-to-end tests use the real local provider.)
final class MemoryProvider: InvokingProvider {
    typealias Body = @Sendable ([JSONValue]) throws(FaastError) -> JSONValue

    let name = "memory"
    let module: ModuleSpec
    let functions: [FunctionInfo]
    let settings: DeploySettings
    let details: [(String, String)] = [("memory", "in this process")]
    private let bodies: [String: Body]
    private let cleaned = Mutex(false)

    init(module: ModuleSpec, settings: DeploySettings, functions: [(FunctionInfo, Body)]) {
        self.module = module
        self.settings = settings
        self.functions = functions.map(\.0)
        bodies = Dictionary(uniqueKeysWithValues: functions.map { ($0.0.name, $0.1) })
    }

    func invoke(_ request: InvocationRequest) async throws -> InvocationResponse {
        try Task.checkCancellation()
        guard let body = bodies[request.function] else { throw FaastError(.notFound, "no function \(request.function)") }
        // `lost()`: the first attempt of each call "may have run" (its worker died), a later one returns.
        if request.function == "lost", request.attempt == 0 {
            throw FaastError(.workerExited, "the worker exited during lost (exit code 3)")
        }
        // `printer(n)` prints n lines; `warmup(i)` is a cold start for i < 2 (as the first calls of new workers are).
        var output: [String]?
        if request.capturesOutput { output = request.function == "printer" ? (0..<(request.args[0].intValue ?? 0)).map { "line \($0)" } : [] }
        let cold = request.function == "warmup" && (request.args[0].intValue ?? 0) < 2
        let value: JSONValue
        do {
            value = try body(request.args)
        } catch {
            var failure = error
            failure.output = output
            throw failure
        }
        return InvocationResponse(value: value, timing: RemoteTiming(start: 0, end: 0.001, coldStart: cold), output: output)
    }

    func logLocation(function: String?) -> String { "memory://" + (function ?? "session") }
    func recentLogs(function: String?, last: Int) async throws -> [String] { ["log of \(function ?? "all")"] }
    func costSnapshot(usage: Usage) async -> CostSnapshot {
        CostSnapshot(provider: name, metrics: [CostMetric(name: "requests", unit: "request", price: 0, measured: Double(usage.requests))],
                     priceSource: "none")
    }
    func cleanup() async throws -> CleanupReport {
        cleaned.withLock { $0 = true }
        return ["stopped the memory session"]
    }
    func collectGarbage() async throws -> CleanupReport { [] }
    var isCleanedUp: Bool { cleaned.withLock { $0 } }
}

/// Deploys every module as the same few functions: `hello(name)`, `add(a, b)`, `square(x)`, `echo(value)`,
/// `fail(message)` (throws an `Error` with a stack), `big()` (an integer beyond 2^64), `lost()` (its first
/// attempt fails as if its worker died: a call that may have run), `printer(n)` (prints n lines), `warmup(i)` (a
/// cold start for i < 2).
struct MemoryProviderFactory: ProviderFactory {
    let name = "memory"

    static func number(_ v: JSONValue) -> Int { v.intValue ?? 0 }

    func deploy(_ module: ModuleSpec, settings: DeploySettings) async throws -> any Provider {
        let number = Self.number
        let table: [(FunctionInfo, MemoryProvider.Body)] = [
            (FunctionInfo(name: "hello", parameters: ["name"]), { args in .string("hello \(args[0].stringValue ?? args[0].jsonText)!") }),
            (FunctionInfo(name: "add", parameters: ["a", "b"]), { args in .int(number(args[0]) + number(args[1])) }),
            (FunctionInfo(name: "square", parameters: ["x"]), { args in .int(number(args[0]) * number(args[0])) }),
            (FunctionInfo(name: "echo", parameters: ["value"]), { args in args[0] }),
            (FunctionInfo(name: "fail", parameters: ["message"]), { args throws(FaastError) in
                let message = args[0].stringValue ?? args[0].jsonText
                throw FaastError(.exception, "Error: \(message)",
                                 remote: RemoteError(name: "Error", message: message, stack: "Error: \(message)\n    at fail (functions.js:12:9)"),
                                 logLocation: "memory://fail")
            }),
            (FunctionInfo(name: "big", parameters: []), { _ in .number("123456789012345678901234567890") }),
            (FunctionInfo(name: "lost", parameters: []), { _ in "back" }),
            (FunctionInfo(name: "printer", parameters: ["n"]), { args in args[0] }),
            (FunctionInfo(name: "warmup", parameters: ["i"]), { args in args[0] }),
        ]
        return MemoryProvider(module: module, settings: settings, functions: table)
    }

    func collectGarbage(settings: DeploySettings) async throws -> CleanupReport { [] }
}
