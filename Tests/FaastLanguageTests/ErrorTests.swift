import FaastCore
import Testing

@testable import FaastLanguage

@Suite struct ErrorPositionTests {
    @Test func callErrors() {
        expectError("call hello", "expected '(' after function name 'hello'", at: 1, 11)
        expectError("call hello world", "expected '(' after function name 'hello'", at: 1, 12)
        expectError("call f(1, 2", "expected ')' after arguments", at: 1, 12)
        expectError("call f(", "expected ')' after arguments", at: 1, 8)
        expectError("call f(1,\n  2\nstatus", "expected ')' after arguments", at: 2, 4)
        expectError("call f(1 2)", "expected ',' between arguments", at: 1, 10)
        expectError("call f(1,)", "expected an argument after ',' (trailing commas are not allowed)", at: 1, 10)
        expectError("call f(,)", "expected an argument, found ','", at: 1, 8)
        expectError("call", "expected a function name after 'call'", at: 1, 5)
        expectError("call 2(1)", "expected a function name after 'call'", at: 1, 6)
        expectError("call my-fn()", "invalid function name 'my-fn'", at: 1, 6)
        expectError("call f(hello)", "expected a value, found 'hello' (strings need quotes: \"hello\")", at: 1, 8)
        expectError(#"call f("😀", x)"#, "expected a value, found 'x' (strings need quotes: \"x\")", at: 1, 13)
    }

    @Test func numberErrors() {
        expectError("call f(1.2.3)", "invalid number '1.2.3'", at: 1, 8)
        expectError("call f(01)", "invalid number '01'", at: 1, 8)
        expectError("call f(1, 1.)", "invalid number '1.'", at: 1, 11)
        expectError("call f(-.5)", "invalid number '-.5'", at: 1, 8)
        expectError("call f(1GB)", "invalid number '1GB'", at: 1, 8)
        expectError("sleep 1s", "invalid number '1s' (the duration is in seconds, e.g. sleep 0.5)", at: 1, 7)
    }

    @Test func bracketErrors() {
        expectError("call f())", "unbalanced ')': no bracket is open", at: 1, 9)
        expectError("call f(]", "mismatched ']': expected ')' to close the '(' at 1:7", at: 1, 8)
        expectError("call f([1, 2)", "mismatched ')': expected ']' to close the '[' at 1:8", at: 1, 13)
        expectError("call f({\"a\": 1])", "mismatched ']': expected '}' to close the '{' at 1:8", at: 1, 15)
        expectError("call f([1, }])", "mismatched '}': expected ']' to close the '[' at 1:8", at: 1, 12)
        expectError("let a = [)", "mismatched ')': expected ']' to close the '[' at 1:9", at: 1, 10)
        expectError(") status", "unbalanced ')': no bracket is open", at: 1, 1)
        expectError("set mode=]", "unbalanced ']': no bracket is open", at: 1, 10)
        expectError("call f([1 2])", "expected ',' between array elements", at: 1, 11)
        expectError("let a = [1,]", "expected an array element after ',' (trailing commas are not allowed)", at: 1, 12)
        expectError("let a = [1", "expected ']' after array elements", at: 1, 11)
        expectError(#"call f({"a" 1})"#, "expected ':' after object key", at: 1, 13)
        expectError("call f({a: 1 b: 2})", "expected ',' between object members", at: 1, 14)
        expectError("call f({1: 2})", "expected an object key (a string or a name), found '1'", at: 1, 9)
        expectError("call f({a: })", "expected a value after 'a:'", at: 1, 12)
        expectError("let o = {a: 1,}", "expected an object member after ',' (trailing commas are not allowed)", at: 1, 15)
        expectError("let o = {a: 1", "expected '}' after object members", at: 1, 14)
    }

    @Test func stringErrors() {
        expectError(#"call f("abc"#, "unterminated string", at: 1, 8)
        expectError("call f('abc)\nstatus", "unterminated string", at: 1, 8)
        expectError(#"call f("a\qb")"#, #"invalid escape '\q' in string"#, at: 1, 10)
        expectError(#"call f("\u12")"#, #"invalid '\u' escape: expected 4 hex digits"#, at: 1, 9)
        expectError(#"call f("\ud800")"#, #"unpaired surrogate in '\u' escape"#, at: 1, 9)
        expectError(#"call f("\ude00")"#, #"unpaired surrogate in '\u' escape"#, at: 1, 9)
        expectError(#"call f("x\ud800\n")"#, #"unpaired surrogate in '\u' escape"#, at: 1, 10)
        expectError("call f($)", "expected a variable name after '$'", at: 1, 8)
        expectError("call f($1)", "invalid variable name '$1' (names are letters, digits and '_')", at: 1, 8)
    }

    /// `fn(args)` without `call`, as IPython and node users type it: the suggestion comes from the namespace
    /// the word belongs to (the module's functions, else the commands), and nothing parses (nothing runs).
    @Test func bareCallsAndWordsSuggestFromTheirNamespace() {
        func message(_ source: String, functions: [String]) -> String? {
            do {
                _ = try Parser.parse(source, functions: functions)
                return nil
            } catch {
                #expect(error.location == loc(1, 1))
                return error.message
            }
        }
        let fns = ["hello", "echo", "square"]
        #expect(message(#"hello("world")"#, functions: fns) == #"'hello' is a function: write call hello("world")"#)
        #expect(message(#"echo(1, [2, 3]) x3"#, functions: fns) == #"'echo' is a function: write call echo(1, [2, 3]) x3"#)
        #expect(message(#"helo("x")"#, functions: fns) == "unknown command 'helo' (did you mean call hello(…)?)")
        #expect(message("sqare", functions: fns) == "unknown command 'sqare' (did you mean call square(…)?)")
        #expect(message("square", functions: fns) == "'square' is a function: write call square(ARGS)")
        #expect(message("echo(1)", functions: []) == "unknown command 'echo'; to call a function, write call echo(1)")
        #expect(message("stauts", functions: fns) == "unknown command 'stauts' (did you mean 'status'?)")
        #expect(message("zzz(1)", functions: fns) == "unknown command 'zzz'; to call a function, write call zzz(1)")
    }

    @Test func fieldAccessSteps() throws {
        #expect(VariableReference.parse(#"o.a[0]["a key"].b"#) == VariableReference(name: "o", steps: [.key("a"), .index(0), .key("a key"), .key("b")]))
        #expect(VariableReference.parse("o.") == nil)
        #expect(VariableReference.parse("o[x]") == nil)
        let statement = try Parser.parseLine(#"call f($o.xs[1], $o['k'])"#)
        guard case .call(let call) = statement?.command else { Issue.record("not a call"); return }
        #expect(call.arguments == [variable("o.xs[1]", 8), variable("o['k']", 18)])
        expectError("call f($o.)", #"invalid field access '$o.' (write $o.name, $o[0] or $o["a key"])"#, at: 1, 8)
        expectError("call f($o[x])", "expected ',' between arguments", at: 1, 10)
    }

    @Test func commandErrors() {
        expectError("cal hello()", "unknown command 'cal' (did you mean 'call'?)", at: 1, 1)
        expectError("Call hello()", "unknown command 'Call' (did you mean 'call'?)", at: 1, 1)
        expectError("logurl", "unknown command 'logurl' (did you mean 'logUrl'?)", at: 1, 1)
        expectError("frobnicate", "unknown command 'frobnicate' (help lists the commands)", at: 1, 1)
        expectError("status\n  cleanupp", "unknown command 'cleanupp' (did you mean 'cleanup'?)", at: 2, 3)
        expectError(#""x""#, #"expected a command, found '"x"'"#, at: 1, 1)
        expectError("call f() foo", "unexpected 'foo' after the command", at: 1, 10)
        expectError("status now", "unexpected 'now' after the command", at: 1, 8)
        expectError("stats f g", "unexpected 'g' after the command", at: 1, 9)
        expectError("cost xml", "cost takes text, csv, json or nothing, not 'xml'", at: 1, 6)
        expectError("cost jsno", "cost takes text, csv, json or nothing, not 'jsno' (did you mean 'json'?)", at: 1, 6)
        expectError("cost csv now", "unexpected 'now' after the command", at: 1, 10)
        expectError("let r", "expected '=' after 'let r'", at: 1, 6)
        expectError("let r 5", "expected '=' after 'let r'", at: 1, 7)
        expectError("let = 5", "expected a variable name after 'let'", at: 1, 5)
        expectError("let r =", "expected a value after 'let r ='", at: 1, 8)
        expectError("let r = call", "expected a function name after 'call'", at: 1, 13)
        expectError("expect call f()", "expected '==' or 'fails' after the call", at: 1, 16)
        expectError("expect call f() = 3", "expected '==' or 'fails' after the call ('=' assigns, '==' compares)", at: 1, 17)
        expectError("expect call f() ==", "expected a value after '=='", at: 1, 19)
        expectError("expect f()", "expected 'call' after 'expect'", at: 1, 8)
        expectError("expect call f() fails a b", "unexpected 'b' after the command", at: 1, 25)
        expectError("set", "expected key=value after 'set'", at: 1, 4)
        expectError("set verbose", "expected key=value after 'set'", at: 1, 5)
        expectError("open", "expected a module path after 'open'", at: 1, 5)
        expectError("open region=x", "expected a module path after 'open'", at: 1, 6)
        expectError("source", "expected a file path after 'source'", at: 1, 7)
        expectError("sleep", "expected a duration in seconds after 'sleep' (a number or $variable)", at: 1, 6)
        expectError("sleep \"1\"", "expected a duration in seconds after 'sleep' (a number or $variable)", at: 1, 7)
        expectError("map square", "expected the elements after 'map square', e.g. [1, 2, 3]", at: 1, 11)
        expectError("map square(1)", "map's parentheses take only keyword arguments (name=value); the elements after them "
                    + "give the positional ones, e.g. map square [1, 2, 3]", at: 1, 12)
        expectError("map square() [1]", "expected keyword arguments (name=value) in map's parentheses, or none at all", at: 1, 11)
        expectError("map square(a=1)", "expected the elements after 'map square', e.g. [1, 2, 3]", at: 1, 16)
        expectError("map", "expected a function name after 'map'", at: 1, 4)
    }

    @Test func optionErrors() {
        expectError("call f(1) mode=", "expected a value after 'mode='", at: 1, 16)
        expectError("call f(1) mode= retries=2", "expected a value after 'mode='", at: 1, 16)
        expectError("set mode=\nstatus", "expected a value after 'mode='", at: 1, 10)
        expectError("call f() mode=https mode=queue", "duplicate option 'mode'", at: 1, 21)
        expectError("set retries=1 rate=2 retries=3", "duplicate option 'retries'", at: 1, 22)
        expectError("set 9a=1", "invalid option name '9a'", at: 1, 5)
        expectError("set -a=1", "invalid option name '-a'", at: 1, 5)
        expectError("set mode=,", "expected a value after 'mode=', found ','", at: 1, 10)
    }

    @Test func countErrors() {
        expectError("call f() x", "expected a count after 'x' (e.g. x100 or x$n)", at: 1, 11)
        expectError("call f() x mode=queue", "expected a count after 'x' (e.g. x100 or x$n)", at: 1, 12)
        expectError("call f() x1.5", "invalid count '1.5' after 'x' (a whole number or $variable)", at: 1, 11)
        expectError("call f() x 2.5", "invalid count '2.5' after 'x' (a whole number or $variable)", at: 1, 12)
        expectError("call f() x10k", "invalid count '10k' after 'x' (a whole number or $variable)", at: 1, 11)
        expectError("call f() x2 x3", "the count is already given", at: 1, 13)
    }

    @Test func oneCommandPerLine() {
        do {
            _ = try Parser.parseLine("status\ncost")
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "expected one command per line")
            #expect(error.location == loc(2, 1))
        }
    }

    @Test func errorLineNumbersFromParseLine() {
        do {
            _ = try Parser.parseLine("call f(1,)", lineNumber: 12)
            Issue.record("expected an error")
        } catch {
            #expect(error.location == loc(12, 10))
            #expect(error.sourceLine == "call f(1,)")
            #expect(error.rendered(file: "s.faast") == "s.faast:12:10: error: expected an argument after ',' (trailing commas are not allowed)\ncall f(1,)\n         ^")
        }
    }
}

@Suite struct RenderedErrorTests {
    @Test func missingParenthesisInScript() {
        let source = "status\n# a comment\ncall add(1, 2\nstatus\n"
        guard let error = parseError(source) else { return }
        #expect(error.rendered(file: "script.faast") == """
            script.faast:3:14: error: expected ')' after arguments
            call add(1, 2
                         ^
            """)
    }

    @Test func unknownCommandWithoutFile() {
        guard let error = parseError("cal hello()") else { return }
        let expected = """
            1:1: error: unknown command 'cal' (did you mean 'call'?)
            cal hello()
            ^
            """
        #expect(error.rendered(file: nil) == expected)
        #expect(error.rendered(file: "<stdin>") == expected)
        #expect(error.description == expected)
    }

    @Test func tabsAreKeptInTheCaretLine() {
        guard let error = parseError("\tcall f(1,)") else { return }
        #expect(error.location == loc(1, 11))
        #expect(error.rendered(file: "t.faast") == "t.faast:1:11: error: expected an argument after ',' (trailing commas are not allowed)\n\tcall f(1,)\n\t         ^")
    }

    @Test func unterminatedStringPointsAtTheQuote() {
        guard let error = parseError("status\nlet s = \"你好 there\n") else { return }
        #expect(error.rendered(file: "u.faast") == """
            u.faast:2:9: error: unterminated string
            let s = "你好 there
                    ^
            """)
    }

    @Test func errorOnALaterPhysicalLineOfAStatement() {
        guard let error = parseError("call f(1,\n       x)") else { return }
        #expect(error.rendered(file: "m.faast") == """
            m.faast:2:8: error: expected a value, found 'x' (strings need quotes: "x")
                   x)
                   ^
            """)
    }

    @Test func caretPastTheEndOfTheLine() {
        guard let error = parseError("call hello") else { return }
        #expect(error.rendered(file: nil) == "1:11: error: expected '(' after function name 'hello'\ncall hello\n          ^")
    }
}
