extension JSONValue {
    /// Compact JSON text (the wire form).
    public var jsonText: String {
        var out = ""
        write(to: &out, indent: nil, level: 0)
        return out
    }

    /// Indented JSON text for people, two spaces a level; short arrays of scalars stay on one line.
    public var prettyText: String {
        var out = ""
        write(to: &out, indent: "  ", level: 0)
        return out
    }

    /// Appends the compact JSON text of this value to `out`.
    public func write(to out: inout String) { write(to: &out, indent: nil, level: 0) }

    private var isScalar: Bool {
        switch self {
        case .array, .object: return tag != nil
        default: return true
        }
    }

    /// An array or object being written: what `write` keeps instead of recursing.
    private struct OpenContainer {
        var elements: [JSONValue] = []
        var members: [JSONMember] = []
        var isObject: Bool
        var next = 0
        /// One member a line (pretty text), or all on one line.
        var multiline: Bool
        var level: Int
        var count: Int { isObject ? members.count : elements.count }
    }

    /// Writes with an explicit stack of open containers instead of recursion, so that a value of any depth
    /// is written on any thread (lanes run on 512 KB stacks).
    private func write(to out: inout String, indent: String?, level: Int) {
        var open: [OpenContainer] = []
        var pending: JSONValue? = self
        var pendingLevel = level
        while true {
            if let value = pending {
                pending = nil
                switch value {
                case .null: out += "null"
                case .bool(let b): out += b ? "true" : "false"
                case .number(let text): out += text
                case .string(let s): JSONValue.writeString(s, to: &out)
                case .array(let elements):
                    if elements.isEmpty {
                        out += "[]"
                    } else {
                        let multiline = indent != nil && !(elements.count <= 8 && elements.allSatisfy(\.isScalar))
                        out += multiline ? "[\n" : "["
                        open.append(OpenContainer(elements: elements, isObject: false, multiline: multiline, level: pendingLevel))
                    }
                case .object(let members):
                    if members.isEmpty {
                        out += "{}"
                    } else {
                        let multiline = indent != nil && value.tag == nil
                        out += multiline ? "{\n" : "{"
                        open.append(OpenContainer(members: members, isObject: true, multiline: multiline, level: pendingLevel))
                    }
                }
            }
            guard var container = open.popLast() else { return }
            if container.next == container.count {
                if container.multiline, let indent { out += "\n" + String(repeating: indent, count: container.level) }
                out += container.isObject ? "}" : "]"
                continue
            }
            if container.next > 0 { out += container.multiline ? ",\n" : (indent == nil ? "," : ", ") }
            if container.multiline, let indent { out += String(repeating: indent, count: container.level + 1) }
            if container.isObject {
                let member = container.members[container.next]
                JSONValue.writeString(member.key, to: &out)
                out += indent == nil ? ":" : ": "
                pending = member.value
            } else {
                pending = container.elements[container.next]
            }
            pendingLevel = container.level + 1
            container.next += 1
            open.append(container)
        }
    }

    /// How deeply arrays and objects nest in this value (0 for a scalar, 1 for `[1]`), counted without recursion.
    public var nestingDepth: Int {
        var deepest = 0
        var stack: [(value: JSONValue, depth: Int)] = [(self, 0)]
        while let (value, depth) = stack.popLast() {
            let children: [JSONValue]
            switch value {
            case .array(let elements): children = elements
            case .object(let members): children = members.map(\.value)
            default: continue
            }
            deepest = max(deepest, depth + 1)
            for child in children where child.isContainer { stack.append((child, depth + 1)) }
        }
        return deepest
    }

    /// Appends `s` as a JSON string literal; non-ASCII characters are kept as they are.
    public static func writeString(_ s: String, to out: inout String) {
        out += "\""
        var needsEscape = false
        for b in s.utf8 where b < 0x20 || b == 0x22 || b == 0x5C {
            needsEscape = true
            break
        }
        if !needsEscape {
            out += s
            out += "\""
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
