import Foundation
import Synchronization

/// Finds the node and python interpreters once per process, as real executables rather than wrapper
/// scripts (a pyenv shim costs ~100 ms per start). `FAAST_NODE` and `FAAST_PYTHON` override the search.
public enum Interpreters {
    private static let cache = Mutex<[Runtime: String]>([:])

    /// The interpreter for `runtime`: `FAAST_NODE`/`FAAST_PYTHON`, else the first on PATH, symlinks resolved.
    public static func executable(for runtime: Runtime) throws(FaastError) -> String {
        if let known = cache.withLock({ $0[runtime] }) { return known }
        let env = ProcessInfo.processInfo.environment
        let (override, names, minimum) = runtime == .node
            ? (env["FAAST_NODE"], ["node", "nodejs"], "node 18 or newer")
            : (env["FAAST_PYTHON"], ["python3", "python"], "python 3.9 or newer")
        var found = override
        if found == nil {
            let path = (env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
            outer: for name in names {
                for dir in path where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                    found = "\(dir)/\(name)"
                    break outer
                }
            }
        }
        guard var exe = found else {
            throw FaastError(.deployFailed, "\(runtime.rawValue) modules need \(minimum), and none was found on PATH")
        }
        exe = URL(fileURLWithPath: exe).resolvingSymlinksInPath().path
        if isScript(exe), runtime == .python, let real = askPythonForItself(exe) { exe = real }
        cache.withLock { $0[runtime] = exe }
        return exe
    }

    private static func isScript(_ path: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        return (try? h.read(upToCount: 2)) == Data("#!".utf8)
    }

    private static func askPythonForItself(_ exe: String) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["-c", "import sys; print(sys.executable)"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return p.terminationStatus == 0 && path.hasPrefix("/") ? path : nil
    }
}
