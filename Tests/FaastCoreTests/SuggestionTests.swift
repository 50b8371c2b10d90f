import Testing
@testable import FaastCore

@Suite("Did you mean")
struct SuggestionTests {
    static let names = ["hello", "call", "status", "deploy", "cost", "concurrency"]

    @Test("close names are suggested", arguments: [
        ("helo", "hello"), ("hlelo", "hello"), ("hel", "hello"), ("hellp", "hello"), ("cal", "call"), ("calll", "call"),
        ("HELO", "hello"), ("Hello", "hello"), ("CAL", "call"), ("stauts", "status"), ("deplyo", "deploy"),
        ("concurency", "concurrency"), ("conc", "concurrency"),
    ])
    func suggests(_ word: String, _ expected: String) {
        #expect(Suggestion.closest(to: word, in: Self.names) == expected)
        #expect(Suggestion.didYouMean(word, in: Self.names) == " (did you mean '\(expected)'?)")
    }

    @Test("far names are not", arguments: ["zzzzzz", "x", "banana", "qqqq", "h"])
    func noSuggestion(_ word: String) {
        #expect(Suggestion.closest(to: word, in: Self.names) == nil)
        #expect(Suggestion.didYouMean(word, in: Self.names) == "")
    }

    @Test func candidatesKeepTheirOwnCase() {
        #expect(Suggestion.closest(to: "getuser", in: ["getUser", "putUser"]) == "getUser")
        #expect(Suggestion.closest(to: "GETUSR", in: ["getUser"]) == "getUser")
        #expect(Suggestion.closest(to: "anything", in: [String]()) == nil)
    }

    @Test("optimal string alignment distance", arguments: [
        ("", "", 0), ("", "abc", 3), ("abc", "", 3), ("abc", "abc", 0), ("abc", "acb", 1), ("ca", "abc", 3),
        ("kitten", "sitting", 3), ("hello", "hlelo", 1), ("hello", "helo", 1),
    ])
    func distance(_ a: String, _ b: String, _ d: Int) {
        #expect(Suggestion.distance(Array(a), Array(b)) == d)
        #expect(Suggestion.distance(Array(b), Array(a)) == d)
    }
}
