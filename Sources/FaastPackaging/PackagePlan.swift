import FaastCore
import FaastRuntimes
import Foundation

/// One file of a code package: where it goes in the zip, where its bytes come from, its permission bits.
public struct PackageEntry: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
        case file(String)
        case bytes(Data)
    }

    public var path: String
    public var source: Source
    public var mode: UInt16

    public init(path: String, source: Source, mode: UInt16 = 0o644) {
        self.path = path
        self.source = source
        self.mode = mode
    }

    /// A file's permission bits (0644 when they cannot be read).
    static func mode(of file: String) -> UInt16 {
        ((try? FileManager.default.attributesOfItem(atPath: file)[.posixPermissions]) as? Int).map { UInt16($0 & 0o777) } ?? 0o644
    }

    /// Its size: the file's on disk (before anything is read), or the bytes'.
    public var size: Int {
        switch source {
        case .bytes(let d): return d.count
        case .file(let p): return ((try? FileManager.default.attributesOfItem(atPath: p)[.size]) as? Int) ?? 0
        }
    }
}

/// What a code package holds and how Lambda enters it, before anything is zipped.
public struct PackagePlan: Sendable {
    /// Sorted by path, each path once.
    public var entries: [PackageEntry]
    /// Lambda's handler: `trampoline.handler`, or `sub/trampoline.handler` for a node module below its project root.
    public var handler: String
    /// The module's file name in the package, next to the trampoline: its own name (so stacks and python's
    /// `__name__` read as locally), or `faast_module.<ext>` when that name is the trampoline's.
    public var moduleFile: String
    public var projectRoot: String
    /// What packaging found worth saying (native code, files outside the project, a module that failed to trace).
    public var warnings: [String]
}

/// Finds what a module loads (by tracing a local import) and lays it out as Lambda will see it.
///
/// - node: files at their paths relative to the project root, the module under its own name in its own
///   folder with the trampoline next to it (so relative requires resolve as they do locally); `node_modules`
///   packages whole, at their place under the project root or, when found above it, in `node_modules/`.
/// - python: every file at its path relative to the `sys.path` entry it was imported from, at the package's
///   root (which Lambda puts first on `sys.path`): sibling modules and packages, and installed packages whole.
public enum PackagePlanner {
    public static func plan(module: ModuleSpec, include: [String] = [], exclude: [String] = [],
                            provided: String? = nil, notices: Notices) async throws(FaastError) -> PackagePlan {
        let root = ProjectRoot.find(forModule: module.path)
        var trace: ModuleTrace
        do {
            trace = try await ModuleTrace.run(module, modulePath: provided)
        } catch where error.kind == .cancelled {
            throw error  // stopped (the deploy failed elsewhere, or Ctrl-C): no package is wanted
        } catch {
            notices.warn("\(error.message); the code package holds only the module and include= files")
            trace = ModuleTrace()
        }
        if let error = trace.error, trace.syntaxError {
            // Deploying would only fail on Lambda, later and under faast's own file name: say it here, as locally.
            throw FaastError(.deployFailed, "\(FilePaths.lastComponent(module.path)) does not parse, nothing was deployed:\n\(error)")
        }
        if let error = trace.error {
            notices.warn("\(FilePaths.lastComponent(module.path)) failed to load locally while faast traced its imports "
                + "(\(error)); only what loaded before that is packaged")
        }
        var layout = Layout(module: module, root: root, provided: provided.map(Paths.real), notices: notices)
        switch module.runtime {
        case .node: try layout.addNode(trace)
        case .python: try layout.addPython(trace)
        }
        let folder = (module.path as NSString).deletingLastPathComponent
        for relative in try FolderWalker.matching(in: folder, include: include, exclude: exclude) {
            layout.add(Paths.join(layout.moduleFolderInZip, relative), file: folder + "/" + relative)
        }
        layout.finishWarnings()
        return PackagePlan(entries: layout.sortedEntries(), handler: layout.handler, moduleFile: layout.moduleFile,
                           projectRoot: root, warnings: notices.warnings)
    }
}

