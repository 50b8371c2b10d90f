import FaastCore
import FaastLanguage
import Foundation

/// What completion knows about the session: the open module's functions and the variables.
public struct CompletionContext: Sendable {
    public var functions: [String] = []
    public var variables: [String] = []
    /// The parameters each python function takes by keyword (`greet` → `name`, `punct`, `times`).
    public var keywords: [String: [String]] = [:]
    public init(functions: [String] = [], variables: [String] = [], keywords: [String: [String]] = [:]) {
        self.functions = functions
        self.variables = variables
        self.keywords = keywords
    }
}

/// Tab completion candidates for the word before the cursor: commands, the module's functions,
/// option keys and their values, variables, and file paths after `open` and `source`.
public enum Completion {
    /// Characters that end a word for the line editor.
    public static let wordBreaks = " \t\n(,[{=\"'"

    static let moduleExtensions = ["js", "cjs", "mjs", "py"]
    /// What `expect … fails` takes after it.
    static let failureKinds = FaastError.Kind.allCases.map(\.rawValue)

    /// Candidates that complete `line` (the text before the cursor): commands, option keys and values from
    /// the language table; functions and variables from `context`; paths from `directory`.
    public static func candidates(line: String, context: CompletionContext, directory: String = FileManager.default.currentDirectoryPath) -> [String] {
        let word = word(before: line)
        let before = String(line.dropLast(word.count))
        let words = before.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if word.hasPrefix("$") {
            return (context.variables + ["_", "i"]).map { "$" + $0 }.filter { $0.hasPrefix(word) }.sorted()
        }
        guard let first = words.first else {
            return Language.keywords.filter { $0.hasPrefix(word) }
        }
        var keyword = first
        var rest = Array(words.dropFirst())
        if keyword == "let", rest.count >= 2, rest[1] == "=" {
            guard rest.count >= 3 else { return ["call", "map"].filter { $0.hasPrefix(word) } }
            keyword = rest[2]
            rest = Array(rest.dropFirst(3))
        } else if keyword == "analyze" {
            // `analyze call FN(ARGS) [xN] key=…`: a call, with analyze's options (memory= among them).
            if rest.isEmpty { return ["call"].filter { $0.hasPrefix(word) } }
            rest = Array(rest.dropFirst())
        } else if keyword == "expect" {
            if rest.isEmpty { return ["call"].filter { $0.hasPrefix(word) } }
            keyword = rest[0]
            rest = Array(rest.dropFirst())
            if let close = before.lastIndex(of: ")"), !before.hasSuffix("=") {
                let expect = Language.command("expect")!
                let after = before[before.index(after: close)...].split(separator: " ").map(String.init)
                // `fails KIND`: the kinds of failure a call can have.
                if after.last == "fails" { return failureKinds.filter { $0.hasPrefix(word) } }
                if after.contains("fails") || after.contains("==") { return optionKeys(expect, word) }
                return ["fails", "=="].filter { $0.hasPrefix(word) } + optionKeys(expect, word)
            }
        }
        guard let command = Language.command(keyword) else { return [] }
        if before.hasSuffix("=") {
            let key = String(before.dropLast().reversed().prefix { !wordBreaks.contains($0) }.reversed())
            return (command.option(key)?.kind.choices ?? []).filter { $0.hasPrefix(word) }
        }
        let functions = context.functions.filter { $0.hasPrefix(word) }.sorted()
        switch command.operand {
        case .call, .map, .analysis:
            let insideArgs = before.filter { $0 == "(" }.count > before.filter { $0 == ")" }.count
            if rest.isEmpty, !before.contains("(") { return functions }
            if insideArgs || before.hasSuffix("(") { return keywordNames(before, word, context) }
            if command.operand == .map, rest.count < 2 { return [] }
            return optionKeys(command, word)
        case .module:
            if rest.isEmpty, !word.contains("/") {
                let providers = ["local", "aws"].filter { $0.hasPrefix(word) && !word.isEmpty }
                return providers + paths(word, extensions: moduleExtensions, directory: directory)
            }
            if rest.isEmpty || (rest.count == 1 && ["local", "aws"].contains(rest[0])) {
                return paths(word, extensions: moduleExtensions, directory: directory)
            }
            return optionKeys(command, word)
        case .script:
            return paths(word, extensions: ["faast"], directory: directory)
        case .topic:
            return (Language.keywords + context.functions).filter { $0.hasPrefix(word) }.sorted()
        case .function:
            return (rest.isEmpty ? functions : []) + optionKeys(command, word)
        case .settings:
            return optionKeys(command, word)
        case .word(let words):
            return rest.isEmpty ? words.filter { $0.hasPrefix(word) } : []
        case .none, .binding, .expectation, .text, .seconds:
            return []
        }
    }

    /// Inside a python function's parentheses, at the start of an argument: `name=` for each parameter it takes
    /// by keyword that the line does not name yet.
    static func keywordNames(_ before: String, _ word: String, _ context: CompletionContext) -> [String] {
        guard let open = before.firstIndex(of: "("), before.last.map({ $0 == "(" || $0 == "," || $0 == " " }) ?? false,
              let function = before[..<open].split(separator: " ").last, let names = context.keywords[String(function)]
        else { return [] }
        let args = before[before.index(after: open)...]
        return names.filter { $0.hasPrefix(word) && !args.contains($0 + "=") }.map { $0 + "=" }
    }

    /// The word being completed: the end of `line` after the last word-break character.
    static func word(before line: String) -> String {
        String(line.reversed().prefix { !wordBreaks.contains($0) }.reversed())
    }

    /// `key=` for each option of `command` that starts with `word`.
    static func optionKeys(_ command: CommandSpec, _ word: String) -> [String] {
        command.optionKeys.map { $0 + "=" }.filter { $0.hasPrefix(word) }
    }

    /// Files and folders that complete `word` as a path; files only with the given extensions.
    static func paths(_ word: String, extensions: [String], directory: String) -> [String] {
        let expanded = word.hasPrefix("~/") ? FilePaths.home + word.dropFirst() : word
        let dirPart = expanded.contains("/") ? String(expanded[...expanded.lastIndex(of: "/")!]) : ""
        let namePart = String(expanded.dropFirst(dirPart.count))
        let dir = dirPart.hasPrefix("/") ? dirPart : directory + "/" + dirPart
        let shownDir = word.contains("/") ? String(word[...word.lastIndex(of: "/")!]) : ""
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: dir) else { return [] }
        var out: [String] = []
        for name in names.sorted() where name.hasPrefix(namePart) && (namePart.hasPrefix(".") || !name.hasPrefix(".")) {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: dir + name, isDirectory: &isDir) else { continue }
            if isDir.boolValue {
                out.append(shownDir + name + "/")
            } else if extensions.contains((name as NSString).pathExtension.lowercased()) {
                out.append(shownDir + name)
            }
        }
        return out
    }
}
