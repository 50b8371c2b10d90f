import Foundation
import Testing
@testable import FaastCore

/// The parse error of `text`, or nil when it parses.
private func parseError(_ text: String) -> JSONParseError? {
    do {
        _ = try JSONParser.parse(text)
        return nil
    } catch {
        return error
    }
}

@Suite("JSON reading and writing")
struct JSONTests {
    /// Compact documents that must come back byte for byte after parse → jsonText.
    static let roundTrips: [String] = [
        "null", "true", "false", "0", "-0", "42", "-7",
        "12345678901234567890123", "-12345678901234567890123", "9007199254740993",
        "1.5e-300", "1E+2", "1e-7", "1.0", "0.1", "-0.0", "3.141592653589793238462643383279", "2.5E10",
        #""""#, #""hello""#, #""héllo wörld""#, #""日本語のテキスト""#, #""😀👍🏽👨‍👩‍👧 e\#u{301}""#,
        #""a\"b\\c""#, #""line\nbreak\ttab\rret""#, #""\u0000\u0001\u001f""#, #""\b\f""#,
        "[]", "{}", "[[]]", "[{}]", #"{"":""}"#,
        "[1,[2,[3,[4,[5]]]]]",
        #"{"a":{"b":{"c":[true,false,null]}},"d":"e"}"#,
        #"{"z":1,"a":2,"m":3}"#,
        #"{"a":1,"a":2}"#,
        #"[{"$faast":"NaN"},{"$faast":"bytes","base64":"AAE="}]"#,
        #"{"big":[12345678901234567890123,-0,1.5e-300,1E+2],"s":"😀\n","o":{"k":[]}}"#,
    ]

    @Test("parse then write is exact", arguments: roundTrips)
    func roundTrip(_ text: String) throws {
        let value = try JSONParser.parse(text)
        #expect(value.jsonText == text)
        let again = try JSONParser.parse(value.jsonText)
        #expect(again == value)
        let fromBytes = try JSONParser.parse(bytes: Array(text.utf8))
        #expect(fromBytes == value)
    }

    @Test func numbersAreKeptAsText() throws {
        #expect(try JSONParser.parse("12345678901234567890123") == .number("12345678901234567890123"))
        #expect(try JSONParser.parse("-0") == .number("-0"))
        #expect(try JSONParser.parse("1.5e-300") == .number("1.5e-300"))
        #expect(try JSONParser.parse("1E+2") == .number("1E+2"))
        #expect(try JSONParser.parse("[1.50]") == .array([.number("1.50")]))
    }

    @Test func whitespaceIsDroppedInCompactText() throws {
        let value = try JSONParser.parse(" \t\r\n{ \"a\" : [ 1 , 2 ] ,\n \"b\" : { } }\n ")
        #expect(value.jsonText == #"{"a":[1,2],"b":{}}"#)
    }

