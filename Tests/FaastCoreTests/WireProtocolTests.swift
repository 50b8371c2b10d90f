import Testing
@testable import FaastCore

private func decode(_ text: String) throws -> WireResponse {
    try WireProtocol.decode(try JSONParser.parse(text))
}

@Suite("Wire protocol")
struct WireProtocolTests {
    @Test func callRequestText() throws {
        let args: [JSONValue] = [
            "héllo 世界 😀", .number("12345678901234567890123"), .number("-0"), .number("1.5e-300"),
            ["nested": [1, nil, true], "q": "a\"b\n"], .tagged("bytes", [JSONMember("base64", "AAE=")]),
        ]
        let line = WireProtocol.callRequest(callId: "c42.1", function: "grüß", args: args)
        #expect(line == #"{"callId":"c42.1","name":"grüß","args":["héllo 世界 😀",12345678901234567890123,-0,1.5e-300,"#
            + #"{"nested":[1,null,true],"q":"a\"b\n"},{"$faast":"bytes","base64":"AAE="}]}"#)
        #expect(!line.contains("\n"), "one request per line")
        let parsed = try JSONParser.parse(line)
        #expect(parsed["args"]?.arrayValue == args)
        #expect(WireProtocol.callRequest(callId: "c1", function: "f", args: []) == #"{"callId":"c1","name":"f","args":[]}"#)
        #expect(WireProtocol.callRequest(callId: "\"x\"", function: "f\n", args: [.null])
            == #"{"callId":"\"x\"","name":"f\n","args":[null]}"#)
        // keyword arguments: an object after the positional ones, in the order written; none: no field at all
        let named = WireProtocol.callRequest(callId: "k", function: "greet", args: ["bob"],
                                             keywords: [JSONMember("punct", "?"), JSONMember("é", [1, 2])], newline: true)
        #expect(named == #"{"callId":"k","name":"greet","args":["bob"],"kwargs":{"punct":"?","é":[1,2]}}"# + "\n")
        #expect(!WireProtocol.callRequest(callId: "k", function: "f", args: [], keywords: []).contains("kwargs"))
    }

    @Test func describeRequestText() {
        #expect(WireProtocol.describeRequest(callId: "d1") == #"{"op":"describe","callId":"d1"}"#)
    }

