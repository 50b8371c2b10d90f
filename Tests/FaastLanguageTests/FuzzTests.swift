import FaastCore
import Foundation
import Testing

@testable import FaastLanguage

/// A small seeded generator (SplitMix64), so that every run tries the same inputs and a failure reproduces.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Mutates `seed` a few times: inserted fragments, deleted or repeated ranges, and now and then a burst of
/// thousands of open brackets (the nesting that crashed the readers).
func mutate<Element>(
    _ seed: [Element], fragments: [[Element]], bursts: [[Element]], using rng: inout SeededGenerator
) -> [Element] {
    var out = seed
    for _ in 0..<Int.random(in: 1...6, using: &rng) {
        let at = Int.random(in: 0...out.count, using: &rng)
        switch Int.random(in: 0..<10, using: &rng) {
        case 0..<5:
            out.insert(contentsOf: fragments.randomElement(using: &rng)!, at: at)
        case 5..<7 where !out.isEmpty:
            let end = min(out.count, at + Int.random(in: 1...4, using: &rng))
            if at < end { out.removeSubrange(at..<end) }
        case 7..<9 where !out.isEmpty:
            let start = Int.random(in: 0..<out.count, using: &rng)
            let end = min(out.count, start + Int.random(in: 1...12, using: &rng))
            out.insert(contentsOf: Array(out[start..<end]), at: at)
        default:
            let burst = bursts.randomElement(using: &rng)!
            let count = [10, 511, 512, 513, 3_000, 30_000].randomElement(using: &rng)!
            out.insert(contentsOf: Array(repeatElement(burst, count: count).joined()), at: at)
        }
    }
    return out
}

/// Every input of a fuzz run is bounded by count and by time (machines are shared; a slow run tries fewer).
let fuzzCount = 1_500
let fuzzSeconds = 20.0

@Suite("Fuzzing the readers: no crash, and every error has a position")
struct FuzzTests {
    static let commands = [
        #"call hello("world")"#, "let v = [1, {a: \"x\", 'b': [true, null, -1.5e3]}, $i]",
        "call square($i) x100 mode=queue concurrency=4", "map add [[1, 2], [3, 4]]",
        "expect call add(1, 2) == 3", #"expect call fail("x") fails exception"#,
        #"open functions.js memory=512 env={A: "b"} timeout=5"#, "set timeout=5 format=json", "print hi $v",
        "sleep 0.5", "results", "stats hello", "let x = call add(1,\n 2)\ncall hello($x) # comment",
        "source ~/x.faast", "call f(12345678901234567890, \"😀 é\\n\")", "cleanup\ngc\nexit",
    ]
    static let commandFragments: [String] = [
        "[", "]", "{", "}", "(", ")", "\"", "'", ",", ":", "=", "$", "#", "\n", "\\", " ", "x", "x1e9", "1e999",
        "-", ".", "é", "😀", "\u{0}", "\t", "\r", "\r\n", "call ", "let ", "$i", "a:", "==", "fails", "\u{FEFF}",
        "\u{301}", "99999999999999999999", "nan", "inf",
    ]

    @Test func languageParser() {
        var rng = SeededGenerator(seed: 0xFAA57)
        let fragments = Self.commandFragments.map { Array($0) }
        let bursts = ["[", "{a: ", "[{k: "].map { Array($0) }
        let deadline = Date().addingTimeInterval(fuzzSeconds)
        var tried = 0, failed = 0
        while tried < fuzzCount, Date() < deadline {
            tried += 1
            let source = String(mutate(Array(Self.commands.randomElement(using: &rng)!), fragments: fragments,
                                       bursts: bursts, using: &rng))
            do {
                _ = try Parser.parse(source)
            } catch {
                failed += 1
                let lineCount = SourceLines(source, firstLine: 1).lines.count
                let ok = error.location.line >= 1 && error.location.line <= lineCount && error.location.column >= 1
                    && error.location.column <= error.sourceLine.count + 1 && error.rendered(file: nil).contains("^")
                #expect(ok, "\(error.location) outside the source for \(source.debugDescription.prefix(300))")
                if !ok { return }
            }
        }
        #expect(tried >= 100)
        #expect(failed > 0)
    }

    static let documents = [
        "null", "[1, 2.5e-3, -0, 12345678901234567890123]", #"{"a": {"b": [true, false, null]}, "c": "d"}"#,
        #""h\u00e9llo \ud83d\ude00 \n""#, #"{"callId":"c1","type":"returned","value":[{"$faast":"bytes","base64":"AA=="}]}"#,
        "[[[[]]], {}, [{}]]", #""日本語""#,
    ]
    static let jsonFragments: [[UInt8]] = [
        "[", "]", "{", "}", ",", ":", "\"", "\\", "\\u", "\\ud800", "0", "-", ".", "e", "1e999", "true", "nul", " ",
        "\n", "é", "😀",
    ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0x80], [0xED, 0xA0, 0x80], [0x00], [0x1F]]

    @Test func jsonReader() {
        var rng = SeededGenerator(seed: 0x15_0415)
        let bursts = ["[", #"{"a":"#, #"[{"k":"#].map { Array($0.utf8) }
        let deadline = Date().addingTimeInterval(fuzzSeconds)
        var tried = 0, failed = 0
        while tried < fuzzCount, Date() < deadline {
            tried += 1
            let bytes = mutate(Array(Self.documents.randomElement(using: &rng)!.utf8), fragments: Self.jsonFragments,
                               bursts: bursts, using: &rng)
            do {
                let value = try JSONParser.parse(bytes: bytes)
                // What parses writes back to text that parses to the same value.
                let again = try JSONParser.parse(value.jsonText)
                #expect(again == value)
                #expect(value.nestingDepth <= JSONParser.maxDepth)
            } catch {
                failed += 1
                #expect((0...bytes.count).contains(error.offset), "offset \(error.offset) of \(bytes.count) bytes")
            }
        }
        #expect(tried >= 100)
        #expect(failed > 0)
    }

    // MARK: the reproductions

    @Test func valuesNestAtMost512LevelsWithAPositionedError() throws {
        let deep = "let v = " + String(repeating: "[", count: 30_000) + String(repeating: "]", count: 30_000)
        expectError(deep, "value nested deeper than 512 levels", at: 1, 9 + 512)
        let call = "call add(" + String(repeating: "[", count: 3_000) + String(repeating: "]", count: 3_000) + ", 1)"
        expectError(call, "value nested deeper than 512 levels", at: 1, 10 + 512)
        let objects = "let v = " + String(repeating: "{a: ", count: 600) + "1" + String(repeating: "}", count: 600)
        expectError(objects, "value nested deeper than 512 levels", at: 1, 9 + 512 * 4)
        // On a later line of a script, the line counts.
        expectError("print x\n" + deep, "value nested deeper than 512 levels", at: 2, 9 + 512)

        let deepest = "let v = " + String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        guard case .letBinding(_, .value(let expr))? = command(deepest) else {
            Issue.record("not a let of a value")
            return
        }
        var depth = 0
        var e = expr
        while case .array(let elements, _) = e, let first = elements.first { depth += 1; e = first }
        #expect(depth + 1 == 512)
    }
}
