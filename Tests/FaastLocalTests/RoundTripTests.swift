import FaastCore
import FaastLocal
import Testing

@Suite("values round-trip through real workers")
struct RoundTripTests {
    @Test("deploy describes the module's functions", arguments: ["sample.js", "sample.mjs", "sample.py"])
    func describes(module: String) async throws {
        let provider = try await Fixtures.deploy(module)
        defer { Task { _ = try? await provider.cleanup() } }
        let names = provider.functions.map(\.name)
        #expect(names.contains("hello"))
        #expect(provider.functions.first { $0.name == "add" }?.parameters == ["a", "b"])
    }

    @Test("exact values", arguments: ["sample.js", "sample.py"])
    func exactValues(module: String) async throws {
        let provider = try await Fixtures.deploy(module)
        let invoker = Invoker(provider: provider)
        let values: [JSONValue] = [
            "你好", "👋🏽 emoji", .number("12345678901234567890123"), .number("-9007199254740993"), .number("1.5"),
            [1, [2, [3, nil]], ["k": "v", "n": nil]], nil, true, ["nested": ["deep": ["x": 1]]],
        ]
        for value in values {
            let outcome = await invoker.call("echo", args: [value])
            #expect(outcome.value == value, "echo(\(value.jsonText)) returned \(String(describing: outcome.result))")
        }
        _ = try await provider.cleanup()
    }

    @Test("tagged values: bytes, NaN, infinities, dates", arguments: ["sample.js", "sample.py"])
    func taggedValues(module: String) async throws {
        let provider = try await Fixtures.deploy(module)
        let invoker = Invoker(provider: provider)
        let bytes = await invoker.call("bytes", args: ["hi"])
        #expect(bytes.value == .tagged("bytes", [JSONMember("base64", "aGk=")]))
        let typeOf = await invoker.call("typeOf", args: [.tagged("bytes", [JSONMember("base64", "aGk=")])])
        #expect(typeOf.value == "bytes")
        let specials = await invoker.call("specials", args: [])
        let list = try #require(specials.value?.arrayValue)
        #expect(list[0].tag == "NaN")
        #expect(list[1].tag == "Infinity")
        #expect(list[2].tag == "-Infinity")
        #expect(list[4].tag == "date")
        _ = try await provider.cleanup()
    }
}
