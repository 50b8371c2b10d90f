import FaastCore
import FaastLanguage
import Testing

@testable import FaastShell

/// What a newcomer is shown: cold starts apart from warm calls, a short map's values, what a call printed.
@Suite("teaching output")
struct TeachingTests {
    @Test("a fan-out's summary and stats count cold starts apart from the warm calls")
    func coldStartsApart() async throws {
        let h = Harness { $0.timing = true }
        #expect(await h.run("open functions.js\ncall warmup($i) x10\nstats\nstats warmup") == .ok)
        let out = h.output.stdout
        let summary = try #require(out.split(separator: "\n").first { $0.hasPrefix("10 ok") })
        #expect(summary.contains(" (warm, 8 calls) · 2 cold starts: p50 "), "\(summary)")
        #expect(out.contains("\nwarmup: p50 "), "stats names the function's cold starts: \(out)")
        #expect(out.contains("(warm, 8 calls), 2 cold starts: p50 "))

        // A single call's timing says when it was a cold start.
        let one = Harness { $0.timing = true }
        #expect(await one.run("open functions.js\ncall warmup(0)\ncall warmup(7)") == .ok)
        let lines = one.output.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("0  ") && lines[0].hasSuffix(" (cold start)"))
        #expect(lines.count == 2 && lines[1].hasPrefix("7  ") && !lines[1].contains("cold"))

        // One cold start is one time, not a percentile of one.
        let cold = LatencySummary(count: 1, mean: 80, stdev: 0, min: 80, max: 80, p50: 80, p90: 80, p99: 80)
        let warm = LatencySummary(count: 3, mean: 2, stdev: 0, min: 1, max: 3, p50: 2, p90: 3, p99: 3)
        #expect(TextRenderer.coldAndWarm(warm: warm, cold: cold) == ["p50 2.0 ms", "p99 3.0 ms (warm, 3 calls)", "1 cold start: 80.0 ms"])

        // Without cold starts the summary stays as it was: no "warm" label.
        let g = Harness { $0.timing = true }
        #expect(await g.run("open functions.js\ncall square($i) x5") == .ok)
        #expect(!g.output.stdout.contains("warm") && !g.output.stdout.contains("cold"))
        #expect(g.output.stdout.contains(" · p50 "))
    }

    @Test("cold starts in JSON: the fan-out's and stats' counts and latencies")
    func coldStartsInJSON() async throws {
        let h = Harness(format: .json)
        #expect(await h.run("open functions.js\ncall warmup($i) x10\nstats\ncall warmup(0)\ncall warmup(5)") == .ok)
        let objects = try h.output.stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(objects[1]["coldStarts"] == 2)
        #expect(objects[1]["coldLatencyMs"]?["p50"] != nil && objects[1]["warmLatencyMs"]?["p99"] != nil)
        #expect(objects[2]["functions"]?["warmup"]?["coldStarts"] == 2)
        #expect(objects[2]["functions"]?["warmup"]?["warmLatencyMs"]?["count"] == 8)
        #expect(objects[3]["coldStart"] == true)
        #expect(objects[4]["coldStart"] == false)
    }

    @Test("a map of up to 20 elements lists its values before its summary; a longer one only sums up")
    func shortMapsListValues() async throws {
        let h = Harness()
        let twentyOne = "[" + (1...21).map(String.init).joined(separator: ", ") + "]"
        #expect(await h.run("open functions.js\nmap square [1, 2, 3]\nmap square \(twentyOne)\nlet m = map square [4]\ncall square($i) x2") == .ok)
        #expect(h.output.stdout == """
            0: 1
            1: 4
            2: 9
            3 ok · 0 failed · 0 retried (square x3, mode https)
            21 ok · 0 failed · 0 retried (square x21, mode https)
            1 ok · 0 failed · 0 retried (square x1, mode https)
            2 ok · 0 failed · 0 retried (square x2, mode https)

            """)
    }

    @Test("a failed element of a short map is listed with its error")
    func shortMapListsFailures() async throws {
        let h = Harness()
        #expect(await h.run("open functions.js\nmap fail [\"a\"]") == .failed)
        #expect(h.output.stdout.hasPrefix("0: error (exception): Error: a\n0 ok · 1 failed"))
    }

    @Test("a single call shows what the function printed, on stderr below its value; set output=off hides it")
    func functionOutput() async throws {
        let h = Harness()
        #expect(await h.run("open functions.js\ncall printer(2)\ncall square(3)") == .ok)
        #expect(h.output.stdout == "2\n9\n")
        #expect(h.output.stderr == "  │ line 0\n  │ line 1\n")

        let long = Harness()
        #expect(await long.run("open functions.js\ncall printer(23)") == .ok)
        let lines = long.output.stderr.split(separator: "\n")
        #expect(lines.count == 21)
        #expect(lines.last == "  │ … 3 more lines (logs shows them)")

        let off = Harness()
        #expect(await off.run("open functions.js\nset output=off\ncall printer(2)\nlet x = call printer(2)\ncall printer(2) x2") == .ok)
        #expect(off.output.stdout.hasPrefix("2\n"))
        #expect(off.output.stderr.isEmpty)

        let json = Harness(format: .json)
        #expect(await json.run("open functions.js\ncall printer(2)\nset output=off\ncall printer(1)") == .ok)
        let objects = try json.output.stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(objects[1]["output"] == ["line 0", "line 1"])
        #expect(objects[3]["output"] == nil)
        #expect(json.output.stderr.isEmpty)
    }
}
