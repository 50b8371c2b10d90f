import FaastCore
import FaastLanguage
import Foundation

/// What a call shows of its outcome: everything (`call`), only a failure (`let x = call …`, whose value is
/// kept, not printed), or nothing (`expect`, which says what happened itself).
enum Showing {
    case all
    case failures
    case nothing
}

/// What running a call command produced: its status and the value it binds (`let`, `$_`).
struct CallRun {
    var status: CommandStatus
    var value: JSONValue?
    var error: FaastError?
    /// What a single call printed (nil when not captured: `set output=off`, a fan-out, or the provider cannot tell).
    var output: [String]?
    /// Failures of a fan-out (for `expect ... fails`).
    var failures = 0
    var total = 1
}

extension Shell {
    /// Checks the function name and arity, pointing at the name when wrong.
    func validate(_ invoker: Invoker, _ function: Name, argumentCount: Int) throws {
        do {
            try invoker.validate(function: function.text, argumentCount: argumentCount)
        } catch {
            throw ShellError(error.message, at: function.location)
        }
    }

    func runCall(_ call: CallExpr, context: SourceContext, showing: Showing = .all) async throws -> CallRun {
        let invoker = try requireSession(at: call.function.location)
        let options = try callOptions(call.options)
        let arguments = try self.arguments(of: call, invoker: invoker)
        let count = try call.count.map { try checked($0, Language.fanOutCount, subject: "the fan-out count").int }
        guard let count else {
            return await single(invoker, call.function.text, args: arguments.positional(0), keywords: arguments.keywords?(0) ?? [],
                                options: options, showing: showing)
        }
        return await fanOut(invoker, call.function.text, count: count, options: options, showing: showing,
                            keywords: arguments.keywords, arguments: arguments.positional)
    }

    /// `listsValues`: a short map shows its values (the `map` command; `let` binds them instead).
    func runMap(_ map: MapExpr, context: SourceContext, showing: Showing = .all, listsValues: Bool = false) async throws -> CallRun {
        let invoker = try requireSession(at: map.function.location)
        let options = try callOptions(map.options)
        let elements = try evaluate(map.elements, index: nil)
        guard case .array(let items) = elements else {
            throw ShellError("map takes an array of arguments, e.g. map square [1, 2, 3]", at: map.elements.location)
        }
        let argLists = items.map { item -> [JSONValue] in
            if case .array(let spread) = item { return spread }
            return [item]
        }
        for args in Set(argLists.map(\.count)) {
            try validate(invoker, map.function, argumentCount: args)
            try validateKeywords(map.keywords, of: map.function, positional: args, invoker: invoker)
        }
        let keywords = try map.keywords.map { JSONMember($0.name.text, try evaluate($0.value, index: nil)) }
        var named: (@Sendable (Int) -> [JSONMember])?
        if !keywords.isEmpty { named = { @Sendable _ in keywords } }
        return await fanOut(invoker, map.function.text, count: argLists.count, options: options, showing: showing,
                            listsValues: listsValues && argLists.count <= Self.mapValuesShown, keywords: named) { argLists[$0] }
    }

    /// A `map` of at most this many elements shows its values, not only its summary.
    static let mapValuesShown = 20

    private func single(_ invoker: Invoker, _ function: String, args: [JSONValue], keywords: [JSONMember], options: CallOptions,
                        showing: Showing) async -> CallRun {
        let outcome = await invoker.call(function, args: args, keywords: keywords, options: options,
                                         onYield: yieldDisplay(for: function, showing: showing),
                                         // `let` shows it as `call` does, `expect` when it fails.
                                         capturingOutput: self.options.session.output)
        switch outcome.result {
        case .success(let value):
            variables["_"] = value
            if showing == .all {
                report(.value(function: function, value: value, latencyMs: outcome.latencyMs, attempts: outcome.attempts,
                              coldStart: outcome.coldStart, output: outcome.output), command: running)
            }
            return CallRun(status: .ok, value: value, output: outcome.output)
        case .failure(let error):
            remember(error, function: function)
            if showing != .nothing { report(.failure(error, function: function, attempts: outcome.attempts), command: running) }
            return CallRun(status: error.kind == .cancelled ? .interrupted : .failed, error: error, output: error.output, failures: 1)
        }
    }

    private func fanOut(
        _ invoker: Invoker, _ function: String, count: Int, options: CallOptions, showing: Showing, listsValues: Bool = false,
        keywords: (@Sendable (Int) -> [JSONMember])?, arguments: @escaping @Sendable (Int) -> [JSONValue]
    ) async -> CallRun {
        let progress = BatchProgress()
        let display = renderer.showsProgress ? ProgressLine.start(progress, output: output) : nil
        // JSON output writes the values as calls finish: a fan-out of millions is never held whole.
        let stream = showing == .all && !quiet ? renderer.valueStream(command: running) : nil
        var observer: (@Sendable (Int, CallOutcome) -> Void)?
        if let stream { observer = { index, outcome in stream.observe(index, outcome.result) } }
        let batch = await invoker.fanOut(function, count: count, options: options, progress: progress,
                                         observer: observer, keywords: keywords, arguments: arguments)
        await display?.finish()
        // Interrupted when calls were cancelled, not when a Ctrl-C came after the last call had finished (while
        // the values were written or the summary made): a fan-out that completed is reported as completed.
        let interrupted = batch.cancelled > 0
        let cost = await invoker.provider.costSnapshot(usage: batch.usage)
        lastBatch = batch
        let values: [JSONValue] = batch.results.map { (try? $0.get()) ?? .null }
        variables["_"] = .array(values)
        if let stream {
            stream.finish(.batch(batch, cost: cost, interrupted: interrupted))
        } else if showing == .all || batch.failed > 0 || interrupted {
            report(.batch(batch, cost: cost, interrupted: interrupted, listsValues: listsValues && showing == .all), command: running)
        }
        let firstError: FaastError? = batch.failureGroups.first?.example
        if let firstError { remember(firstError, function: function) }
        let status: CommandStatus = interrupted ? .interrupted : (batch.failed > 0 ? .failed : .ok)
        return CallRun(status: status, value: .array(values), error: firstError, failures: batch.failed, total: count)
    }

