/// "Did you mean" for mistyped names: the closest candidate by edit distance (case-insensitive,
/// adjacent transpositions count as one edit), if it is close enough to be a plausible typo.
public enum Suggestion {
    /// The best candidate for `word`, or nil when nothing is within a plausible typo distance.
    public static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        nearest(to: word, in: candidates).first
    }

    /// Every candidate at the smallest distance from `word` when that is a plausible typo, in the candidates'
    /// order; else the names that `word` is a prefix of ("conc" for "concurrency"), shortest first.
    public static func nearest(to word: String, in candidates: some Sequence<String>) -> [String] {
        let candidates = Array(candidates)
        let target = Array(word.lowercased())
        let distances = candidates.map { distance(target, Array($0.lowercased())) }
        guard let best = distances.min() else { return [] }
        let limit = max(1, min(3, (max(target.count, 2) + 1) / 3))
        if best <= limit {
            // On a tie, the names `word` begins ("of" → "off" before "on") come first.
            let ties = candidates.indices.filter { distances[$0] == best }.map { candidates[$0] }
            let lower = word.lowercased()
            return ties.filter { $0.lowercased().hasPrefix(lower) } + ties.filter { !$0.lowercased().hasPrefix(lower) }
        }
        guard target.count >= 2 else { return [] }
        let lower = word.lowercased()
        let prefixed = candidates.filter { $0.lowercased().hasPrefix(lower) }
        return prefixed.enumerated().sorted { ($0.element.count, $0.offset) < ($1.element.count, $1.offset) }.map(\.element)
    }

    /// " (did you mean 'x'?)" or "" — ready to append to a message; `sigil` is written before the name (`$`).
    public static func didYouMean(_ word: String, in candidates: some Sequence<String>, sigil: String = "") -> String {
        didYouMean(closest(to: word, in: candidates).map { [sigil + $0] } ?? [])
    }

    /// " (did you mean 'a' or 'b'?)" for names already chosen (`PathSuggestion`), or "" when there are none.
    public static func didYouMean(_ names: [String]) -> String {
        guard let last = names.last else { return "" }
        let quoted = names.map { "'\($0)'" }
        let list = names.count == 1 ? quoted[0] : quoted.dropLast().joined(separator: ", ") + " or '\(last)'"
        return " (did you mean \(list)?)"
    }

    /// Optimal string alignment distance.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev2 = [Int](repeating: 0, count: b.count + 1)
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    cur[j] = min(cur[j], prev2[j - 2] + 1)
                }
            }
            (prev2, prev, cur) = (prev, cur, prev2)
        }
        return prev[b.count]
    }
}
