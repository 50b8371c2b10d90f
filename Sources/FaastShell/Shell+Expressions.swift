import FaastCore
import FaastLanguage

/// Values of expressions: literals, arrays and objects with `$variables`, `$_` and, in a fan-out, `$i`.
extension Shell {
    /// The value of an expression; `$i` only inside a fan-out (index non-nil).
    func evaluate(_ expr: Expr, index: Int?) throws -> JSONValue {
        try Self.evaluate(expr, variables: variables, index: index)
    }

    static func evaluate(_ expr: Expr, variables: [String: JSONValue], index: Int?) throws -> JSONValue {
        switch expr {
        case .literal(let v, _): return v
        case .array(let items, _): return .array(try items.map { try evaluate($0, variables: variables, index: index) })
        case .object(let members, _):
            return .object(try members.map { JSONMember($0.key, try evaluate($0.value, variables: variables, index: index)) })
        case .variable(let name):
            if name.text == "i" {
                guard let index else {
                    throw ShellError("$i is the index of a fan-out; use it in a call with xN, e.g. call square($i) x10", at: name.location)
                }
                return .int(index)
            }
            if let v = variables[name.text] { return v }
            if name.text == "_" { throw ShellError("$_ is the last result, and nothing has returned yet", at: name.location) }
            throw ShellError("unknown variable $\(name.text)"
                + Suggestion.didYouMean(name.text, in: variables.keys.filter { $0 != "_" }, sigil: "$"),
                at: name.location)
        }
    }

    static func usesIndex(_ expr: Expr) -> Bool {
        switch expr {
        case .literal: return false
        case .variable(let n): return n.text == "i"
        case .array(let items, _): return items.contains(where: usesIndex)
        case .object(let members, _): return members.contains { usesIndex($0.value) }
        }
    }
}
