import FaastCore
import FaastLanguage
import Foundation

/// Number and duration formatting shared by every renderer.
enum Format {
    /// `4.1 ms`, `812 µs`, `2.35 s`.
    static func duration(ms: Double) -> String {
        if ms < 1 { return String(format: "%.0f µs", ms * 1000) }
        if ms < 100 { return String(format: "%.1f ms", ms) }
        if ms < 10_000 { return String(format: "%.0f ms", ms) }
        return String(format: "%.2f s", ms / 1000)
    }

    /// `2,310` with thousands separators.
    static func grouped(_ value: Int) -> String { ReadableNumber.grouped(value) }

    static func rate(_ perSecond: Double) -> String {
        perSecond >= 100 ? grouped(Int(perSecond.rounded())) : String(format: "%.1f", perSecond)
    }

    /// Text padded to `width` characters.
    static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let n = s.count
        if n >= width { return s }
        let fill = String(repeating: " ", count: width - n)
        return right ? fill + s : s + fill
    }

    /// Rows as aligned columns (first row is the header).
    static func table(_ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        guard let first = rows.first else { return "" }
        let widths = (0..<first.count).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { pad($1, widths[$0], right: rightAligned.contains($0)) }
                .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n")
    }
}