/// The zip's layout as it is built up; the first entry for a path wins.
struct Layout {
    let module: ModuleSpec
    let root: String
    let provided: String?
    let notices: Notices
    let moduleFolder: String
    /// node: the module's folder relative to the project root; python: the zip's root.
    let moduleFolderInZip: String
    private var entries: [String: PackageEntry] = [:]
    private var outside: [String] = []
    private var nativeWarned: Set<String> = []

    init(module: ModuleSpec, root: String, provided: String?, notices: Notices) {
        self.module = module
        self.root = root
        self.provided = provided
        self.notices = notices
        moduleFolder = Paths.real((module.path as NSString).deletingLastPathComponent)
        moduleFolderInZip = module.runtime == .node && Paths.isInside(moduleFolder, root) ? Paths.relative(moduleFolder, to: root) : ""
        add(Paths.join(moduleFolderInZip, moduleFile), file: module.path)
        let trampoline = module.runtime == .node ? EmbeddedRuntimes.node : EmbeddedRuntimes.python
        add(Paths.join(moduleFolderInZip, trampolineName), bytes: Data(trampoline.utf8))
    }

    /// node: `trampoline.cjs` where a `package.json` with `"type": "module"` would make a `.js` file an ES module.
    var trampolineName: String {
        guard module.runtime == .node else { return "trampoline.py" }
        var dir = moduleFolder
        while Paths.isInside(dir, root) {
            if let data = FileManager.default.contents(atPath: dir + "/package.json") {
                return (try? JSONParser.parse(bytes: Array(data)))?["type"]?.stringValue == "module" ? "trampoline.cjs" : "trampoline.js"
            }
            if dir == root { break }
            dir = (dir as NSString).deletingLastPathComponent
        }
        return "trampoline.js"
    }

    var moduleFile: String {
        let name = FilePaths.lastComponent(module.path)
        let stem = (name as NSString).deletingPathExtension
        return stem == "trampoline" ? "faast_module." + (name as NSString).pathExtension : name
    }

    var handler: String { Paths.join(moduleFolderInZip, "trampoline.handler") }

    mutating func add(_ path: String, file: String) {
        guard entries[path] == nil else { return }
        entries[path] = PackageEntry(path: path, source: .file(file), mode: PackageEntry.mode(of: file))
    }

    mutating func add(_ path: String, bytes: Data) {
        guard entries[path] == nil else { return }
        entries[path] = PackageEntry(path: path, source: .bytes(bytes))
    }

    func sortedEntries() -> [PackageEntry] { entries.values.sorted { $0.path < $1.path } }

    func isProvided(_ path: String) -> Bool { provided.map { Paths.isInside(path, $0) } ?? false }

    mutating func addFolder(_ folder: String, at zipFolder: String) throws(FaastError) {
        for entry in try PackageFolder.entries(in: folder, at: zipFolder) where entries[entry.path] == nil {
            entries[entry.path] = entry
        }
    }

    mutating func noteOutside(_ file: String) { outside.append(file) }

    mutating func finishWarnings() {
        guard !outside.isEmpty else { return }
        let shown = outside.prefix(5).joined(separator: ", ") + (outside.count > 5 ? " and \(outside.count - 5) more" : "")
        notices.warn("not packaged: \(shown): loaded by \(FilePaths.lastComponent(module.path)) but outside its project "
            + "(\(root)); move it into the project, or install it as a package and pass dependencies=")
    }

    /// Compiled code built on this machine: name the package, point to dependencies=.
    mutating func checkNative(_ files: [String], package: String) {
        let exts = module.runtime == .node ? [".node"] : [".so", ".pyd"]
        guard let native = files.first(where: { f in exts.contains { f.hasSuffix($0) } }), nativeWarned.insert(package).inserted else { return }
        let file = module.runtime == .node ? "package.json" : "requirements.txt"
        let target = module.runtime == .node ? "nodejs20.x" : "python 3.12"
        notices.warn("\(package) has compiled code built for this machine (\(native)), which may not load on Lambda "
            + "(\(target), Linux): list \(package) in a \(file) and pass dependencies=\(file) to install it for Lambda")
    }
}
