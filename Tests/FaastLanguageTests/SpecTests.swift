import FaastCore
import Foundation
import Testing

@testable import FaastLanguage

/// A value each kind accepts, to write every option into a command line.
func exampleValue(_ kind: ValueKind) -> String {
    switch kind {
    case .number(let range, _): return range.lowerIncluded ? "\(range.lower)" : "\(range.upper)"
    case .count(let range, _): return "\(range.lowerBound)"
    case .choice(let words): return words[0]
    case .flag: return "off"
    case .object: return "{\"K\": \"v\"}"
    case .globs: return "\"*.json,data/*\""
    case .text: return "eu-west-1"
    case .counts(let range, _): return "\(range.lowerBound),\(range.upperBound)"
    }
}

/// A command line of `command` around its options (`call f(1) …`, `expect call f(1) … == 1`).
func lineTakingOptions(_ command: CommandSpec) -> (String, String)? {
    switch command.operand {
    case .call: return ("call f(1)", "")
    case .map: return ("map f [1]", "")
    case .binding: return ("let x = call f(1)", "")
    case .expectation: return ("expect call f(1)", " == 1")
    case .analysis: return ("analyze call f(1)", "")
    case .module: return (command.name + " m.js", "")
    case .function: return (command.name + " f", "")
    case .settings: return (command.name, "")
    default: return nil
    }
}

@Suite("the language table drives parsing, help and the README")
struct SpecTests {
    @Test("every option of every command parses with a value of its kind, and help documents it")
    func everyOptionParsesAndIsDocumented() throws {
        for command in Language.commands where !command.options.isEmpty {
            let (prefix, suffix) = try #require(lineTakingOptions(command), "no way to write options for \(command.name)")
            let help = Reference.help(for: command)
            for option in command.options {
                let line = "\(prefix) \(option.key)=\(exampleValue(option.kind))\(suffix)"
                #expect(throws: Never.self, "\(line)") { _ = try Parser.parseLine(line) }
                #expect(help.contains("\(option.key)="), "help \(command.name) lacks \(option.key)")
                #expect(Reference.markdown.contains("`\(option.key)=`"), "the README table lacks \(option.key)")
                // The example value also goes through the setter without a trap.
                let example: JSONValue = option.kind == .object ? ["K": "v"] : .string(exampleValue(option.kind))
                let checked = try option.check(example).get()
                var call = CallOptions(), deploy = DeploySettings(), session = SessionSettings()
                let applied = option.apply(checked, to: &call) || option.apply(checked, to: &deploy)
                    || option.apply(checked, to: &session) || ["logs", "history"].contains(command.name)
                    || (command.name == "analyze" && option.key == "memory")  // read by analyze itself
                #expect(applied, "\(option.key) goes nowhere")
            }
            // A key the command does not take is refused with the list of those it does.
            let wrong = "\(prefix) bogus=1\(suffix)"
            let error = try #require(parseError(wrong))
            // The options of `let x = call …` and `expect call …` are the call's.
            let owner = [.binding, .expectation].contains(command.operand) ? "call" : command.name
            #expect(error.message.hasPrefix("unknown option 'bogus' for \(owner)"))
            #expect(error.location == loc(1, prefix.count + 2))
        }
        for command in Language.commands {
            #expect(Reference.overview.contains(command.usage))
        }
    }

