import Foundation

/// Small path helpers shared by the providers and the shell.
public enum FilePaths {
    /// `path` made absolute against `directory` (default: the current directory), `~` expanded, normalized.
    public static func absolute(_ path: String, relativeTo directory: String? = nil) -> String {
        var p = path
        if p == "~" || p.hasPrefix("~/") { p = home + p.dropFirst() }
        if !p.hasPrefix("/") {
            p = (directory ?? FileManager.default.currentDirectoryPath) + "/" + p
        }
        return URL(fileURLWithPath: p).standardizedFileURL.path
    }

    public static func isRegularFile(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && !isDir.boolValue
    }

    public static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// The XDG directory `variable` (e.g. `XDG_STATE_HOME`) or its default under the home directory, with `faast` appended.
    public static func xdg(_ variable: String, default fallback: String) -> String {
        let env = ProcessInfo.processInfo.environment
        if let v = env[variable], v.hasPrefix("/") { return v + "/faast" }
        return home + "/" + fallback + "/faast"
    }

    /// `$HOME`, as the shell that started faast sees it (else the account's home directory).
    public static var home: String {
        if let h = ProcessInfo.processInfo.environment["HOME"], h.hasPrefix("/") { return h }
        return NSHomeDirectory()
    }
}

extension FilePaths {
    /// The last path component (`functions.js`).
    public static func lastComponent(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
