import Foundation

/// "Did you mean" for a path that names no module file (`hello.jss`, `exmaples/hello.js`, `helo.py`) or no
/// script (`tset.faast`): the nearest existing such files by edit distance, with a mistyped folder on the way
/// replaced by the nearest existing one. Suggestions are written as the path was typed (relative stays relative).
public enum PathSuggestion {
    /// At most this many suggestions (names equally near are all offered: `functions` → `.js` and `.py`).
    static let limit = 3

    /// A module file's name (`.js`, `.cjs`, `.mjs`, `.py`).
    public static func isModule(_ name: String) -> Bool { Runtime.forModule(path: name) != nil }
    /// A script's name (`.faast`).
    public static func isScript(_ name: String) -> Bool { name.lowercased().hasSuffix(".faast") }

    /// Paths near `typed` (resolved against `directory`, default the working directory) of files whose name
    /// passes `kind` (module files by default).
    public static func suggestions(for typed: String, relativeTo directory: String? = nil,
                                   kind: (String) -> Bool = isModule) -> [String] {
        var parts = typed.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let name = parts.popLast(), !name.isEmpty else { return [] }
        let root = typed.hasPrefix("/") ? "/" : (directory ?? FileManager.default.currentDirectoryPath)
        var folder = FilePaths.absolute(root)
        // Each folder on the way must exist; a missing one is replaced by its nearest sibling folder.
        for i in parts.indices {
            let part = parts[i]
            if part.isEmpty || part == "." { continue }
            if i == 0, part == "~" {
                folder = FilePaths.home
                continue
            }
            if part != "..", !FilePaths.isDirectory(folder + "/" + part) {
                guard let near = Suggestion.nearest(to: part, in: entries(of: folder, where: FilePaths.isDirectory)).first else { return [] }
                parts[i] = near
            }
            folder = FilePaths.absolute(parts[i], relativeTo: folder)
        }
        let prefix = parts.isEmpty ? "" : parts.joined(separator: "/") + "/"
        if kind(name), FilePaths.isRegularFile(folder + "/" + name) {
            return [prefix + name]  // only a folder was mistyped
        }
        let modules = entries(of: folder) { kind($0) && FilePaths.isRegularFile($0) }
        let near = Suggestion.nearest(to: name, in: modules)
        if !near.isEmpty { return near.prefix(limit).map { prefix + $0 } }
        // A folder named (or nearly): the modules in it.
        let named = FilePaths.isDirectory(folder + "/" + name) ? name : Suggestion.nearest(to: name, in: entries(of: folder, where: FilePaths.isDirectory)).first
        guard let named else { return [] }
        let inside = entries(of: folder + "/" + named) { kind($0) && FilePaths.isRegularFile($0) }
        return inside.sorted().prefix(limit).map { prefix + named + "/" + $0 }
    }

    /// Names in `folder` (not hidden) whose full path passes `test`, sorted.
    private static func entries(of folder: String, where test: (String) -> Bool) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { !$0.hasPrefix(".") && test(folder + "/" + $0) }.sorted()
    }
}
