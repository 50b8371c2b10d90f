import FaastCore
import FaastLanguage
import Foundation

/// Commands that change or drive the session: set, print, sleep, source, cleanup, gc.
extension Shell {
    func setCommand(_ opts: [OptionArg]) throws -> CommandStatus {
        var calls = callDefaults
        var session = options.session
        let set = Language.command("set")!
        for opt in opts {
            let spec = try spec(of: opt, in: set)
            let value = try checkedValue(opt, spec)
            if !spec.apply(value, to: &calls) { spec.apply(value, to: &session) }
        }
        // All or nothing: a bad value in the line changes no setting.
        callDefaults = calls
        options.session = session
        report(.settingsChanged, command: "set")
        return .ok
    }

    func printCommand(_ text: String, at location: SourceLocation, line: String) throws -> CommandStatus {
        // A mistake in a `$name` points at it, not at `print`: the text stands in its line as written unless it
        // was a quoted string with escapes (then the caret stays at `print`).
        let after = line.dropFirst(max(0, location.column - 1)).dropFirst("print".count)
        let start = after.range(of: text).map { line.distance(from: line.startIndex, to: $0.lowerBound) + 1 }
        let expanded = try interpolate(text) { offset in
            start.map { SourceLocation(line: location.line, column: $0 + offset) } ?? location
        }
        report(.printed(expanded), command: "print")
        return .ok
    }

    /// Replaces `$name` (and `${name}`) by the variable's value: strings as they are, other values as JSON.
    /// `location(n)` is where the text's n-th character stands, for errors about the `$name` that starts there.
    func interpolate(_ text: String, location: (Int) -> SourceLocation) throws -> String {
        var out = ""
        var chars = Substring(text)
        while let dollar = chars.firstIndex(of: "$") {
            out += chars[..<dollar]
            var rest = chars[chars.index(after: dollar)...]
            var braced = false
            if rest.first == "{" {
                braced = true
                rest = rest.dropFirst()
            }
            let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            if name.isEmpty {
                out += "$"
                chars = chars[chars.index(after: dollar)...]
                continue
            }
            let location = location(text.distance(from: text.startIndex, to: dollar))
            var value = try Self.resolve(VariableReference(name: String(name)), variables: variables, index: nil, at: location)
            var written = "$" + name
            rest = rest[name.endIndex...]
            // `$o.name` and `$o[0]` step into an object or array; after any other value the text stays as written
            // ("saved to $file.txt").
            while let (step, length) = Self.printStep(rest, into: value) {
                value = try Self.step(into: value, step, written: written, at: location)
                written += rest.prefix(length)
                rest = rest.dropFirst(length)
            }
            out += value.stringValue ?? value.jsonText
            if braced, rest.first == "}" { rest = rest.dropFirst() }
            chars = rest
        }
        return out + chars
    }

    /// A `.field` after an object, or `[N]` after an array or object, at the start of `text`, and its length.
    static func printStep(_ text: Substring, into value: JSONValue) -> (VariableReference.Step, Int)? {
        switch (text.first, value) {
        case (".", .object):
            let key = text.dropFirst().prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            return key.isEmpty ? nil : (.key(String(key)), 1 + key.count)
        case ("[", .array), ("[", .object):
            guard let close = text.firstIndex(of: "]"),
                  let reference = VariableReference.parse("x" + text[...close]), reference.steps.count == 1
            else { return nil }
            return (reference.steps[0], text.distance(from: text.startIndex, to: close) + 1)
        default:
            return nil
        }
    }

    func sleepCommand(_ expr: Expr) async throws -> CommandStatus {
        let seconds = try checked(expr, Language.sleepSeconds, subject: "sleep").double
        do {
            // In range by the check above: at most a day, far below UInt64's nanoseconds.
            try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
        } catch {
            return .interrupted
        }
        report(.slept(seconds: seconds), command: "sleep")
        return .ok
    }

    func sourceCommand(_ path: String, context: SourceContext) async throws -> CommandStatus {
        let full = FilePaths.absolute(path, relativeTo: context.directory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory) else {
            let near = PathSuggestion.suggestions(for: path, relativeTo: context.directory, kind: PathSuggestion.isScript)
            throw ShellError("cannot read \(path): no such file" + Suggestion.didYouMean(near), suggestions: near)
        }
        if isDirectory.boolValue { throw ShellError("cannot read \(path): it is a directory (source takes a .faast file)") }
        guard let data = FileManager.default.contents(atPath: full) else {
            throw ShellError("cannot read \(path): permission denied")
        }
        guard !sourceStack.contains(full) else { throw ShellError("\(path) sources itself") }
        sourceStack.append(full)
        defer { sourceStack.removeLast() }
        let text = String(decoding: data, as: UTF8.self)
        let inner = SourceContext(file: path, text: text, directory: (full as NSString).deletingLastPathComponent)
        return await runScript(text, context: inner)
    }

    func cleanupCommand() async throws -> CommandStatus {
        _ = try requireSession()
        let report = try await closeSession(report: true)
        self.report(.cleanedUp(report), command: "cleanup")
        return .ok
    }

    func gcCommand() async throws -> CommandStatus {
        let report: CleanupReport
        if let invoker {
            report = try await invoker.provider.collectGarbage()
        } else {
            guard let factory = factories[options.provider] else { throw ShellError("unknown provider '\(options.provider)'") }
            report = try await factory.collectGarbage(settings: options.deploy)
        }
        self.report(.collected(report), command: "gc")
        return .ok
    }
}
