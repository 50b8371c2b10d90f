/// Numbers as faast writes them in messages.
public enum NumberText {
    /// Seconds (or days) without a needless fraction: `5`, `0.25`, `1e+300`. Never traps, whatever the value.
    public static func seconds(_ s: Double) -> String {
        s == s.rounded() && abs(s) < 1e15 ? String(Int64(s)) : String(s)
    }

    /// A count with its noun: `1 day`, `2 days`, `0.5 days` (the plural is the noun plus "s").
    public static func count(_ n: Double, _ noun: String) -> String {
        "\(seconds(n)) \(n == 1 ? noun : noun + "s")"
    }
}
