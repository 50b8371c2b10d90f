import FaastCore
import FaastLanguage
import FaastLocal
import FaastShell
import Foundation
import Testing

/// A shell writing into memory, on the in-memory provider (fast, exact) or, with `real`, on the real local
/// provider with node and python workers (the end-to-end tests).
struct Harness {
    let shell: Shell
    let output = CapturedOutput()
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples").path

    init(format: OutputFormat = .text, real: Bool = false, configure: (inout ShellOptions) -> Void = { _ in }) {
        var options = ShellOptions()
        options.format = format
        configure(&options)
        let provider: any ProviderFactory
        if real {
            let state = NSTemporaryDirectory() + "faast-shell-tests-\(UUID().uuidString.prefix(8))"
            provider = LocalProviderFactory(stateDirectory: state)
        } else {
            provider = MemoryProviderFactory()
        }
        options.provider = provider.name
        shell = Shell(options: options, output: output, providers: [provider])
    }

    /// Runs a script whose relative paths start in examples/.
    func run(_ script: String) async -> CommandStatus {
        await shell.runScript(script, context: SourceContext(file: "test.faast", text: script, directory: Self.examples))
    }
}

@Suite("the evaluator")
struct EvaluatorTests {
    @Test("calls print their values; fan-outs print one summary; results lists every value")
    func callsAndFanOuts() async throws {
        let h = Harness()
        let status = await h.run("""
            open functions.js
            call hello("world")
            call add(2, 40)
            call square($i) x5
            results
            """)
        #expect(status == .ok)
        #expect(h.output.stdout == """
            "hello world!"
            42
            5 ok · 0 failed · 0 retried (square x5, mode https)
            0: 0
            1: 1
            2: 4
            3: 9
            4: 16

            """)
        await h.shell.shutdown()
    }

    @Test("let, $_ and print interpolation")
    func variables() async throws {
        let h = Harness()
        let status = await h.run("""
            open functions.py
            let g = call hello("py")
            print got $g
            call add(1, 2)
            print last ${_}!
            let xs = [1, 2, {"a": null}]
            print $xs
            let sq = map square [1, 2, 3]
            print $sq
            """)
        #expect(status == .ok)
        #expect(h.output.stdout == """
            got hello py!
            3
            last 3!
            [1,2,{"a":null}]
            3 ok · 0 failed · 0 retried (square x3, mode https)
            [1,4,9]

            """)
        await h.shell.shutdown()
    }

    @Test("a script stops at the first failed call with status failed; continue-on-error goes on")
    func stopsOnFailure() async throws {
        let h = Harness(real: true)
        let status = await h.run("""
            open functions.js
            call fail("boom")
            print not reached
            """)
        #expect(status == .failed)
        #expect(!h.output.stdout.contains("not reached"))
        #expect(h.output.stderr.contains("error (exception): Error: boom"))
        #expect(h.output.stderr.contains("functions.js:"), "the remote stack names the user's file")
        #expect(h.output.stderr.contains("log: file://"))
        await h.shell.shutdown()

        let g = Harness(real: true) { $0.continueOnError = true }
        let status2 = await g.run("open functions.js\ncall fail(\"boom\")\nprint reached")
        #expect(status2 == .failed)
        #expect(g.output.stdout.contains("reached"))
        await g.shell.shutdown()
    }

    @Test("expect passes and fails with clear messages")
    func expectations() async throws {
        let h = Harness { $0.continueOnError = true }
        let status = await h.run("""
            open functions.js
            expect call add(1, 2) == 3
            expect call add(1, 2) == 4
            expect call fail("x") fails exception
            expect call fail("x") fails timeout
            expect call hello("x") fails
            expect call square($i) x3 == 0
            """)
        #expect(status == .failed)
        #expect(h.output.stdout.contains("✓ add(1, 2) == 3"))
        #expect(h.output.stderr.contains("✗ expect add(1, 2) == 4: got 3"))
        #expect(h.output.stdout.contains("✓ fail(\"x\") fails exception"))
        #expect(h.output.stderr.contains("✗ expect fail(\"x\") fails timeout: it failed with exception"))
        #expect(h.output.stderr.contains("✗ expect hello(\"x\") fails: it returned \"hello x!\""))
        #expect(h.output.stderr.contains("✗ expect square($i) x3 == 0"))
        await h.shell.shutdown()
    }

    @Test("mistakes are usage errors with the place and a suggestion, and lose nothing")
    func usageErrors() async throws {
        let h = Harness()
        #expect(await h.run("open functions.js") == .ok)
        #expect(await h.shell.runLine("call helo(\"x\")") == .usage)
        #expect(h.output.stderr.contains("1:6: error: no function 'helo' in functions.js (did you mean 'hello'?)"))
        #expect(await h.shell.runLine("call hello(\"a\", \"b\")") == .usage)
        #expect(h.output.stderr.contains("hello(name) takes 1 argument, got 2"))
        #expect(await h.shell.runLine("call hello($i)") == .usage)
        #expect(h.output.stderr.contains("$i is the index of a fan-out"))
        #expect(await h.shell.runLine("call hello($nope)") == .usage)
        #expect(await h.shell.runLine("call hello(\"x\") mdoe=queue") == .usage)
        #expect(h.output.stderr.contains("unknown option 'mdoe' for call (did you mean 'mode'?)"))
        #expect(await h.shell.runLine("call hello(\"x\") mode=fast") == .usage)
        #expect(await h.shell.runLine("cal hello(\"x\")") == .usage)
        #expect(h.output.stderr.contains("did you mean 'call'?"))
        // The n-th -c command is line n, and its text is shown with the caret.
        #expect(await h.shell.runLine("call add($totl, 1)", lineNumber: 3) == .usage)
        #expect(h.output.stderr.contains("3:10: error: unknown variable $totl\ncall add($totl, 1)\n         ^"))
        // The session is intact.
        #expect(await h.shell.runLine("call hello(\"still here\")") == .ok)
        #expect(h.output.stdout.contains("\"hello still here!\""))
        await h.shell.shutdown()
    }

    @Test("values from variables are checked against the table like literals: a range error, never a trap")
    func variableValuesAreChecked() async throws {
        let h = Harness()
        #expect(await h.run("open functions.js") == .ok)
        for (line, message) in [
            ("let t = 1e308\nset timeout=$t", "2:13: error: timeout= takes seconds above 0 and up to 86,400, not 1e308"),
            ("let big = 99999999999999999999\nsleep $big", "2:7: error: sleep takes seconds from 0 to 86,400, not 99999999999999999999"),
            ("let n = 1000000000\ncall square(1) x$n", "2:17: error: the fan-out count takes a whole number of calls from 0 to 100,000,000 (1e8), not 1000000000"),
            ("let r = 9223372036854775808\nopen functions.js retention=$r", "2:29: error: retention= takes days above 0 and up to 3,650, not 9223372036854775808"),
            ("let m = \"fast\"\ncall hello(\"x\") mode=$m", "2:22: error: mode= takes https or queue, not 'fast'"),
        ] {
            #expect(await h.run(line) == .usage, "\(line)")
            #expect(h.output.stderr.contains("test.faast:" + message), "\(line): \(h.output.stderr)")
        }
        // Nothing changed: the default timeout holds, the module is still open.
        #expect(await h.run("status") == .ok)
        #expect(h.output.stdout.contains("timeout      60 s"))
        await h.shell.shutdown()
    }

    @Test("call before open says to open a module")
    func noSession() async throws {
        let h = Harness()
        #expect(await h.shell.runLine("call hello(\"x\")") == .usage)
        #expect(h.output.stderr.contains("no module is open: use 'open MODULE' first"))
    }

    @Test("json format: one object per command, exact values")
    func jsonFormat() async throws {
        let h = Harness(format: .json)
        let status = await h.run("""
            open functions.js
            call add(1, 2)
            call hello("你好")
            call square($i) x3
            call fail("no")
            """)
        #expect(status == .failed)
        let lines = h.output.stdout.split(separator: "\n").map(String.init)
        try #require(lines.count == 5)
        let objects = try lines.map { try JSONParser.parse($0) }
        #expect(objects.map { $0["command"]?.stringValue } == ["open", "call", "call", "call", "call"])
        #expect(objects[1]["ok"] == true)
        #expect(objects[1]["value"] == 3)
        #expect(objects[2]["value"] == "hello 你好!")
        #expect(objects[3]["succeeded"] == 3)
        #expect(objects[4]["ok"] == false)
        #expect(objects[4]["error"]?["kind"] == "exception")
        #expect(h.output.stderr.isEmpty || !h.output.stderr.contains("{"))
        await h.shell.shutdown()
    }

    @Test("a fan-out's arguments: each call gets its own $i inside arrays and objects, the rest as written")
    func fanOutArguments() async throws {
        let h = Harness(format: .json)
        let status = await h.run("""
            open functions.js
            let x = call add(2, 3)
            call echo([$i, {"i": $i, "x": $x, "s": "ü"}, [$x, [$i]], 7]) x3
            """)
        #expect(status == .ok)
        let lines = h.output.stdout.split(separator: "\n").map(String.init)
        let batch = try JSONParser.parse(try #require(lines.last))
        let values = try #require(batch["values"]?.arrayValue)
        #expect(values.count == 3)
        for (i, v) in values.enumerated() {
            let expected = try JSONParser.parse(#"[\#(i), {"i": \#(i), "x": 5, "s": "ü"}, [5, [\#(i)]], 7]"#)
            #expect(v == expected, "call \(i)")
        }
        await h.shell.shutdown()
    }

    @Test("big integers round-trip exactly through python")
    func bigIntegers() async throws {
        let h = Harness(format: .json, real: true)
        _ = await h.run("open functions.py\ncall add(12345678901234567890123, 1)")
        let last = try JSONParser.parse(String(h.output.stdout.split(separator: "\n").last!))
        #expect(last["value"] == .number("12345678901234567890124"))
        await h.shell.shutdown()
    }

    @Test("stats, cost, status, logs and logUrl describe the session")
    func sessionInformation() async throws {
        let h = Harness(real: true)
        let status = await h.run("""
            open functions.js
            call hello("x") x10
            stats hello
            cost
            status
            logs hello last=5
            logUrl
            """)
        #expect(status == .ok)
        let out = h.output.stdout
        #expect(out.contains("hello        10  10       0        0"))
        #expect(out.contains("execution p50"))
        #expect(out.contains("estimate: the same calls on AWS Lambda"))
        #expect(out.contains("provider     local"))
        #expect(out.contains("START hello") || out.contains("END hello"))
        #expect(out.contains("file://"))
        await h.shell.shutdown()
    }

    @Test("set changes the session's defaults and format")
    func settings() async throws {
        let h = Harness()
        let status = await h.run("""
            open functions.js
            set concurrency=2 retries=0 pipeline=off format=json
            call hello("x")
            call hello("y") x3 pipeline=on
            status
            """)
        #expect(status == .ok)
        let lines = h.output.stdout.split(separator: "\n")
        let st = try JSONParser.parse(String(lines.last!))
        // Typed: numbers as numbers, booleans as booleans.
        #expect(st["concurrency"] == .int(2))
        #expect(st["retries"] == .int(0))
        #expect(st["pipeline"] == false)
        #expect(st["timeout"] == .int(60) || st["timeout"] == .double(60))
        #expect(st["rate"] == .null)
        #expect(st["calls"]?["invocations"] == .int(4))
        #expect(await h.shell.runLine("set pipeline=maybe") == .usage)
        #expect((h.output.stdout + h.output.stderr).contains("pipeline= takes on or off"))
        await h.shell.shutdown()
    }

    @Test("a syntax error anywhere stops the script before anything runs")
    func syntaxErrorFirst() async throws {
        let h = Harness()
        let status = await h.run("print first\ncall add(1, 2\n")
        #expect(status == .usage)
        #expect(h.output.stdout.isEmpty)
        #expect(h.output.stderr.contains("test.faast:2:"))
    }

    @Test("cleanup tears the deployment down; open replaces the module")
    func cleanupAndReopen() async throws {
        let h = Harness()
        let status = await h.run("""
            open functions.js
            open functions.py
            call hello("py")
            cleanup
            """)
        #expect(status == .ok)
        #expect(h.output.stdout.contains("stopped"))
        #expect(await h.shell.hasSession == false)
    }
}
