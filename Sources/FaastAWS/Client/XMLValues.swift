/// Values of the simple, flat XML documents that AWS's Query protocol answers with (IAM, SNS, STS).
///
/// These responses are machine-written, unnamespaced-by-prefix and without CDATA or attributes faast needs,
/// so a scan for `<Name>text</Name>` with the five XML entities decoded is all that is required.
enum XMLValues {
    /// The text of every element named `name`, in document order.
    static func all(_ name: String, in xml: String) -> [String] {
        var out: [String] = []
        let open = "<\(name)>", close = "</\(name)>"
        var rest = xml[...]
        while let start = rest.range(of: open) {
            let after = rest[start.upperBound...]
            guard let end = after.range(of: close) else { break }
            out.append(decode(String(after[..<end.lowerBound])))
            rest = after[end.upperBound...]
        }
        return out
    }

    static func first(_ name: String, in xml: String) -> String? { all(name, in: xml).first }

    static func decode(_ s: String) -> String {
        guard s.contains("&") else { return s }
        return s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&#xA;", with: "\n").replacingOccurrences(of: "&#10;", with: "\n")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
