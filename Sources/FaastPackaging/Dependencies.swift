internal import Crypto
import FaastCore
import Foundation

/// A module's declared dependencies (`dependencies=FILE`): a `requirements.txt` for python, a `package.json`
/// for node, installed for Lambda into a layer and for the local interpreter into a cache.
public struct DependencyFile: Sendable, Hashable {
    public let path: String
    public let runtime: Runtime
    public let content: Data

    /// Reads `path` (relative to the module's folder), checking it suits the module's runtime.
    public static func load(_ path: String, for module: ModuleSpec) throws(FaastError) -> DependencyFile {
        let folder = (module.path as NSString).deletingLastPathComponent
        let absolute = FilePaths.absolute(path, relativeTo: folder)
        guard let content = FileManager.default.contents(atPath: absolute), FilePaths.isRegularFile(absolute) else {
            throw FaastError(.deployFailed, "dependencies=\(path): no such file (looked for \(absolute))")
        }
        let name = FilePaths.lastComponent(absolute)
        switch module.runtime {
        case .node where name != "package.json":
            throw FaastError(.deployFailed, "dependencies=\(path): a node module's dependencies are a package.json")
        case .python where name.hasSuffix(".json") || name == "pyproject.toml":
            throw FaastError(.deployFailed, "dependencies=\(path): a python module's dependencies are a requirements file (requirements.txt)")
        default: break
        }
        return DependencyFile(path: absolute, runtime: module.runtime, content: content)
    }

    public var name: String { FilePaths.lastComponent(path) }
    var folder: String { (path as NSString).deletingLastPathComponent }

    /// The hex SHA-256 naming an install: what was asked for (this file, the `file:` packages it names, a
    /// lock file next to it) and where it runs (`target`: Lambda's runtime and architecture, or a local
    /// interpreter). Same dependencies, same name: that is how a later session finds the layer or cache.
    public func hash(target: String) -> String {
        var h = SHA256()
        h.update(data: Data("faast-dependencies-v1\0\(runtime.rawValue)\0\(target)\0".utf8))
        h.update(data: content)
        for extra in localInputs() {
            h.update(data: Data("\0\(extra)\0".utf8))
            for (relative, data) in Self.contents(of: FilePaths.absolute(extra, relativeTo: folder)) {
                h.update(data: Data("\(relative)\0\(data.count)\0".utf8))
                h.update(data: data)
            }
        }
        return h.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Files besides this one that decide what gets installed: `package-lock.json`, and `file:` dependencies.
    func localInputs() -> [String] {
        guard runtime == .node else { return [] }
        var out: [String] = []
        if FileManager.default.fileExists(atPath: folder + "/package-lock.json") { out.append("package-lock.json") }
        out += fileDependencies().map(\.value)
        return out
    }

    /// node: `"name": "file:path"` dependencies (paths as written).
    func fileDependencies() -> [(name: String, value: String)] {
        guard runtime == .node, let json = try? JSONParser.parse(bytes: Array(content)) else { return [] }
        var out: [(String, String)] = []
        for key in ["dependencies", "optionalDependencies"] {
            guard case .object(let members)? = json[key] else { continue }
            for m in members {
                if let v = m.value.stringValue, v.hasPrefix("file:") { out.append((m.key, String(v.dropFirst(5)))) }
            }
        }
        return out
    }

    /// A file's bytes, or a folder's files (sorted, node_modules and caches left out).
    static func contents(of path: String) -> [(String, Data)] {
        if !FilePaths.isDirectory(path) { return [("", FileManager.default.contents(atPath: path) ?? Data())] }
        let files = (try? FolderWalker.files(in: path)) ?? []
        return files.filter { !$0.hasPrefix("node_modules/") }.map { ($0, FileManager.default.contents(atPath: path + "/" + $0) ?? Data()) }
    }
}
