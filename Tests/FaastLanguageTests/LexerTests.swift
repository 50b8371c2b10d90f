import FaastCore
import Testing

@testable import FaastLanguage

@Suite struct LexerTests {
    @Test func tokenKindsAndLocations() throws {
        let tokens = try Lexer.tokenize(#"call f("a", $x) x$n mode=queue == 1.5 eu-west-1"#)
        #expect(tokens.map(\.kind) == [
            .identifier, .identifier, .leftParen, .string("a"), .comma, .variable("x"), .rightParen,
            .identifier, .variable("n"), .identifier, .equals, .identifier, .doubleEquals, .number, .word,
            .newline, .end,
        ])
        #expect(tokens.map(\.text).prefix(15) == [
            "call", "f", "(", #""a""#, ",", "$x", ")", "x", "$n", "mode", "=", "queue", "==", "1.5", "eu-west-1",
        ])
        #expect(tokens[3].location == loc(1, 8))
        #expect(tokens[3].end == loc(1, 11))
        #expect(tokens[7].precededBySpace)
        #expect(!tokens[8].precededBySpace)
        #expect(tokens[14].location == loc(1, 39))
    }

    @Test func newlinesOnlyOutsideBrackets() throws {
        let tokens = try Lexer.tokenize("call f(1,\n2)\n\n# c\nstatus")
        #expect(tokens.map(\.kind) == [
            .identifier, .identifier, .leftParen, .number, .comma, .number, .rightParen, .newline,
            .identifier, .newline, .end,
        ])
        #expect(tokens[5].location == loc(2, 1))
        #expect(tokens[8].location == loc(5, 1))
    }

    @Test func printRestOfLine() throws {
        let tokens = try Lexer.tokenize("print hello (world # c\nprint \"a b\"")
        #expect(tokens.map(\.kind) == [
            .identifier, .rawText("hello (world"), .newline, .identifier, .string("a b"), .newline, .end,
        ])
        #expect(tokens[1].location == loc(1, 7))
        #expect(tokens[1].end == loc(1, 19))
        // Only as the command: elsewhere `print` is a plain identifier.
        let other = try Lexer.tokenize("help print")
        #expect(other.map(\.kind) == [.identifier, .identifier, .newline, .end])
    }

    @Test func lenientTokenization() {
        let tokens = Lexer(#"call f("ab\q"#).tokenizeLeniently()
        #expect(tokens.map(\.kind) == [.identifier, .identifier, .leftParen, .unterminatedString("ab\\q"), .end])
        let dollar = Lexer("call f($").tokenizeLeniently()
        #expect(dollar.map(\.kind) == [.identifier, .identifier, .leftParen, .variable(""), .end])
        let comment = Lexer("status # hi").tokenizeLeniently()
        #expect(comment.map(\.kind) == [.identifier, .comment(" hi"), .newline, .end])
        #expect(comment[1].location == loc(1, 8))
    }

    @Test func numberGrammar() {
        for good in ["0", "-0", "1", "-12", "1.5", "1e5", "1E-5", "1.25e+10", "12345678901234567890123"] {
            #expect(Lexer.isNumber(good), "\(good)")
        }
        for bad in ["", "-", "01", "1.", ".5", "+1", "1e", "1.5.3", "0x10", "1GB", "--1"] {
            #expect(!Lexer.isNumber(bad), "\(bad)")
        }
    }
}

@Suite struct CompletenessTests {
    @Test func openBracketsAndQuotes() {
        #expect(!Parser.isComplete("call f("))
        #expect(!Parser.isComplete("call f(1, [2"))
        #expect(!Parser.isComplete(#"let x = {"a": "#))
        #expect(!Parser.isComplete(#"call f("abc"#))
        #expect(!Parser.isComplete("call f('abc"))
        #expect(!Parser.isComplete("call f(\"a\nb"))
        #expect(!Parser.isComplete("let x = {\"a\": [1,\n2,"))
    }

    @Test func closedInput() {
        #expect(Parser.isComplete(""))
        #expect(Parser.isComplete("call f()"))
        #expect(Parser.isComplete("call f(\n1)"))
        #expect(Parser.isComplete("call f(\"a(\")"))
        #expect(Parser.isComplete(#"call f('it\'s')"#))
        #expect(Parser.isComplete(#"call f("say \"(\"")"#))
        #expect(Parser.isComplete("call f(\"a\nb\")"))
    }

    @Test func closingBracketTooManyIsComplete() {
        #expect(Parser.isComplete("call f())"))
        #expect(Parser.isComplete("]"))
    }

    @Test func commentsDoNotCount() {
        #expect(Parser.isComplete("# ( [ {"))
        #expect(Parser.isComplete("call f() # [ \" '"))
        #expect(!Parser.isComplete("call f( # )"))
    }

    @Test func printIsAlwaysOneLine() {
        #expect(Parser.isComplete("print it's ("))
        #expect(Parser.isComplete("print \"unclosed"))
        #expect(Parser.isComplete("  print {"))
    }
}
