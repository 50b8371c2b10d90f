import FaastLanguage
import Foundation

/// What completion knows about the session: the open module's functions and the variables.
public struct CompletionContext: Sendable {
    public var functions: [String] = []
    public var variables: [String] = []
    public init(functions: [String] = [], variables: [String] = []) {
        self.functions = functions
        self.variables = variables
    }
}

/// Tab completion candidates for the word before the cursor: commands, the module's functions,
/// option keys and their values, variables, and file paths after `open` and `source`.
public enum Completion {
    static let callOptions = ["mode=", "timeout=", "retries=", "concurrency=", "rate=", "burst=", "pipeline="]
    static let openOptions = ["memory=", "timeout=", "concurrency=", "mode=", "env=", "retries=", "rate=", "pipeline=", "retention=",
                              "region=", "role=", "architecture="]
    static let setOptions = ["concurrency=", "timeout=", "retries=", "rate=", "burst=", "pipeline=", "mode=", "format=", "timing=", "echo="]
    static let values: [String: [String]] = [
        "mode": ["https", "queue"], "format": ["text", "json"], "timing": ["on", "off"], "echo": ["on", "off"], "pipeline": ["on", "off"],
        "architecture": ["x86_64", "arm64"],
    ]

    /// Characters that end a word for the line editor.
    public static let wordBreaks = " \t\n(,[{=\"'"

    /// Candidates that complete `line` (the text before the cursor).
    public static func candidates(line: String, context: CompletionContext, directory: String = FileManager.default.currentDirectoryPath) -> [String] {
        let word = String(line.reversed().prefix { !wordBreaks.contains($0) }.reversed())
        let before = String(line.dropLast(word.count))
        let words = before.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if word.hasPrefix("$") {
            return (context.variables + ["_", "i"]).map { "$" + $0 }.filter { $0.hasPrefix(word) }.sorted()
        }
        if before.hasSuffix("=") {
            let key = String(before.dropLast().reversed().prefix { !wordBreaks.contains($0) }.reversed())
            return (values[key] ?? []).filter { $0.hasPrefix(word) }
        }
        guard let first = words.first else {
            return Parser.commandNames.filter { $0.hasPrefix(word) }
        }
        var command = first
        var rest = Array(words.dropFirst())
        if command == "let", rest.count >= 2, rest[1] == "=" {
            guard rest.count >= 3 else { return ["call", "map"].filter { $0.hasPrefix(word) } }
            command = rest[2]
            rest = Array(rest.dropFirst(3))
        } else if command == "expect" {
            if rest.isEmpty { return ["call"].filter { $0.hasPrefix(word) } }
            command = rest[0]
            rest = Array(rest.dropFirst())
            if before.contains(")") {
                return ["fails", "=="].filter { $0.hasPrefix(word) }
            }
        }
        switch command {
        case "call", "map":
            let insideArgs = before.filter { $0 == "(" }.count > before.filter { $0 == ")" }.count
            if rest.isEmpty, !before.contains("(") { return context.functions.filter { $0.hasPrefix(word) }.sorted() }
            if insideArgs || before.hasSuffix("(") { return [] }
            return callOptions.filter { $0.hasPrefix(word) }
        case "open":
            if rest.isEmpty, !word.contains("/") {
                let providers = ["local", "aws"].filter { $0.hasPrefix(word) && !word.isEmpty }
                return providers + paths(word, extensions: ["js", "cjs", "mjs", "py"], directory: directory)
            }
            if rest.isEmpty || (rest.count == 1 && ["local", "aws"].contains(rest[0])) {
                return paths(word, extensions: ["js", "cjs", "mjs", "py"], directory: directory)
            }
            return openOptions.filter { $0.hasPrefix(word) }
        case "source":
            return paths(word, extensions: ["faast"], directory: directory)
        case "help":
            return (Parser.commandNames + context.functions).filter { $0.hasPrefix(word) }.sorted()
        case "stats", "logUrl":
            return rest.isEmpty ? context.functions.filter { $0.hasPrefix(word) }.sorted() : []
        case "logs":
            return (rest.isEmpty ? context.functions.filter { $0.hasPrefix(word) }.sorted() : []) + ["last="].filter { $0.hasPrefix(word) }
        case "set":
            return setOptions.filter { $0.hasPrefix(word) }
        default:
            return []
        }
    }

    /// Files and folders that complete `word` as a path; files only with the given extensions.
    static func paths(_ word: String, extensions: [String], directory: String) -> [String] {
        let expanded = word.hasPrefix("~/") ? NSHomeDirectory() + word.dropFirst() : word
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
