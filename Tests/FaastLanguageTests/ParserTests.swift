import FaastCore
import Testing

@testable import FaastLanguage

@Suite struct CallTests {
    @Test func simpleCall() {
        #expect(command(#"call hello("world")"#) == .call(CallExpr(
            function: name("hello", 6), arguments: [lit("world", 12)])))
    }

    @Test func twoArguments() {
        #expect(command("call add(1, 2)") == .call(CallExpr(
            function: name("add", 6), arguments: [lit(1, 10), lit(2, 13)])))
    }

    @Test func noArguments() {
        #expect(command("call f()") == .call(CallExpr(function: name("f", 6), arguments: [])))
        #expect(command("call f ( )") == .call(CallExpr(function: name("f", 6), arguments: [])))
    }

    @Test func keywordArguments() {
        func kw(_ text: String, _ column: Int, _ value: Expr) -> KeywordArgument {
            KeywordArgument(name: name(text, column), value: value)
        }
        #expect(command(#"call greet("bob", punct="?")"#) == .call(CallExpr(
            function: name("greet", 6), arguments: [lit("bob", 12)], keywords: [kw("punct", 19, lit("?", 25))])))
        // only keywords, spaces around '=', values of every kind, then a count and options
        #expect(command(#"call f(a = [1, $x], b={"k": null}) x3 mode=queue"#) == .call(CallExpr(
            function: name("f", 6), arguments: [],
            keywords: [kw("a", 8, .array([lit(1, 13), variable("x", 16)], loc(1, 12))),
                       kw("b", 21, .object([(key: "k", value: lit(.null, 29))], loc(1, 23)))],
            count: lit(3, 37), options: [option("mode", 39, lit("queue", 44))])))
        // a keyword named like an option or a count is still a keyword inside the parentheses
        #expect(command("call f(x=1, timeout=2)") == .call(CallExpr(
            function: name("f", 6), arguments: [], keywords: [kw("x", 8, lit(1, 10)), kw("timeout", 13, lit(2, 21))])))
        #expect(command("map greet(punct='?') [1] concurrency=2") == .map(MapExpr(
            function: name("greet", 5), keywords: [kw("punct", 11, lit("?", 17))],
            elements: .array([lit(1, 23)], loc(1, 22)), options: [option("concurrency", 26, lit(2, 38))])))
        #expect(command(#"expect call greet(name="x") == "hello x!""#) == .expect(.equals(
            CallExpr(function: name("greet", 13), arguments: [], keywords: [kw("name", 19, lit("x", 24))]),
            lit("hello x!", 32))))
    }

    @Test func reloadAndAutoreload() {
        #expect(command("reload") == .reload)
        #expect(command("set autoreload=off") == .set([option("autoreload", 5, lit("off", 16))]))
        expectError("reload now", "unexpected 'now' after the command", at: 1, 8)
    }

    @Test func keywordArgumentErrors() {
        expectError(#"call greet(punct="?", "bob")"#,
                    "positional argument after keyword argument 'punct=' (keyword arguments come after the positional ones)",
                    at: 1, 23)
        expectError("call f(a=1, 2, b=3)",
                    "positional argument after keyword argument 'a=' (keyword arguments come after the positional ones)",
                    at: 1, 13)
        expectError("call f(a=1, a=2)", "keyword argument 'a' is given twice", at: 1, 13)
        expectError("call f(a=)", "expected a value after 'a='", at: 1, 10)
        expectError("call f(a=, b=1)", "expected a value after 'a='", at: 1, 10)
        expectError("call f(a=1", "expected ')' after arguments", at: 1, 11)
        expectError("call f(a=1 b=2)", "expected ',' between arguments", at: 1, 12)
        expectError("call f(a=1,)", "expected an argument after ',' (trailing commas are not allowed)", at: 1, 12)
        expectError("call f(a=b)", "expected a value, found 'b' (strings need quotes: \"b\")", at: 1, 10)
    }

    @Test func countAndOptions() {
        #expect(command("call square($i) x100 mode=queue concurrency=20") == .call(CallExpr(
            function: name("square", 6),
            arguments: [variable("i", 13)],
            count: lit(.number("100"), 18),
            options: [
                option("mode", 22, lit("queue", 27)),
                option("concurrency", 33, lit(.number("20"), 45)),
            ])))
    }

    @Test func countForms() {
        #expect(command("call f() x$n") == .call(CallExpr(function: name("f", 6), arguments: [], count: variable("n", 11))))
        #expect(command("call f() x 100") == .call(CallExpr(function: name("f", 6), arguments: [], count: lit(100, 12))))
        #expect(command("call f() x $n") == .call(CallExpr(function: name("f", 6), arguments: [], count: variable("n", 12))))
        // After the options, too.
        #expect(command("call f() mode=queue x5") == .call(CallExpr(
            function: name("f", 6), arguments: [], count: lit(5, 22), options: [option("mode", 10, lit("queue", 15))])))
        // `x=` is an option named x, which call does not take.
        expectError("call f() x=5", "unknown option 'x' for call; options: mode, timeout, retries, rerun, concurrency, rate, burst, pipeline, speculative",
                    at: 1, 10)
    }

    @Test func allKindsOfArguments() {
        let source = #"call f('single', "double\n", [1, {"a": null}], true) retries=0 timeout=5"#
        #expect(command(source) == .call(CallExpr(
            function: name("f", 6),
            arguments: [
                lit("single", 8),
                lit("double\n", 18),
                .array([lit(1, 31), .object([(key: "a", value: lit(nil, 40))], loc(1, 34))], loc(1, 30)),
                lit(true, 48),
            ],
            options: [option("retries", 54, lit(0, 62)), option("timeout", 64, lit(5, 72))])))
    }

    @Test func bigIntegerKeptAsText() {
        #expect(command("call f(12345678901234567890123)") == .call(CallExpr(
            function: name("f", 6), arguments: [lit(.number("12345678901234567890123"), 8)])))
    }

    @Test func numbers() {
        #expect(command("call f(-1.5e-3, 0, 1E+10, 2.50)") == .call(CallExpr(
            function: name("f", 6),
            arguments: [lit(.number("-1.5e-3"), 8), lit(.number("0"), 17), lit(.number("1E+10"), 20),
                        lit(.number("2.50"), 27)])))
    }

    @Test func unicodeStringsAndColumns() {
        #expect(command(#"call f("你好", "😀👍🏽", $x)"#) == .call(CallExpr(
            function: name("f", 6), arguments: [lit("你好", 8), lit("😀👍🏽", 14), variable("x", 20)])))
    }

    @Test func stringEscapes() {
        let source = #"call f("a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00", 'it\'s', 'say "hi"', "it's", '\u0041\n')"#
        #expect(command(source) == .call(CallExpr(
            function: name("f", 6),
            arguments: [
                lit("a\"b\\c/d\u{8}\u{C}\n\r\té😀", 8),
                lit("it's", 50),
                lit("say \"hi\"", 59),
                lit("it's", 71),
                lit("A\n", 79),
            ])))
    }

    @Test func objects() {
        let source = #"call f({"k": 1, 'k2': [true, false, null], bareKey: $v, nested: {}, e: []})"#
        guard case .call(let call)? = command(source), case .object(let members, let l)? = call.arguments.first else {
            Issue.record("not an object")
            return
        }
        #expect(l == loc(1, 8))
        #expect(members.map(\.key) == ["k", "k2", "bareKey", "nested", "e"])
        #expect(members[0].value == lit(1, 14))
        #expect(members[1].value == .array([lit(true, 24), lit(false, 30), lit(nil, 37)], loc(1, 23)))
        #expect(members[2].value == variable("v", 53))
        #expect(members[3].value == .object([], loc(1, 65)))
        #expect(members[4].value == .array([], loc(1, 72)))
    }

    @Test func multiLineCall() throws {
        let source = """
            call add(
              1,
              [2,
               3]
            )
            status
            """
        let statements = try Parser.parse(source)
        #expect(statements == [
            Statement(.call(CallExpr(
                function: name("add", 6),
                arguments: [lit(1, 2, 3), .array([lit(2, 3, 4), lit(3, 4, 4)], loc(3, 3))])), at: loc(1, 1)),
            Statement(.status, at: loc(6, 1)),
        ])
    }

    @Test func multiLineString() throws {
        let statements = try Parser.parse("call f(\"a\nb\")\nstatus")
        #expect(statements.count == 2)
        #expect(statements[0].command == .call(CallExpr(function: name("f", 6), arguments: [lit("a\nb", 8)])))
        #expect(statements[1].location == loc(3, 1))
    }
}