    @Test("escapes decode to their characters", arguments: [
        (#""\n""#, "\n"), (#""\u0000""#, "\u{0}"), (#""\"""#, "\""), (#""\\""#, "\\"), (#""\/""#, "/"),
        (#""\b\f\r\t""#, "\u{8}\u{C}\r\t"), (#""\ud83d\ude00""#, "😀"), (#""\uD83D\uDE00""#, "😀"),
        (#""\u00e9""#, "é"), (#""\u20AC""#, "€"), (#""a\u0041b""#, "aAb"), (#""x😀\n日""#, "x😀\n日"),
        (#""\u002F\u005c""#, "/\\"),
    ])
    func escapes(_ text: String, _ expected: String) throws {
        #expect(try JSONParser.parse(text) == .string(expected))
    }

    @Test func writerEscapesControlCharacters() throws {
        let value = JSONValue.string("a\u{1}\u{7}\u{1B}\u{1F}\n\r\t\u{8}\u{C}\"\\\u{7F}é😀")
        #expect(value.jsonText == "\"a\\u0001\\u0007\\u001b\\u001f\\n\\r\\t\\b\\f\\\"\\\\\u{7F}é😀\"")
        // Every scalar below 0x80 survives a write → parse round trip.
        let all = String(String.UnicodeScalarView((0..<0x80).map { Unicode.Scalar(UInt8($0)) }))
        let text = JSONValue.string(all).jsonText
        #expect(!text.utf8.dropFirst().dropLast().contains { $0 < 0x20 })
        #expect(try JSONParser.parse(text) == .string(all))
        // Keys are escaped too.
        #expect(JSONValue.object([JSONMember("k\n\"", .null)]).jsonText == #"{"k\n\"":null}"#)
    }

    @Test func literalsBuildValues() {
        let value: JSONValue = ["a": 1, "b": [true, nil, "x", 2.5, 3.0], "c": [:]]
        #expect(value.jsonText == #"{"a":1,"b":[true,null,"x",2.5,3],"c":{}}"#)
        #expect(JSONValue.int(UInt64.max).jsonText == "18446744073709551615")
        #expect(JSONValue.double(.nan) == .tagged("NaN"))
        #expect(JSONValue.double(-.infinity) == .tagged("-Infinity"))
        #expect(JSONValue.double(.infinity).tag == "Infinity")
    }

    @Test func accessors() throws {
        let value = try JSONParser.parse(#"{"s":"x","n":"1","i":1e2,"big":12345678901234567890123,"b":true,"a":[1]}"#)
        #expect(value["s"]?.stringValue == "x")
        #expect(value["n"]?.intValue == nil)
        #expect(value["i"]?.intValue == 100)
        #expect(value["i"]?.doubleValue == 100)
        #expect(value["big"]?.intValue == nil)
        #expect(value["b"]?.boolValue == true)
        #expect(value["a"]?.arrayValue == [.number("1")])
        #expect(value["missing"] == nil)
        #expect(JSONValue.array([])["s"] == nil)
        #expect(value.typeName == "object")
        #expect(JSONValue.tagged("bytes").typeName == "bytes")
        #expect(JSONValue.bool(true).typeName == "boolean")
    }

    // MARK: errors

    @Test("errors name the offset", arguments: [
        ("[1,2,]", 5, "unexpected character"),
        (#"{"a":1,}"#, 7, "expected a member name"),
        (#""abc"#, 4, "unterminated string"),
        (#"["abc"#, 5, "unterminated string"),
        (#""ab\"#, 4, "unterminated string"),
        (#""\ud800""#, 7, "lone surrogate"),
        (#""\udc00""#, 7, "lone surrogate"),
        (#""\ud83dx""#, 7, "lone surrogate"),
        (#""\ud83d\u0041""#, 13, "invalid surrogate pair"),
        ("01", 1, "unexpected text after"),
        ("[01]", 2, "expected ',' or ']'"),
        ("-01", 2, "unexpected text after"),
        ("-", 1, "invalid number"),
        ("1.", 2, "invalid number"),
        ("1.e5", 2, "invalid number"),
        ("1e+", 3, "invalid number"),
        (".5", 0, "unexpected character"),
        ("+1", 0, "unexpected character"),
        ("NaN", 0, "unexpected character"),
        ("[1,NaN]", 3, "unexpected character"),
        ("Infinity", 0, "unexpected character"),
        ("{} x", 3, "unexpected text after"),
        (#""a"b"#, 3, "unexpected text after"),
        ("truex", 4, "unexpected text after"),
        ("", 0, "unexpected end"),
        ("   ", 3, "unexpected end"),
        ("[1", 2, "unexpected end"),
        (#"{"a":1"#, 6, "unexpected end"),
        (#"{"a" 1}"#, 5, "expected ':'"),
        (#"{"a":1 "b":2}"#, 7, "expected ',' or '}'"),
        ("{1:2}", 1, "expected a member name"),
        ("tru", 0, "invalid literal"),
        ("nul", 0, "invalid literal"),
        ("fals3", 0, "invalid literal"),
        (#""\x""#, 3, "invalid escape"),
        (#""\u12""#, 3, "invalid unicode escape"),
        (#""\u12G4""#, 5, "invalid unicode escape"),
        ("'a'", 0, "unexpected character"),
        ("\"a\tb\"", 2, "control character"),
        ("\"a\\n\u{1}\"", 4, "control character"),
    ])
    func errors(_ text: String, _ offset: Int, _ message: String) {
        let error = parseError(text)
        #expect(error != nil, "\(text) should not parse")
        #expect(error?.offset == offset)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "nil")")
        #expect(error?.description == "\(error?.message ?? "") at offset \(offset)")
    }

    @Test("invalid UTF-8 is rejected, not replaced", arguments: [
        [0x22, 0x61, 0xFF, 0x22] as [UInt8],      // a byte that never occurs in UTF-8
        [0x22, 0xC3, 0x28, 0x22],                  // a lead byte without its continuation
        [0x22, 0x80, 0x22],                        // a stray continuation byte
        [0x22, 0xED, 0xA0, 0x80, 0x22],            // an encoded surrogate (CESU-8)
        [0x22, 0xC0, 0xAF, 0x22],                  // an overlong encoding of '/'
        [0x22, 0x61, 0x5C, 0x6E, 0xE6, 0x97, 0x22],  // a truncated sequence after an escape
    ])
    func invalidUTF8(_ bytes: [UInt8]) {
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes: bytes) }
        #expect(error?.message.contains("UTF-8") == true)
        #expect(error?.offset == 1, "the string that holds it")
        // Outside strings, any non-ASCII byte is an unexpected character.
        #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes: [0x5B] + bytes.dropFirst().dropLast() + [0x5D]) }
    }

    @Test func validUTF8BytesParse() throws {
        #expect(try JSONParser.parse(bytes: Array("\"日本😀\\n\"".utf8)) == .string("日本😀\n"))
    }

    @Test func depthLimits() throws {
        #expect(JSONValue.maxDepth == 512)
        // A document holds a value of the deepest nesting inside the wire envelope.
        #expect(JSONParser.maxDepth == JSONValue.maxDepth + 2)
        let ok = String(repeating: "[", count: 514) + String(repeating: "]", count: 514)
        #expect(try JSONParser.parse(ok).jsonText == ok)
        let deep = String(repeating: "[", count: 515) + String(repeating: "]", count: 515)
        let error = parseError(deep)
        #expect(error?.offset == 514)
        #expect(error?.message.contains("nested too deeply") == true)
        // An empty container counts too.
        #expect(parseError(String(repeating: "[", count: 514) + "{}" + String(repeating: "]", count: 514))?.offset == 514)

        let objects = String(repeating: #"{"a":"#, count: 515) + "1" + String(repeating: "}", count: 515)
        #expect(parseError(objects)?.offset == 514 * 5)
        let mixedOK = String(repeating: #"[{"a":"#, count: 257) + "1" + String(repeating: "}]", count: 257)
        #expect(try JSONParser.parse(mixedOK).jsonText == mixedOK)
        // Depth is about nesting, not about how many containers a document holds.
        let wide = "[" + Array(repeating: "[[]]", count: 2000).joined(separator: ",") + "]"
        #expect(try JSONParser.parse(wide).jsonText == wide)
        // A caller may ask for less.
        #expect(throws: JSONParseError.self) { try JSONParser.parse("[[1]]", maxDepth: 1) }
        #expect(try JSONParser.parse("[[1]]", maxDepth: 2) == [[1]])
    }

    /// A value of the deepest nesting is read, written, compared, measured and freed on a thread with the
    /// 512 KB stack of a lane, in debug builds too (a python result of 300 levels crashed the recursive reader
    /// there); and a very deep value, which only code can build, is written without recursion.
    @Test func deepValuesOnASmallStack() async throws {
        let outcome: String = await withCheckedContinuation { continuation in
            let thread = Thread {
                let depth = JSONValue.maxDepth
                let text = String(repeating: #"{"v":["#, count: depth / 2) + "1" + String(repeating: "]}", count: depth / 2)
                let response = #"{"callId":"c1","type":"returned","value":"# + text + "}"
                var problems: [String] = []
                do {
                    let parsed = try JSONParser.parse(response)
                    guard let value = parsed["value"] else { throw JSONParseError(message: "no value", offset: 0) }
                    if value.nestingDepth != depth { problems.append("depth \(value.nestingDepth)") }
                    if value.jsonText != text { problems.append("jsonText") }
                    if try JSONParser.parse(value.prettyText) != value { problems.append("prettyText") }
                    let again = try JSONParser.parse(text)
                    if !(again == value && again.isEquivalent(to: value) && again.hashValue == value.hashValue) {
                        problems.append("comparison")
                    }
                } catch {
                    problems.append("\(error)")
                }
                // Deeper than any reader accepts (3,000 levels crashed the writer on a lane's thread): writing
                // needs no stack either.
                var deep: JSONValue = .null
                for _ in 0..<3_000 { deep = .array([deep]) }
                let written = deep.jsonText
                if written.utf8.count != 3_000 * 2 + 4 { problems.append("deep jsonText") }
                if deep.prettyText.utf8.count <= written.utf8.count { problems.append("deep prettyText") }
                if deep.nestingDepth != 3_000 { problems.append("deep nestingDepth") }
                // Freeing a value is recursive in the Swift runtime: take it apart from the outside in.
                while case .array(let elements) = deep, let inner = elements.first { deep = inner }
                continuation.resume(returning: problems.joined(separator: ", "))
            }
            thread.stackSize = 512 * 1024
            thread.start()
        }
        #expect(outcome == "")
    }

    // MARK: equivalence

    @Test("isEquivalent", arguments: [
        ("1", "1.0", true), ("1", "1e0", true), ("1.0", "1e0", true), ("100", "1E+2", true), ("-0", "0", true),
        ("0.1", "1e-1", true), ("1.5e-300", "15e-301", true),
        ("12345678901234567890123", "12345678901234567890123", true),
        ("12345678901234567890123", "12345678901234567890124", false),
        ("-12345678901234567890123", "-12345678901234567890122", false),
        ("123456789012345678901234567890", "123456789012345678901234567891", false),
        ("9007199254740993", "9007199254740992", false),
        ("1", "2", false), (#""1""#, "1", false), ("null", "null", true), ("true", "false", false),
        ("[1,2]", "[1.0,2e0]", true), ("[1,2]", "[2,1]", false), ("[1,2]", "[1,2,3]", false),
        (#"{"a":1,"b":[1]}"#, #"{"b":[1.0],"a":1e0}"#, true),
        (#"{"a":1}"#, #"{"a":1,"b":2}"#, false),
        (#"{"a":1,"b":2}"#, #"{"a":1,"c":2}"#, false),
        (#"{"a":{"x":1,"y":2}}"#, #"{"a":{"y":2,"x":1.00}}"#, true),
        (#"{"a":"1"}"#, #"{"a":1}"#, false),
        // By value, exactly: big numbers written as integer and as decimal (issue 15), but not neighbours.
        ("99999999999999999999", "99999999999999999999.0", true), ("12345678901234567890123", "1.2345678901234567890123e22", true),
        ("99999999999999999999", "99999999999999999998.0", false), ("0.30000000000000004", "0.3", false),
        ("1e400", "10e399", true), ("1e400", "1e401", false), ("-0.0", "0e5", true), ("-1.50", "-15e-1", true),
        (#"{"a":1,"a":2}"#, #"{"a":1.0,"a":2}"#, true), (#"{"a":1,"a":2}"#, #"{"a":2,"a":1}"#, false),
    ])
    func equivalence(_ a: String, _ b: String, _ expected: Bool) throws {
        let x = try JSONParser.parse(a), y = try JSONParser.parse(b)
        #expect(x.isEquivalent(to: y) == expected)
        #expect(y.isEquivalent(to: x) == expected)
    }

    // MARK: tagged values

    @Test func taggedValues() throws {
        let bytes = JSONValue.tagged("bytes", [JSONMember("base64", "AAE=")])
        #expect(bytes.jsonText == #"{"$faast":"bytes","base64":"AAE="}"#)
        #expect(bytes.tag == "bytes")
        #expect(bytes["base64"] == "AAE=")
        #expect(JSONValue.tagged("undefined").jsonText == #"{"$faast":"undefined"}"#)
        #expect(try JSONParser.parse(#"{"$faast":"date","iso":"2024-01-01"}"#).tag == "date")
        // Only a leading string `$faast` member makes a tag.
        #expect(try JSONParser.parse(#"{"a":1,"$faast":"date"}"#).tag == nil)
        #expect(try JSONParser.parse(#"{"$faast":1}"#).tag == nil)
        #expect(try JSONParser.parse(#"["$faast"]"#).tag == nil)
        #expect(JSONValue.string("$faast").tag == nil)
        #expect(JSONValue.object([]).tag == nil)
    }

    // MARK: pretty text

    @Test func prettyTextLayout() throws {
        let value = try JSONParser.parse(
            #"{"name":"x","list":[1,2,3],"nested":{"a":[{"b":1}],"t":{"$faast":"NaN"}},"empty":{},"none":[],"#
                + #""long":[1,2,3,4,5,6,7,8,9],"mixed":[1,[2]],"s":"a\nb"}"#)
        let expected = """
            {
              "name": "x",
              "list": [1, 2, 3],
              "nested": {
                "a": [
                  {
                    "b": 1
                  }
                ],
                "t": {"$faast": "NaN"}
              },
              "empty": {},
              "none": [],
              "long": [
                1,
                2,
                3,
                4,
                5,
                6,
                7,
                8,
                9
              ],
              "mixed": [
                1,
                [2]
              ],
              "s": "a\\nb"
            }
            """
        #expect(value.prettyText == expected)
        #expect(try JSONParser.parse(value.prettyText) == value)
        #expect(JSONValue.number("12345678901234567890123").prettyText == "12345678901234567890123")
        #expect(JSONValue.array([.tagged("NaN"), "x"]).prettyText == #"[{"$faast": "NaN"}, "x"]"#)
    }
}
