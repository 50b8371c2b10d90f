import FaastCore
import FaastLanguage
import Testing

@testable import FaastShell

@Suite("Tab completion reads the language table")
struct CompletionTests {
    let context = CompletionContext(functions: ["hello", "add", "square"], variables: ["total"])

    /// A line of `command` after which option keys are completed.
    func prefix(_ command: CommandSpec) -> String? {
        switch command.operand {
        case .call: return "call add(1, 2) "
        case .map: return "map add [[1, 2]] "
        case .binding: return "let x = call add(1, 2) "
        case .expectation: return "expect call add(1, 2) "
        case .analysis: return "analyze call add(1, 2) "
        case .module: return command.name + " examples/functions.js "
        case .function: return command.name + " hello "
        case .settings: return command.name + " "
        default: return nil
        }
    }

    @Test("every key a command accepts is completed, and every value of a key with fixed values")
    func everyKeyIsCompleted() throws {
        for command in Language.commands where !command.options.isEmpty {
            let line = try #require(prefix(command), "no completion line for \(command.name)")
            let keys = Completion.candidates(line: line, context: context)
            for option in command.options {
                #expect(keys.contains(option.key + "="), "\(command.name) does not complete \(option.key)=")
                let values = Completion.candidates(line: line + option.key + "=", context: context)
                #expect(values == option.kind.choices, "\(command.name) \(option.key)= completes \(values)")
            }
            // Exactly the command's keys: nothing it would refuse.
            let extra: Set<String> = command.operand == .expectation ? ["fails", "=="] : []
            #expect(Set(keys) == Set(command.optionKeys.map { $0 + "=" }).union(extra),
                    "\(command.name) completes \(keys)")
        }
    }

    @Test("open completes burst=, include= and exclude=; set completes burst= and pipeline=")
    func keysThatHadDrifted() {
        let open = Completion.candidates(line: "open functions.js ", context: context)
        #expect(open.contains("burst=") && open.contains("include=") && open.contains("exclude="))
        let set = Completion.candidates(line: "set ", context: context)
        #expect(set.contains("burst=") && set.contains("pipeline="))
        #expect(Completion.candidates(line: "set pipeline=o", context: context) == ["on", "off"])
        #expect(Completion.candidates(line: "open aws f.js architecture=", context: context) == ["x86_64", "arm64"])
    }

    @Test("commands, functions and variables")
    func names() {
        #expect(Completion.candidates(line: "lo", context: context) == ["logUrl", "logs"])
        #expect(Completion.candidates(line: "call sq", context: context) == ["square"])
        #expect(Completion.candidates(line: "help q", context: context) == ["quit"])
        #expect(Completion.candidates(line: "print $to", context: context) == ["$total"])
        #expect(Completion.candidates(line: "expect call add(1, 2) f", context: context) == ["fails"])
        #expect(Completion.candidates(line: "call add(1, ", context: context).isEmpty)
        #expect(Completion.candidates(line: "cost ", context: context) == ["text", "csv", "json"])
        #expect(Completion.candidates(line: "cost c", context: context) == ["csv"])
        #expect(Completion.candidates(line: "cost csv ", context: context).isEmpty)
    }

    @Test("inside a python function's parentheses, the parameters it takes by keyword")
    func keywordArguments() {
        let python = CompletionContext(functions: ["greet"], keywords: ["greet": ["name", "punct", "times"]])
        #expect(Completion.candidates(line: #"call greet("bob", p"#, context: python) == ["punct="])
        #expect(Completion.candidates(line: #"call greet("bob", punct="?", "#, context: python) == ["name=", "times="])
        #expect(Completion.candidates(line: "let g = call greet(", context: python) == ["name=", "punct=", "times="])
        #expect(Completion.candidates(line: "map greet(t", context: python) == ["times="])
        // not inside a value, not for a function with no keyword parameters (node)
        #expect(Completion.candidates(line: #"call greet("p"#, context: python) == [])
        #expect(Completion.candidates(line: "call add(1, ", context: context) == [])
    }
}