@Suite struct OtherCommandTests {
    @Test func map() {
        #expect(command("map square [1, 2, [3, 4]] concurrency=2") == .map(MapExpr(
            function: name("square", 5),
            elements: .array([lit(1, 13), lit(2, 16), .array([lit(3, 20), lit(4, 23)], loc(1, 19))], loc(1, 12)),
            options: [option("concurrency", 27, lit(2, 39))])))
        #expect(command("map square $xs") == .map(MapExpr(function: name("square", 5), elements: variable("xs", 12))))
    }

    @Test func letBindings() {
        #expect(command("let r = call add(1,2)") == .letBinding(name("r", 5), .call(CallExpr(
            function: name("add", 14), arguments: [lit(1, 18), lit(2, 20)]))))
        #expect(command("let xs = [1,2,3]") == .letBinding(name("xs", 5), .value(
            .array([lit(1, 11), lit(2, 13), lit(3, 15)], loc(1, 10)))))
        #expect(command("let m = map sq [1] concurrency=1") == .letBinding(name("m", 5), .map(MapExpr(
            function: name("sq", 13), elements: .array([lit(1, 17)], loc(1, 16)),
            options: [option("concurrency", 20, lit(1, 32))]))))
        #expect(command("let last = $_") == .letBinding(name("last", 5), .value(variable("_", 12))))
        #expect(command("let n = -3") == .letBinding(name("n", 5), .value(lit(.number("-3"), 9))))
        #expect(command("let s = 'x'") == .letBinding(name("s", 5), .value(lit("x", 9))))
    }

    @Test func expectEquals() {
        #expect(command("expect call add(1, 2) == 3") == .expect(.equals(
            CallExpr(function: name("add", 13), arguments: [lit(1, 17), lit(2, 20)]), lit(3, 26))))
        #expect(command("expect call f() x10 mode=queue == [1]") == .expect(.equals(
            CallExpr(function: name("f", 13), arguments: [], count: lit(10, 18),
                     options: [option("mode", 21, lit("queue", 26))]),
            .array([lit(1, 36)], loc(1, 35)))))
    }

    @Test func expectFails() {
        #expect(command(#"expect call fail("x") fails exception"#) == .expect(.fails(
            CallExpr(function: name("fail", 13), arguments: [lit("x", 18)]), kind: name("exception", 29))))
        #expect(command(#"expect call fail("x") fails"#) == .expect(.fails(
            CallExpr(function: name("fail", 13), arguments: [lit("x", 18)]), kind: nil)))
    }

    @Test func open() {
        #expect(command("open aws examples/functions.py region=eu-west-1 memory=1024") == .open(
            provider: name("aws", 6), module: "examples/functions.py",
            options: [option("region", 32, lit("eu-west-1", 39)), option("memory", 49, lit(1024, 56))]))
        #expect(command("open examples/functions.js") == .open(provider: nil, module: "examples/functions.js", options: []))
        #expect(command(#"open "my dir/f.js""#) == .open(provider: nil, module: "my dir/f.js", options: []))
        #expect(command("open local ./f.py") == .open(provider: name("local", 6), module: "./f.py", options: []))
        #expect(command("open local 'a b.py'") == .open(provider: name("local", 6), module: "a b.py", options: []))
        // A provider only when a module follows.
        #expect(command("open local") == .open(provider: nil, module: "local", options: []))
        #expect(command("open aws region=x") == .open(
            provider: nil, module: "aws", options: [option("region", 10, lit("x", 17))]))
        #expect(command(#"open C:\dir\f.js"#) == .open(provider: nil, module: #"C:\dir\f.js"#, options: []))
        #expect(command("open ~/fns/@scope+x.mjs") == .open(provider: nil, module: "~/fns/@scope+x.mjs", options: []))
    }

    @Test func optionValues() {
        // Words, quoted strings, paths with colons, booleans, objects and variables; each checked by its kind
        // (region and role take any text).
        let source = #"open f.py region=eu-1 role=a/b:c pipeline=true timeout=2.5 retries=0 env={"A":"1"} rate=$r include="q q""#
        #expect(command(source) == .open(provider: nil, module: "f.py", options: [
            option("region", 11, lit("eu-1", 18)),
            option("role", 23, lit("a/b:c", 28)),
            option("pipeline", 34, lit(true, 43)),
            option("timeout", 48, lit(.number("2.5"), 56)),
            option("retries", 60, lit(0, 68)),
            option("env", 70, .object([(key: "A", value: lit("1", 79))], loc(1, 74))),
            option("rate", 84, variable("r", 89)),
            option("include", 92, lit("q q", 100)),
        ]))
        expectError("set echo=null", "echo= takes on or off, not null", at: 1, 10)
    }

    @Test func set() {
        #expect(command("set concurrency=5 format=json") == .set([
            option("concurrency", 5, lit(5, 17)), option("format", 19, lit("json", 26)),
        ]))
    }

    @Test func print() {
        #expect(command("print hello $name") == .print("hello $name"))
        #expect(command(#"print "quoted # not a comment""#) == .print("quoted # not a comment"))
        #expect(command(#"print "tab\tand \"quotes\"" # comment"#) == .print("tab\tand \"quotes\""))
        #expect(command("print 'single'") == .print("single"))
        #expect(command("print") == .print(""))
        #expect(command("print  two spaces") == .print(" two spaces"))
        #expect(command("print hello # a comment") == .print("hello"))
        #expect(command("print it's fine (really") == .print("it's fine (really"))
        #expect(command("print issue#5") == .print("issue#5"))
        #expect(command(#"print "a" and "b # c""#) == .print(#""a" and "b # c""#))
        #expect(command(#"print "C:\path""#) == .print(#""C:\path""#))
        #expect(command("print {unclosed") == .print("{unclosed"))
    }

    @Test func printDoesNotContinueTheLine() throws {
        let statements = try Parser.parse("print it's (\nstatus")
        #expect(statements == [Statement(.print("it's ("), at: loc(1, 1)), Statement(.status, at: loc(2, 1))])
    }

    @Test func sleepSourceLogs() {
        #expect(command("sleep 0.5") == .sleep(lit(.number("0.5"), 7)))
        #expect(command("sleep $t") == .sleep(variable("t", 7)))
        #expect(command("source other.faast") == .source("other.faast"))
        #expect(command(#"source "dir with space/x.faast""#) == .source("dir with space/x.faast"))
        #expect(command("logs hello last=20") == .logs(name("hello", 6), options: [option("last", 12, lit(20, 17))]))
        #expect(command("logs last=20") == .logs(nil, options: [option("last", 6, lit(20, 11))]))
        #expect(command("logs") == .logs(nil, options: []))
        #expect(command("logs hello") == .logs(name("hello", 6), options: []))
    }

    @Test func simpleCommands() {
        #expect(command("functions") == .functions)
        #expect(command("help") == .help(nil))
        #expect(command("help call") == .help(name("call", 6)))
        #expect(command("status") == .status)
        #expect(command("stats") == .stats(nil))
        #expect(command("stats square") == .stats(name("square", 7)))
        #expect(command("cost") == .cost(nil))
        #expect(command("cost csv") == .cost(name("csv", 6)))
        #expect(command("cost json") == .cost(name("json", 6)))
        #expect(command("results") == .results)
        #expect(command("logUrl") == .logUrl(nil))
        #expect(command("logUrl square") == .logUrl(name("square", 8)))
        #expect(command("cleanup") == .cleanup)
        #expect(command("gc") == .gc)
        #expect(command("exit") == .exit)
        #expect(command("quit") == .exit)
        #expect(command("  status   # trailing comment") == .status)
    }

    @Test func commentsAndBlankLines() throws {
        let source = """
            # a comment

            call f() # trailing (
               # indented comment [
            \t
            status
            """
        let statements = try Parser.parse(source)
        #expect(statements == [
            Statement(.call(CallExpr(function: name("f", 3, 6), arguments: [])), at: loc(3, 1)),
            Statement(.status, at: loc(6, 1)),
        ])
        #expect(try Parser.parseLine("   # only a comment") == nil)
        #expect(try Parser.parseLine("") == nil)
        #expect(try Parser.parse("").isEmpty)
    }

    @Test func lineNumbersAndLineEndings() throws {
        let statements = try Parser.parse("status\r\ncall f()\r\n\r\ncost\rgc")
        #expect(statements.map(\.location) == [loc(1, 1), loc(2, 1), loc(4, 1), loc(5, 1)])
        let statement = try Parser.parseLine("call f(1)", lineNumber: 7)
        #expect(statement == Statement(.call(CallExpr(function: name("f", 7, 6), arguments: [lit(1, 7, 8)])), at: loc(7, 1)))
        #expect(try Parser.parse("\u{FEFF}status") == [Statement(.status, at: loc(1, 1))])
    }

    @Test func commandNames() {
        #expect(Language.keywords.contains("call"))
        #expect(Language.keywords.contains("logUrl"))
        #expect(Language.keywords.count == Set(Language.keywords).count)
    }
}
