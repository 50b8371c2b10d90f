/// `$name`, `$o.field`, `$o[0]`, `$o["a key"]`: a variable and a path into its value, as written after `$`.
public struct VariableReference: Sendable, Hashable {
    /// One step into a value: an object's member, or an array's element.
    public enum Step: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public var name: String
    public var steps: [Step]

    public init(name: String, steps: [Step] = []) {
        self.name = name
        self.steps = steps
    }

    /// Parses the text after `$`; nil when it is not a name followed by `.field`, `[N]` or `["key"]` steps.
    public static func parse(_ text: String) -> VariableReference? {
        var rest = Substring(text)
        let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        guard Lexer.isIdentifier(name) else { return nil }
        rest = rest.dropFirst(name.count)
        var steps: [Step] = []
        while let first = rest.first {
            if first == "." {
                let key = rest.dropFirst().prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                guard !key.isEmpty else { return nil }
                steps.append(.key(String(key)))
                rest = rest.dropFirst(1 + key.count)
            } else if first == "[" {
                guard let close = rest.firstIndex(of: "]") else { return nil }
                let inside = rest[rest.index(after: rest.startIndex)..<close]
                if let quote = inside.first, quote == "\"" || quote == "'", inside.count >= 2, inside.last == quote {
                    steps.append(.key(String(inside.dropFirst().dropLast())))
                } else if !inside.isEmpty, inside.count <= 9, inside.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(inside) {
                    steps.append(.index(n))
                } else {
                    return nil
                }
                rest = rest[rest.index(after: close)...]
            } else {
                return nil
            }
        }
        return VariableReference(name: String(name), steps: steps)
    }

    /// The path as written after the name, for messages: `.name[0]`.
    public var pathText: String {
        steps.map { step -> String in
            switch step {
            case .key(let k): return k.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) && !k.isEmpty ? "." + k : "[\"\(k)\"]"
            case .index(let i): return "[\(i)]"
            }
        }.joined()
    }
}