    @Test func decodeReturned() throws {
        let r = try decode(#"{"type":"returned","callId":"c7","value":{"x":[12345678901234567890123,"😀"]},"start":1000.5,"end":1012.25,"memoryMb":48}"#)
        guard case .returned(let callId, let value, let timing) = r else {
            Issue.record("expected returned, got \(r)")
            return
        }
        #expect(callId == "c7")
        #expect(value.jsonText == #"{"x":[12345678901234567890123,"😀"]}"#)
        #expect(timing == RemoteTiming(start: 1000.5, end: 1012.25, memoryMb: 48))
        #expect(timing.executionMs == 11.75)

        // A function returning nothing, without timing.
        guard case .returned(let id2, let v2, let t2) = try decode(#"{"type":"returned","callId":"c8"}"#) else {
            Issue.record("expected returned")
            return
        }
        #expect(id2 == "c8" && v2 == .null && t2 == RemoteTiming() && t2.executionMs == nil)
    }

    @Test func decodeErrorKeepsPropertiesAndSeparatesKind() throws {
        let r = try decode(#"""
            {"type":"error","callId":"c2","start":5,"end":9,"error":{"name":"TypeError","message":"bad \"x\"",\#
            "stack":"TypeError: bad\n    at f (m.js:3)","code":"E42","kind":"serialization","file":"m.js","line":3,\#
            "detail":{"a":[1,2]}}}
            """#)
        guard case .failed(let callId, let error, let kind, let timing) = r else {
            Issue.record("expected failed, got \(r)")
            return
        }
        #expect(callId == "c2")
        #expect(kind == "serialization")
        #expect(timing.executionMs == 4)
        #expect(error.name == "TypeError")
        #expect(error.message == "bad \"x\"")
        #expect(error.stack == "TypeError: bad\n    at f (m.js:3)")
        #expect(error.properties == [
            JSONMember("code", "E42"), JSONMember("file", "m.js"), JSONMember("line", 3),
            JSONMember("detail", ["a": [1, 2]]),
        ])
        #expect(!error.properties.contains { ["name", "message", "stack", "kind"].contains($0.key) })
    }

    @Test func decodeErrorDefaults() throws {
        // A thrown string (not an Error object).
        guard case .failed(_, let e1, let k1, _) = try decode(#"{"type":"error","callId":"c3","error":"boom"}"#) else {
            Issue.record("expected failed")
            return
        }
        #expect(e1 == RemoteError(name: "Error", message: "boom"))
        #expect(k1 == nil)
        // An object without a message: its JSON text stands in.
        guard case .failed(_, let e2, _, _) = try decode(#"{"type":"error","error":{"code":1}}"#) else {
            Issue.record("expected failed")
            return
        }
        #expect(e2.name == "Error" && e2.message == #"{"code":1}"# && e2.properties == [JSONMember("code", 1)])
        // No error at all.
        guard case .failed(let id3, let e3, _, _) = try decode(#"{"type":"error"}"#) else {
            Issue.record("expected failed")
            return
        }
        #expect(id3 == "" && e3.message == "null")
    }

    @Test func decodeLoadError() throws {
        let r = try decode(#"{"type":"loadError","error":{"name":"SyntaxError","message":"Unexpected token","line":7,"kind":"x"}}"#)
        guard case .loadError(let e) = r else {
            Issue.record("expected loadError, got \(r)")
            return
        }
        #expect(e == RemoteError(name: "SyntaxError", message: "Unexpected token", properties: [JSONMember("line", 7)]))
    }

    @Test func decodeReadyAndDescribed() throws {
        guard case .ready(let runtime, let version) = try decode(#"{"type":"ready","runtime":"node","version":"22.1.0"}"#) else {
            Issue.record("expected ready")
            return
        }
        #expect(runtime == "node" && version == "22.1.0")
        guard case .ready(let r2, let v2) = try decode(#"{"type":"ready"}"#) else {
            Issue.record("expected ready")
            return
        }
        #expect(r2 == "?" && v2 == "?")

        let d = try decode(#"""
            {"type":"described","functions":[{"name":"hello","params":["name"]},{"name":"add","params":["a","b"]},\#
            {"params":["lost"]},{"name":"sum","params":["...xs",3]},{"name":"none"}],"files":["/m/a.py",1,"/m/b.py"]}
            """#)
        guard case .described(let functions, let files) = d else {
            Issue.record("expected described, got \(d)")
            return
        }
        #expect(files == ["/m/a.py", "/m/b.py"])
        #expect(functions == [
            FunctionInfo(name: "hello", parameters: ["name"]), FunctionInfo(name: "add", parameters: ["a", "b"]),
            FunctionInfo(name: "sum", parameters: ["...xs"]), FunctionInfo(name: "none", parameters: []),
        ])
        #expect(functions[1].signature == "add(a, b)")
        #expect(functions[3].signature == "none()")
    }

    @Test("malformed responses are transport errors", arguments: [
        "[1,2]", "\"returned\"", "null", "{}", #"{"callId":"c1","value":1}"#, #"{"type":1}"#, #"{"type":null}"#,
        #"{"type":"returnd","callId":"c1"}"#, #"{"type":""}"#,
    ])
    func malformed(_ text: String) throws {
        let value = try JSONParser.parse(text)
        let error = #expect(throws: FaastError.self) { try WireProtocol.decode(value) }
        #expect(error?.kind == .transport)
    }

    @Test func malformedMessageIsShortened() throws {
        let huge = JSONValue.array(Array(repeating: .string(String(repeating: "x", count: 100)), count: 100))
        do {
            _ = try WireProtocol.decode(huge)
            Issue.record("decoding an array should fail")
        } catch {
            #expect(error.kind == .transport)
            #expect(error.message.hasPrefix("malformed response from the runtime: [\"xxx"))
            #expect(error.message.count < 300)
        }
    }
}