    @Test("every example in the table parses, to a command named as in the table")
    func examplesParse() throws {
        for spec in Language.commands {
            for example in spec.examples {
                let parsed = try #require(command(example), "\(example)")
                #expect(parsed.name == spec.name, "\(example)")
            }
            if spec.operand == .none || spec.name == "exit" {
                for keyword in spec.keywords { #expect(command(keyword)?.name == spec.name) }
            }
        }
    }

    @Test("a call option is a default for open and set too")
    func callOptionsEverywhere() {
        for option in Language.callOptions {
            #expect(Language.command("open")!.option(option.key) != nil, "open lacks \(option.key)")
            #expect(Language.command("set")!.option(option.key) != nil, "set lacks \(option.key)")
            #expect(option.toDeploy != nil, "\(option.key) is not written into the deployment's settings")
        }
        #expect(Set(Language.keywords).count == Language.keywords.count)
    }

    @Test("the README's tables are the table's", .enabled(if: FileManager.default.fileExists(atPath: SpecTests.readme)))
    func readmeMatches() throws {
        let readme = try String(contentsOfFile: Self.readme, encoding: .utf8)
        let begin = "<!-- language-reference:begin -->\n", end = "<!-- language-reference:end -->"
        let block = try #require(readme.components(separatedBy: begin).dropFirst().first?.components(separatedBy: end).first)
        #expect(block == Reference.markdown + "\n", "README.md is stale: run scripts/completions")
    }

    static let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("README.md").path

    @Test("numbers are checked against their range before any conversion (no trap)")
    func rangeErrors() {
        expectError("sleep 1e999", "sleep takes seconds from 0 to 86,400, not 1e999", at: 1, 7)
        expectError("sleep 99999999999999999999", "sleep takes seconds from 0 to 86,400, not 99999999999999999999", at: 1, 7)
        expectError("sleep -1", "sleep takes seconds from 0 to 86,400, not -1", at: 1, 7)
        expectError("call f() timeout=1e308", "timeout= takes seconds above 0 and up to 86,400, not 1e308", at: 1, 18)
        expectError("call f() timeout=0", "timeout= takes seconds above 0 and up to 86,400, not 0", at: 1, 18)
        expectError("set timeout=1e308", "timeout= takes seconds above 0 and up to 86,400, not 1e308", at: 1, 13)
        expectError("set timeout=inf", "timeout= takes seconds above 0 and up to 86,400, not 'inf'", at: 1, 13)
        expectError("set timeout=nan", "timeout= takes seconds above 0 and up to 86,400, not 'nan'", at: 1, 13)
        expectError("open m.js retention=1e999", "retention= takes days above 0 and up to 3,650, not 1e999", at: 1, 21)
        expectError("open m.js retention=9223372036854775808",
                    "retention= takes days above 0 and up to 3,650, not 9223372036854775808", at: 1, 21)
        expectError("call f() x1000000000",
                    "the fan-out count takes a whole number of calls from 0 to 100,000,000 (1e8), not 1000000000", at: 1, 11)
        expectError("call f() x 99999999999999999999",
                    "the fan-out count takes a whole number of calls from 0 to 100,000,000 (1e8), not 99999999999999999999", at: 1, 12)
        expectError("call f() retries=1.5", "retries= takes a whole number of retries from 0 to 100, not 1.5", at: 1, 18)
        expectError("open m.js memory=12", "memory= takes a whole number of MB from 64 to 10,240, not 12", at: 1, 18)
        expectError("call f() mode=fast", "mode= takes https or queue, not 'fast'", at: 1, 15)
        expectError("set pipeline=maybe", "pipeline= takes on or off, not 'maybe'", at: 1, 14)
        expectError("open m.js env=[1]", "env= takes an object, e.g. {\"KEY\": \"value\"}, not [1]", at: 1, 15)
        expectError("logs last=0", "last= takes a whole number of lines from 1 to 10,000, not 0", at: 1, 11)
        // At the cap itself, and with variables (checked when they are evaluated), it parses.
        #expect(command("call f() x100000000") != nil)
        #expect(command("sleep 86400") != nil)
        #expect(command("sleep $forever") != nil)
        #expect(command("set timeout=$t") != nil)
    }

    @Test("unknown keys suggest the right one; set and logs list theirs")
    func unknownKeys() {
        expectError("call f() mdoe=queue",
                    "unknown option 'mdoe' for call (did you mean 'mode'?); options: mode, timeout, retries, rerun, concurrency, rate, burst, pipeline, speculative",
                    at: 1, 10)
        expectError("set concurency=3",
                    "unknown option 'concurency' for set (did you mean 'concurrency'?); options: mode, timeout, retries, rerun, concurrency, rate, burst, pipeline, speculative, format, timing, echo, prompt, pager, maxlines, output, autoreload",
                    at: 1, 5)
        expectError("logs hello lst=5", "unknown option 'lst' for logs (did you mean 'last'?); options: last", at: 1, 12)
        expectError("open m.js burts=2", "unknown option 'burts' for open (did you mean 'burst'?); options: "
                    + Language.openOptions.map(\.key).joined(separator: ", "), at: 1, 11)
    }

    @Test("value kinds: words, flags, globs and numbers written as words")
    func kinds() throws {
        #expect(try ValueKind.flag.check("yes").get() == .flag(true))
        #expect(try ValueKind.flag.check(.bool(false)).get() == .flag(false))
        #expect(try ValueKind.globs.check(" a/*.json , b ").get() == .list(["a/*.json", "b"]))
        #expect(try ValueKind.globs.check(["x", "y"]).get() == .list(["x", "y"]))
        #expect(try Language.timeout.check("2.5").get() == .number(2.5))
        #expect(try Language.concurrency.check(0).get() == .count(0))
        #expect(throws: OptionError.self) { try Language.concurrency.check(.number("1e400")).get() }
        #expect(throws: OptionError.self) { try Language.burst.check(.number("-0.5")).get() }
        let wrong = try #require(Language.mode.check("queeu").failure)
        #expect(wrong.message == "mode= takes https or queue, not 'queeu' (did you mean 'queue'?)")
    }
}

extension Result {
    var failure: Failure? { if case .failure(let e) = self { return e }; return nil }
}
