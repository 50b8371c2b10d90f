import FaastCore
import Foundation

/// Installed dependencies on this machine, one folder per install (`$XDG_CACHE_HOME/faast/deps/<hash>`),
/// reused by every session with the same dependency file and interpreter.
public enum DependencyCache {
    public static var defaultRoot: String { FilePaths.xdg("XDG_CACHE_HOME", default: ".cache") + "/deps" }

    /// The folder to put on the workers' module path (PYTHONPATH, or NODE_PATH: its `node_modules`),
    /// installing `file` for the local interpreter the first time.
    public static func localModulePath(_ file: DependencyFile, notices: Notices, root: String = defaultRoot) async throws(FaastError) -> String {
        let folder = try await installed(file, target: .local, notices: notices, root: root)
        return file.runtime == .node ? folder + "/node_modules" : folder
    }

    /// The cached install of `file` for `target`, made now if absent. An install is written to a scratch
    /// folder and renamed into place whole, so a failed or concurrent install never leaves half a folder in
    /// the cache.
    static func installed(_ file: DependencyFile, target: InstallTarget, notices: Notices, root: String) async throws(FaastError) -> String {
        let hash = file.hash(target: try target.key(runtime: file.runtime))
        let folder = root + "/" + String(hash.prefix(32))
        if FilePaths.isDirectory(folder) { return folder }
        let scratch = root + "/.installing-\(hash.prefix(12))-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try await Installer.install(file, into: scratch, target: target, notices: notices)
        do {
            try FileManager.default.moveItem(atPath: scratch, toPath: folder)
        } catch {
            // Another session installed the same thing meanwhile: theirs is as good.
            if !FilePaths.isDirectory(folder) {
                throw FaastError(.deployFailed, "cannot move the install into \(folder): \(error.localizedDescription)")
            }
        }
        return folder
    }
}

extension DependencyCache {
    /// For the local provider: the installed `dependencies` of `module` to put on its workers' module path
    /// (nil without dependencies=), and the variable that takes it (NODE_PATH or PYTHONPATH).
    public static func modulePath(for module: ModuleSpec, dependencies: String?) async throws(FaastError) -> (variable: String, path: String)? {
        guard let dependencies else { return nil }
        let file = try DependencyFile.load(dependencies, for: module)
        let path = try await localModulePath(file, notices: Notices())
        return (module.runtime == .node ? "NODE_PATH" : "PYTHONPATH", path)
    }
}
