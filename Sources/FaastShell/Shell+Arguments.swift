import FaastCore
import FaastLanguage

/// A call's arguments, checked against the function and made for each call of a fan-out when it is taken.
struct CallArguments: Sendable {
    let positional: @Sendable (Int) -> [JSONValue]
    /// nil when the call has no keyword arguments (nothing to evaluate per call).
    let keywords: (@Sendable (Int) -> [JSONMember])?
}

extension Shell {
    /// Checks `call`'s function, arity and keyword arguments and evaluates its arguments once up front (as call 0
    /// of a fan-out), so that every mistake is reported, positioned, before any call is made.
    func arguments(of call: CallExpr, invoker: Invoker) throws -> CallArguments {
        try validate(invoker, call.function, argumentCount: call.arguments.count)
        try validateKeywords(call.keywords, of: call.function, positional: call.arguments.count, invoker: invoker)
        let index: Int? = call.count == nil ? nil : 0
        if index == nil, let i = (call.arguments + call.keywords.map(\.value)).first(where: Self.usesIndex) {
            _ = try evaluate(i, index: nil)  // throws the "$i is the index of a fan-out" error
        }
        _ = try call.arguments.map { try evaluate($0, index: index) }
        _ = try call.keywords.map { try evaluate($0.value, index: index) }
        let variables = self.variables
        let arguments = call.arguments.map { Shell.compiled($0, variables: variables) }
        let keywords = call.keywords.map { (name: $0.name.text, value: Shell.compiled($0.value, variables: variables)) }
        var named: (@Sendable (Int) -> [JSONMember])?
        if !keywords.isEmpty {
            named = { @Sendable i in keywords.map { JSONMember($0.name, $0.value(i)) } }
        }
        return CallArguments(positional: { i in arguments.map { $0(i) } }, keywords: named)
    }

    /// Keyword arguments are python's: a node function gets none, and a python function only names it has
    /// (unless it takes `**kwargs`), each once. Errors point at the keyword.
    func validateKeywords(_ keywords: [KeywordArgument], of function: Name, positional: Int, invoker: Invoker) throws {
        guard let first = keywords.first else { return }
        let provider = invoker.provider
        guard let info = provider.functions.first(where: { $0.name == function.text }) else { return }
        guard provider.module.runtime == .python else {
            throw ShellError("keyword arguments are for python functions; \(FilePaths.lastComponent(provider.module.path)) "
                + "is a node module: pass '\(first.name.text)' by position, \(info.signature)", at: first.name.location)
        }
        let parameters = info.parameters.map(Self.parameterName)
        let takesAnyKeyword = parameters.contains { $0.hasPrefix("**") }
        let named = parameters.filter { !$0.hasPrefix("*") }
        // The parameters that positional arguments fill: those before `*args`, in order.
        let filled = parameters.prefix { !$0.hasPrefix("*") }.prefix(positional)
        for keyword in keywords {
            let name = keyword.name.text
            if info.declared?.contains(where: { $0.name == name && $0.kind == .positionalOnly }) == true {
                throw ShellError("\(info.fullSignature): '\(name)' is positional-only (before '/'); pass it by position",
                                 at: keyword.name.location)
            }
            if let slot = filled.firstIndex(of: name) {
                throw ShellError("\(info.signature) gets '\(name)' twice: as argument \(slot + 1) and as \(name)=",
                                 at: keyword.name.location)
            }
            if !named.contains(name), !takesAnyKeyword {
                throw ShellError("\(info.signature) has no parameter '\(name)'" + Suggestion.didYouMean(name, in: named),
                                 at: keyword.name.location)
            }
        }
    }

    /// For completion: each python function's parameters that take a keyword argument.
    public var keywordNames: [String: [String]] {
        guard let provider = invoker?.provider, provider.module.runtime == .python else { return [:] }
        var out: [String: [String]] = [:]
        for f in provider.functions {
            out[f.name] = f.declared.map { $0.filter { $0.kind == .positional || $0.kind == .keywordOnly }.map(\.name) }
                ?? f.parameters.filter { !$0.hasPrefix("*") }
        }
        return out
    }

    /// `punct` of `punct='!'` (a parameter as the runtime describes it may carry its default).
    static func parameterName(_ parameter: String) -> String {
        String(parameter.prefix { $0 != "=" && $0 != ":" && $0 != " " })
    }
}
