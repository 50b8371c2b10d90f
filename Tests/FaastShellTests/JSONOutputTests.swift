import FaastCore
import FaastLanguage
import Foundation
import Testing

@testable import FaastShell

@Suite("JSON output: typed, named, every error an object, fan-out values streamed in call order")
struct JSONOutputTests {
    static func objects(_ h: Harness) throws -> [JSONValue] {
        try h.output.stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
    }

    @Test("every command reports under its own name: map as map, let as let, a fan-out's values in call order")
    func commandNames() async throws {
        let h = Harness(format: .json)
        #expect(await h.run("""
            open functions.js
            map square [1, 2, 3]
            call square($i) x4
            let xs = map add [[1, 2], [3, 4]]
            let y = call hello("x")
            """) == .ok)
        let o = try Self.objects(h)
        #expect(o.map { $0["command"]?.stringValue ?? "?" } == ["open", "map", "call", "let", "let"])
        #expect(o[1]["values"] == [1, 4, 9])
        #expect(o[2]["values"] == [0, 1, 4, 9])
        #expect(o[3]["values"] == [3, 7])
        #expect(o[4]["value"] == "hello x!")
    }

    @Test("a failed call is null among the values; the failure has the line and file of its command")
    func failedValuesAndPlaces() async throws {
        let h = Harness(format: .json)
        #expect(await h.run("open functions.js\n\nmap fail [\"a\"]") == .failed)
        let o = try Self.objects(h)
        #expect(o[1]["values"] == [.null])
        #expect(o[1]["ok"] == false)
        #expect(o[1]["line"] == 3)
        #expect(o[1]["file"] == "test.faast")

        let e = Harness(format: .json)
        #expect(await e.run("open functions.js\nexpect call add(1, 1) == 2\nexpect call add(1, 2) == 4") == .failed)
        let x = try Self.objects(e)
        #expect(x[1]["line"] == nil)  // only failures carry their place
        #expect(x[2]["ok"] == false && x[2]["line"] == 3 && x[2]["file"] == "test.faast")
        #expect(x[2]["detail"] == "got 3")
    }

    @Test("a syntax error names the command it is in (null for a word that is no command), with line and column")
    func syntaxErrorsNameTheirCommand() async throws {
        for (script, command, line, column) in [
            ("call add(1,", "call", 1, 12), ("open functions.js\nmap square [1,\n  2", "map", 3, 4),
            ("let x = \"abc", "let", 1, 9), ("calll x", nil, 1, 1),
        ] as [(String, String?, Int, Int)] {
            let h = Harness(format: .json)
            #expect(await h.run(script) == .usage)
            let o = try #require(try Self.objects(h).last)
            #expect(o["command"] == (command.map { .string($0) } ?? .null), "\(script)")
            #expect(o["error"]?["kind"] == "syntax")
            #expect(o["error"]?["line"] == .int(line), "\(script)")
            #expect(o["error"]?["column"] == .int(column), "\(script)")
            #expect(o["error"]?["file"] == "test.faast")
            #expect(h.output.stderr.isEmpty)
        }
    }

    @Test("values finishing out of order are written in call order, each once; a gap left by an interrupt is null")
    func streamOrder() throws {
        let output = CapturedOutput()
        let stream = FanOutStream(renderer: JSONRenderer(output: output), command: "map")
        let n = 2_000
        // Eight threads deliver the indices in a shuffled order, as lanes do.
        let order = Array(0..<n).shuffled()
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            for i in stride(from: t, to: n, by: 8) {
                let index = order[i]
                stream.observe(index, index % 7 == 3 ? .failure(FaastError(.exception, "x")) : .success(.int(index * 2)))
            }
        }
        stream.finish(.settingsChanged)
        #expect(output.stdout.hasSuffix("\n") && output.stdout.filter { $0 == "\n" }.count == 1)
        let o = try JSONParser.parse(output.stdout)
        #expect(o["command"] == "map" && o["ok"] == true)
        #expect(o["values"] == .array((0..<n).map { $0 % 7 == 3 ? .null : .int($0 * 2) }))

        // Interrupted: call 2 never finished, call 3 did.
        let cut = CapturedOutput()
        let s = FanOutStream(renderer: JSONRenderer(output: cut), command: "call")
        for i in [1, 0, 3] { s.observe(i, .success(.int(i))) }
        s.finish(.settingsChanged)
        #expect(try JSONParser.parse(cut.stdout)["values"] == [0, 1, nil, 3])
    }

    @Test("a fan-out of none is an object with empty values")
    func emptyFanOut() async throws {
        let h = Harness(format: .json)
        #expect(await h.run("open functions.js\ncall square(1) x0") == .ok)
        let o = try Self.objects(h)
        #expect(o[1]["values"] == [] && o[1]["count"] == 0)
    }
}
