import FaastCore
import Foundation

/// Paths as packaging compares them: real (symlinks resolved), and relative to a folder.
enum Paths {
    static func real(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    /// Whether `path` is `folder` or inside it.
    static func isInside(_ path: String, _ folder: String) -> Bool {
        path == folder || path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/")
    }

    /// `path` relative to `folder` (which contains it).
    static func relative(_ path: String, to folder: String) -> String {
        if path == folder { return "" }
        return String(path.dropFirst(folder.hasSuffix("/") ? folder.count : folder.count + 1))
    }

    static func join(_ a: String, _ b: String) -> String {
        a.isEmpty ? b : b.isEmpty ? a : a + "/" + b
    }
}

/// The module's project: the nearest folder, from the module's up, holding `package.json`, `pyproject.toml`,
/// `requirements.txt` or `.git`, but never the user's home or above it; else the module's own folder.
/// Nothing outside it goes into a code package except installed packages.
public enum ProjectRoot {
    static let markers = ["package.json", "pyproject.toml", "requirements.txt", ".git"]

    public static func find(forModule modulePath: String, home: String = NSHomeDirectory()) -> String {
        let folder = Paths.real((modulePath as NSString).deletingLastPathComponent)
        let realHome = Paths.real(home)
        var dir = folder
        while true {
            // The home folder, or a folder above it, is nobody's project.
            if dir == "/" || Paths.isInside(realHome, dir) { break }
            if markers.contains(where: { FileManager.default.fileExists(atPath: dir + "/" + $0) }) { return dir }
            let up = (dir as NSString).deletingLastPathComponent
            if up == dir { break }
            dir = up
        }
        return folder
    }
}

/// The files under a folder, for packing a whole package: sorted relative paths, symlinks followed (with a
/// guard against cycles), caches and version control left out.
enum FolderWalker {
    static let skipped: Set<String> = ["__pycache__", ".git", ".DS_Store", ".hg", ".svn"]

    static func files(in folder: String, limit: Int = 200_000) throws(FaastError) -> [String] {
        var out: [String] = []
        var visited: Set<String> = [Paths.real(folder)]
        try walk(folder, prefix: "", into: &out, visited: &visited, limit: limit)
        return out.sorted()
    }

    private static func walk(_ dir: String, prefix: String, into out: inout [String], visited: inout Set<String>,
                             limit: Int) throws(FaastError) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for name in names.sorted() where !skipped.contains(name) && !name.hasSuffix(".pyc") {
            let path = dir + "/" + name
            let relative = Paths.join(prefix, name)
            if FilePaths.isDirectory(path) {
                let real = Paths.real(path)
                guard visited.insert(real).inserted else { continue }
                try walk(path, prefix: relative, into: &out, visited: &visited, limit: limit)
            } else if FileManager.default.isReadableFile(atPath: path) {
                out.append(relative)
                if out.count > limit { throw FaastError(.deployFailed, "\(dir) holds more than \(limit) files") }
            }
        }
    }

    /// Files under `folder` (relative paths) matching any `include` glob and no `exclude` glob.
    /// Globs are fnmatch patterns on the relative path (`*` also crosses `/`: `lib/*` is all of lib).
    static func matching(in folder: String, include: [String], exclude: [String]) throws(FaastError) -> [String] {
        guard !include.isEmpty else { return [] }
        return try files(in: folder).filter { relative in
            include.contains { fnmatch($0, relative, 0) == 0 } && !exclude.contains { fnmatch($0, relative, 0) == 0 }
        }
    }
}

/// A folder's files as package entries (sorted, modes kept), for a layer or a whole installed package.
public enum PackageFolder {
    public static func entries(in folder: String, at zipFolder: String = "") throws(FaastError) -> [PackageEntry] {
        try FolderWalker.files(in: folder).map { relative in
            let path = folder + "/" + relative
            return PackageEntry(path: Paths.join(zipFolder, relative), source: .file(path), mode: PackageEntry.mode(of: path))
        }
    }
}
