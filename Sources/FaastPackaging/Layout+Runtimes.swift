import FaastCore
import Foundation

extension Layout {
    /// node: traced files by their place in the project; packages whole; the `package.json` files that
    /// decide how node reads a `.js` file (`"type"`) from the module's folder up to the project root.
    mutating func addNode(_ trace: ModuleTrace) throws(FaastError) {
        let moduleReal = Paths.real(module.path)
        if !trace.esmTraced {
            notices.warn("this node cannot trace ES module imports (node ≥ 20.6 can); files that \(FilePaths.lastComponent(module.path)) imports with `import` need include=")
        }
        for file in trace.files where file != moduleReal && !isProvided(file) {
            if Paths.isInside(file, root) {
                add(Paths.relative(file, to: root), file: file)
            } else {
                noteOutside(file)
            }
        }
        for package in trace.packages where !isProvided(package.real) && !isProvided(package.logical) {
            let zipFolder: String
            if Paths.isInside(package.logical, root) {
                zipFolder = Paths.relative(package.logical, to: root)
            } else {
                // Found above the project (a parent folder's node_modules): from its first node_modules on,
                // at the package's root, where node looks up the tree from any file below it.
                let parts = package.logical.split(separator: "/", omittingEmptySubsequences: true)
                guard let first = parts.firstIndex(of: "node_modules") else { noteOutside(package.logical); continue }
                zipFolder = parts[first...].joined(separator: "/")
            }
            let files = try FolderWalker.files(in: package.real)
            try addFolder(package.real, at: zipFolder)
            checkNative(files, package: Self.packageName(package.real))
        }
        var dir = Paths.real((module.path as NSString).deletingLastPathComponent)
        while Paths.isInside(dir, root) {
            if FileManager.default.fileExists(atPath: dir + "/package.json") {
                add(Paths.join(Paths.relative(dir, to: root), "package.json"), file: dir + "/package.json")
            }
            if dir == root { break }
            dir = (dir as NSString).deletingLastPathComponent
        }
    }

    static func packageName(_ folder: String) -> String {
        if let data = FileManager.default.contents(atPath: folder + "/package.json"),
           let name = (try? JSONParser.parse(bytes: Array(data)))?["name"]?.stringValue {
            return name
        }
        return FilePaths.lastComponent(folder)
    }

    /// python: installed packages whole (their top-level folder or file), project files one by one, the
    /// standard library never.
    mutating func addPython(_ trace: ModuleTrace) throws(FaastError) {
        let sites = trace.sitePackages
        var tops: Set<String> = []
        for f in trace.pythonFiles where !isProvided(f.file) {
            if sites.contains(where: { Paths.isInside(f.root, $0) }) {
                guard tops.insert(f.top).inserted else { continue }
                let name = FilePaths.lastComponent(f.top)
                if FilePaths.isDirectory(f.top) {
                    let files = try FolderWalker.files(in: f.top)
                    try addFolder(f.top, at: Paths.relative(f.top, to: f.root))
                    checkNative(files, package: name)
                } else {
                    add(Paths.relative(f.top, to: f.root), file: f.top)
                    checkNative([f.top], package: (name as NSString).deletingPathExtension.split(separator: ".").first.map(String.init) ?? name)
                }
            } else if trace.stdlib.contains(where: { Paths.isInside(f.file, $0) }) {
                continue
            } else if Paths.isInside(f.file, root), Paths.isInside(f.file, f.root) {
                add(Paths.relative(f.file, to: f.root), file: f.file)
                checkNative([f.file], package: f.module)
            } else {
                noteOutside(f.file)
            }
        }
    }
}
