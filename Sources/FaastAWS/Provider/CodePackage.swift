import FaastCore
import FaastRuntimes
import Foundation
import ZIPFoundation

#if canImport(Glibc)
import Glibc
#endif

/// The Lambda code package: the runtime's trampoline, the module as `faast_module.<ext>`, and the files
/// that `include` globs name (minus `exclude`), relative to the module's folder. Entries are sorted and
/// stamped with a fixed time, so the same input gives the same bytes (and the same CodeSha256).
public struct CodePackage: Sendable {
    public let zip: [UInt8]
    public let unzippedBytes: Int
    public let files: [String]

    /// Lambda's limits for a direct upload.
    public static let maxZippedBytes = 50 * 1024 * 1024
    public static let maxUnzippedBytes = 250 * 1024 * 1024
    static let fixedDate = Date(timeIntervalSince1970: 946_684_800)  // 2000-01-01

    public static func build(module: ModuleSpec, include: [String] = [], exclude: [String] = []) throws -> CodePackage {
        let folder = (module.path as NSString).deletingLastPathComponent
        let ext = (module.path as NSString).pathExtension
        var entries: [(name: String, data: Data)] = []
        let trampoline = module.runtime == .node ? ("trampoline.js", EmbeddedRuntimes.node) : ("trampoline.py", EmbeddedRuntimes.python)
        entries.append((trampoline.0, Data(trampoline.1.utf8)))
        guard let moduleData = FileManager.default.contents(atPath: module.path) else {
            throw FaastError(.deployFailed, "\(module.path): cannot read the module")
        }
        entries.append(("faast_module.\(ext)", moduleData))
        let extra = try matchingFiles(in: folder, include: include, exclude: exclude)
            .filter { $0 != FilePaths.lastComponent(module.path) }
        // Sizes first, so an oversized package fails before anything is read.
        let declared = extra.reduce(moduleData.count) { total, relative in
            let size = (try? FileManager.default.attributesOfItem(atPath: folder + "/" + relative)[.size] as? Int) ?? 0
            return total + size
        }
        if declared > maxUnzippedBytes {
            throw FaastError(.deployFailed, "the code package would be \(declared / 1_048_576) MB unzipped; Lambda allows 250 MB: narrow include= or add exclude=")
        }
        for relative in extra {
            guard let data = FileManager.default.contents(atPath: folder + "/" + relative) else { continue }
            entries.append((relative, data))
        }
        entries.sort { $0.name < $1.name }
        let unzipped = entries.reduce(0) { $0 + $1.data.count }
        if unzipped > maxUnzippedBytes {
            throw FaastError(.deployFailed, "the code package would be \(unzipped / 1_048_576) MB unzipped; Lambda allows 250 MB: narrow include= or add exclude=")
        }
        let archive: Archive
        do {
            archive = try Archive(accessMode: .create)
            for entry in entries {
                let data = entry.data
                try archive.addEntry(
                    with: entry.name, type: .file, uncompressedSize: Int64(data.count), modificationDate: fixedDate,
                    permissions: 0o644, compressionMethod: .deflate
                ) { position, size in
                    data.subdata(in: Data.Index(position)..<Data.Index(position) + size)
                }
            }
        } catch {
            throw FaastError(.deployFailed, "cannot build the code package: \(error)")
        }
        guard let bytes = archive.data else { throw FaastError(.deployFailed, "cannot build the code package") }
        if bytes.count > maxZippedBytes {
            throw FaastError(.deployFailed, "the code package is \(bytes.count / 1_048_576) MB zipped; a direct upload allows 50 MB: narrow include= or add exclude=")
        }
        return CodePackage(zip: Array(bytes), unzippedBytes: unzipped, files: entries.map(\.name))
    }

    /// Files under `folder` (relative paths) matching any `include` glob and no `exclude` glob.
    /// Globs are fnmatch patterns on the relative path (`*` also crosses `/`: `lib/*` is all of lib).
    static func matchingFiles(in folder: String, include: [String], exclude: [String]) throws -> [String] {
        guard !include.isEmpty else { return [] }
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var out: [String] = []
        var seen = 0
        while let relative = walker.nextObject() as? String {
            seen += 1
            if seen > 200_000 { throw FaastError(.deployFailed, "include= matched more than 200,000 files under \(folder)") }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder + "/" + relative, isDirectory: &isDir), !isDir.boolValue else { continue }
            if include.contains(where: { fnmatch($0, relative, 0) == 0 }), !exclude.contains(where: { fnmatch($0, relative, 0) == 0 }) {
                out.append(relative)
            }
        }
        return out.sorted()
    }
}
