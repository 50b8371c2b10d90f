import FaastCore
import FaastLanguage
import Testing

@testable import FaastShell

@Suite("one set of results, two renderers, one exit-code function")
struct RenderingTests {
    static let script = """
        open functions.js
        functions
        help add
        call add(1, 2)
        call square($i) x3
        results
        let v = call hello("x")
        let w = [1, 2]
        expect call add(1, 1) == 2
        status
        stats
        cost
        logUrl
        logs
        set retries=1
        print $v
        sleep 0
        gc
        cleanup
        """

    @Test("every command gives one JSON object naming it, in order, and nothing on stderr")
    func jsonForEveryCommand() async throws {
        let h = Harness(format: .json)
        #expect(await h.run(Self.script) == .ok)
        let objects = try h.output.stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(objects.map { $0["command"]?.stringValue ?? "?" } == [
            "open", "functions", "help", "call", "call", "results", "let", "let", "expect", "status", "stats", "cost",
            "logUrl", "logs", "set", "print", "sleep", "gc", "cleanup",
        ])
        #expect(objects.allSatisfy { $0["ok"] == true })
        #expect(objects[3]["value"] == 3)
        #expect(objects[4]["succeeded"] == 3)
        #expect(objects[6]["value"] == "hello x!")
        #expect(objects[15]["text"] == "hello x!")
        #expect(h.output.stderr.isEmpty)
    }

    @Test("the same script as text: values and tables on stdout")
    func textForEveryCommand() async throws {
        let h = Harness()
        #expect(await h.run(Self.script) == .ok)
        let out = h.output.stdout
        #expect(out.hasPrefix("  hello(name)\n  add(a, b)\n"))
        #expect(out.contains("3\n3 ok · 0 failed · 0 retried (square x3, mode https)\n0: 0\n1: 1\n2: 4\n"))
        #expect(out.contains("✓ add(1, 1) == 2\n"))
        #expect(out.contains("hello x!\nnothing to collect\n  stopped the memory session\n"))
        #expect(h.output.stderr.isEmpty)
    }

    @Test("errors: usage (2), failure (1), syntax (2) in both formats")
    func errors() async throws {
        for format in [OutputFormat.text, .json] {
            let h = Harness(format: format)
            #expect(await h.run("open nothere.js") == .usage)
            #expect(await h.run("open functions.js") == .ok)
            #expect(await h.run("call fail(\"boom\")") == .failed)
            #expect(await h.run("call add(1,") == .usage)
            if format == .json {
                let kinds = try h.output.stdout.split(separator: "\n").map { try JSONParser.parse(String($0))["error"]?["kind"] }
                #expect(kinds == ["usage", nil, "exception", "syntax"])
            } else {
                #expect(h.output.stderr.contains("error: nothere.js: no such file\n"))  // as typed
                #expect(h.output.stderr.contains("error (exception): Error: boom\n    at fail (functions.js:12:9)\n  log: memory://fail\n"))
            }
        }
    }

    @Test("a call that may have run runs again only with rerun=N, and every view counts the re-runs")
    func reruns() async throws {
        let h = Harness()
        #expect(await h.run("open functions.js") == .ok)
        #expect(await h.run("call lost()") == .failed)
        #expect(h.output.stderr.contains("error (workerExited)"))
        #expect(await h.run("call lost() x3 rerun=1\nstats\nstatus") == .ok)
        let out = h.output.stdout
        #expect(out.contains("3 ok · 0 failed · 0 retried · 3 re-run (lost x3, mode https)"))
        #expect(out.contains("function  calls  ok  failed  retries  re-runs"))
        #expect(out.contains("4 (3 ok, 1 failed, 0 retries, 3 re-runs)"))
        let j = Harness(format: .json)
        #expect(await j.run("open functions.js\ncall lost() rerun=2\nstats lost") == .ok)
        let stats = try JSONParser.parse(String(j.output.stdout.split(separator: "\n").last!))
        #expect(stats["functions"]?["lost"]?["reruns"] == 1)
    }

    @Test("exit codes come from one function")
    func exitCodes() {
        #expect(ExitStatus.code(for: .ok) == 0)
        #expect(ExitStatus.code(for: .exit) == 0)
        #expect(ExitStatus.code(for: .failed) == 1)
        #expect(ExitStatus.code(for: .usage) == 2)
        #expect(ExitStatus.code(for: .interrupted) == 130)
        #expect(ExitStatus.code(for: .ok, terminated: true) == 143)
    }
}
