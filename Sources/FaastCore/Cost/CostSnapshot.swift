import Foundation

/// One priced quantity: what was measured, its unit price and what it cost.
public struct CostMetric: Sendable, Hashable {
    public var name: String
    /// The unit measured (`GB-second`, `request`, `GB`).
    public var unit: String
    /// USD per unit.
    public var price: Double
    public var measured: Double
    /// Shown for information, not part of the total (e.g. local compute, priced at zero).
    public var informational: Bool
    public var note: String?

    public init(name: String, unit: String, price: Double, measured: Double, informational: Bool = false, note: String? = nil) {
        self.name = name
        self.unit = unit
        self.price = price
        self.measured = measured
        self.informational = informational
        self.note = note
    }

    public var cost: Double { informational ? 0 : price * measured }
}

/// What a session has cost so far, metric by metric, renderable as text, CSV and JSON.
public struct CostSnapshot: Sendable, Hashable {
    public var provider: String
    public var metrics: [CostMetric]
    /// Where the prices came from ("AWS Pricing API, cached 2026-11-27", "built-in table dated ...").
    public var priceSource: String
    public var notes: [String]
    /// For the local provider: what the same calls would have cost on Lambda.
    public var lambdaEstimate: [CostMetric]?

    public init(provider: String, metrics: [CostMetric], priceSource: String, notes: [String] = [], lambdaEstimate: [CostMetric]? = nil) {
        self.provider = provider
        self.metrics = metrics
        self.priceSource = priceSource
        self.notes = notes
        self.lambdaEstimate = lambdaEstimate
    }

    public var total: Double { metrics.reduce(0) { $0 + $1.cost } }

    /// Says what speculative duplicates (`speculative=K`) took of `usage`, which the metrics include.
    public mutating func noteSpeculation(_ usage: Usage) {
        guard usage.speculativeRequests > 0 else { return }
        let n = usage.speculativeRequests
        notes.append("\(n) speculative duplicate\(n == 1 ? "" : "s") included: \(n) request\(n == 1 ? "" : "s"), "
            + "\(NumberText.seconds(usage.speculativeBilledMs.rounded(.up))) ms billed.")
    }
    public var estimateTotal: Double? { lambdaEstimate?.reduce(0) { $0 + $1.cost } }

    /// A table for people.
    public var text: String {
        var lines: [String] = []
        func table(_ metrics: [CostMetric], total: Double) {
            let rows = metrics.map { m -> [String] in
                [m.name, "\(Self.usd(m.price))/\(m.unit)", "\(Self.quantity(m.measured)) \(Self.unit(m.unit, m.measured))",
                 Self.usd(m.cost), total > 0 && !m.informational ? String(format: "%.1f%%", m.cost / total * 100) : "",
                 m.informational ? (m.note.map { "\($0) (not billed)" } ?? "not billed") : (m.note ?? "")]
            }
            let header = ["metric", "price", "measured", "cost", "share", "note"]
            let all = [header] + rows
            let widths = (0..<header.count).map { c in all.map { $0[c].count }.max() ?? 0 }
            for row in all {
                lines.append(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            }
            lines.append("total  \(Self.usd(total))")
        }
        lines.append("cost on \(provider) (prices: \(priceSource))")
        table(metrics, total: total)
        if let estimate = lambdaEstimate, let t = estimateTotal {
            lines.append("")
            lines.append("estimate: the same calls on AWS Lambda")
            table(estimate, total: t)
        }
        lines += notes
        return lines.joined(separator: "\n")
    }

    /// `metric,unit,price,measured,cost,informational,note` rows (estimate rows prefixed `lambda-estimate:`).
    public var csv: String {
        var out = "metric,unit,price,measured,cost,informational,note\n"
        func row(_ m: CostMetric, prefix: String) {
            out += [prefix + m.name, m.unit, String(m.price), String(m.measured), String(m.cost), String(m.informational),
                    Self.csvField(m.note ?? "")].joined(separator: ",") + "\n"
        }
        metrics.forEach { row($0, prefix: "") }
        lambdaEstimate?.forEach { row($0, prefix: "lambda-estimate:") }
        return out
    }

    public var json: JSONValue {
        func metricsJSON(_ ms: [CostMetric], total: Double) -> JSONValue {
            .array(ms.map { m in
                var members: [JSONMember] = [
                    JSONMember("name", .string(m.name)), JSONMember("unit", .string(m.unit)),
                    JSONMember("price", .double(m.price)), JSONMember("measured", .double(m.measured)),
                    JSONMember("cost", .double(m.cost)),
                    JSONMember("share", .double(total > 0 ? m.cost / total : 0)),
                    JSONMember("informational", .bool(m.informational)),
                ]
                if let n = m.note { members.append(JSONMember("note", .string(n))) }
                return .object(members)
            })
        }
        var members: [JSONMember] = [
            JSONMember("provider", .string(provider)), JSONMember("priceSource", .string(priceSource)),
            JSONMember("total", .double(total)), JSONMember("metrics", metricsJSON(metrics, total: total)),
            JSONMember("notes", .array(notes.map { .string($0) })),
        ]
        if let e = lambdaEstimate, let t = estimateTotal {
            members.append(JSONMember("lambdaEstimate", .object([
                JSONMember("total", .double(t)), JSONMember("metrics", metricsJSON(e, total: t)),
            ])))
        }
        return .object(members)
    }

    /// `$0.00001667`: dollars with enough digits to show small prices.
    public static func usd(_ value: Double) -> String {
        if value == 0 { return "$0" }
        if value >= 0.01 { return String(format: "$%.4f", value) }
        return String(format: "$%.8f", value)
    }

    /// A measured quantity for people: whole numbers as they are, others with 6 significant digits, never in
    /// exponent notation (a few responses measure `0.000000120141 GB`, not `1.20141e-07`).
    static func quantity(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        guard v.isFinite, abs(v) < 1e15 else { return String(format: "%.6g", v) }
        let magnitude = Int(log10(abs(v)).rounded(.down))
        var text = String(format: "%.*f", max(0, 5 - magnitude), v)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    /// `unit` for `measured` of it: `request` → `requests`, `GB-second` → `GB-seconds`; an abbreviation such
    /// as `GB` or `s` stays as it is.
    static func unit(_ unit: String, _ measured: Double) -> String {
        measured == 1 || unit.last?.isUppercase == true || unit.count < 2 ? unit : unit + "s"
    }

    static func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