    /// Keeps a failure in `$error` (kind, message, function; the remote error's name and stack when it has them).
    func remember(_ error: FaastError, function: String?) {
        var members = [JSONMember("kind", .string(error.kind.rawValue)), JSONMember("message", .string(error.message))]
        if let function { members.append(JSONMember("function", .string(function))) }
        if let remote = error.remote {
            members.append(JSONMember("name", .string(remote.name)))
            if let stack = remote.stack { members.append(JSONMember("stack", .string(stack))) }
        }
        variables["error"] = .object(members)
    }

    // MARK: - let and expect

    func runLet(_ name: Name, _ binding: Binding, context: SourceContext) async throws -> CommandStatus {
        if name.text == "i" || name.text == "_" {
            throw ShellError("$\(name.text) is reserved (\(name.text == "i" ? "the fan-out index" : "the last result"))", at: name.location)
        }
        let run: CallRun
        switch binding {
        case .value(let expr):
            let value = try evaluate(expr, index: nil)
            variables[name.text] = value
            report(.bound(name: name.text, value: value), command: "let")
            return .ok
        case .call(let call): run = try await runCall(call, context: context, showing: call.count == nil ? .failures : .all)
        case .map(let map): run = try await runMap(map, context: context)
        }
        if let value = run.value, run.status != .interrupted {
            variables[name.text] = value
            // A fan-out (even of one) has reported its object; a single call's value is reported bound.
            if case .call(let call) = binding, call.count == nil, run.status == .ok {
                report(.bound(name: name.text, value: value, output: run.output), command: "let")
            }
        }
        return run.status
    }

    func runExpect(_ expectation: Expectation, context: SourceContext) async throws -> CommandStatus {
        switch expectation {
        case .equals(let call, let expected):
            let want = try evaluate(expected, index: nil)
            let run = try await runCall(call, context: context, showing: .nothing)
            if run.status == .interrupted { return .interrupted }
            let description = describe(call)
            if let error = run.error, run.failures > 0 {
                return expectResult(false, description + " == " + want.jsonText, detail: "it failed: \(error.kind.rawValue): \(error.message)",
                                    output: run.output)
            }
            let got = run.value ?? .null
            let pass: Bool
            if call.count != nil, case .array(let values) = got {
                pass = values.allSatisfy { $0.isEquivalent(to: want) }
            } else {
                pass = got.isEquivalent(to: want)
            }
            return expectResult(pass, description + " == " + want.jsonText, detail: pass ? nil : "got \(got.jsonText)", output: run.output)
        case .fails(let call, let kindName):
            var kind: FaastError.Kind?
            if let kindName {
                guard let k = FaastError.Kind(rawValue: kindName.text) else {
                    let kinds = FaastError.Kind.allCases.map(\.rawValue)
                    throw ShellError("unknown error kind '\(kindName.text)'" + Suggestion.didYouMean(kindName.text, in: kinds)
                        + "; kinds: " + kinds.joined(separator: ", "), at: kindName.location)
                }
                kind = k
            }
            let run = try await runCall(call, context: context, showing: .nothing)
            if run.status == .interrupted { return .interrupted }
            let description = describe(call) + " fails" + (kind.map { " \($0.rawValue)" } ?? "")
            guard let error = run.error, run.failures == run.total else {
                return expectResult(false, description, detail: run.total == 1 ? "it returned \((run.value ?? .null).jsonText)"
                    : "\(run.total - run.failures) of \(run.total) calls succeeded", output: run.output)
            }
            if let kind, error.kind != kind {
                return expectResult(false, description, detail: "it failed with \(error.kind.rawValue): \(error.message)", output: run.output)
            }
            return expectResult(true, description, detail: "\(error.kind.rawValue): \(error.message.split(separator: "\n").first ?? "")",
                                output: nil)
        }
    }

    /// Reports an expectation; what the call printed (`output`) is shown only when it failed and printed something.
    private func expectResult(_ pass: Bool, _ what: String, detail: String?, output: [String]?) -> CommandStatus {
        let shown = pass || output?.isEmpty != false ? nil : output
        report(.expectation(passed: pass, description: what, detail: detail, output: shown), command: "expect")
        return pass ? .ok : .failed
    }

    /// `add(1, 2) x10` as written, for messages.
    func describe(_ call: CallExpr) -> String {
        let written = { (expr: Expr) -> String in
            if case .variable(let n) = expr { return "$" + n.text }
            return (try? self.evaluate(expr, index: 0).jsonText) ?? "?"
        }
        let args = call.arguments.map(written) + call.keywords.map { "\($0.name.text)=" + written($0.value) }
        var s = "\(call.function.text)(\(args.joined(separator: ", ")))"
        if let count = call.count, let n = try? evaluate(count, index: nil) { s += " x\(n.jsonText)" }
        return s
    }
}
