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

    private func write(to out: inout String, indent: String?, level: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let text): out += text
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let elements):
            if elements.isEmpty { out += "[]"; return }
            guard let indent, !(elements.count <= 8 && elements.allSatisfy(\.isScalar)) else {
                out += "["
                for (i, e) in elements.enumerated() {
                    if i > 0 { out += indent == nil ? "," : ", " }
                    e.write(to: &out, indent: indent, level: level + 1)
                }
                out += "]"
                return
            }
            out += "[\n"
            for (i, e) in elements.enumerated() {
                out += String(repeating: indent, count: level + 1)
                e.write(to: &out, indent: indent, level: level + 1)
                out += i == elements.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: indent, count: level) + "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            guard let indent, tag == nil else {
                out += "{"
                for (i, m) in members.enumerated() {
                    if i > 0 { out += indent == nil ? "," : ", " }
                    JSONValue.writeString(m.key, to: &out)
                    out += indent == nil ? ":" : ": "
                    m.value.write(to: &out, indent: indent, level: level + 1)
                }
                out += "}"
                return
            }
            out += "{\n"
            for (i, m) in members.enumerated() {
                out += String(repeating: indent, count: level + 1)
                JSONValue.writeString(m.key, to: &out)
                out += ": "
                m.value.write(to: &out, indent: indent, level: level + 1)
                out += i == members.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: indent, count: level) + "}"
        }
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
