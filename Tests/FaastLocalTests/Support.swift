import FaastCore
import FaastLocal
import Foundation

/// Fixture paths and a deploy helper that keeps each test's sessions in a folder of its own.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/modules").path

    static func module(_ name: String) -> String { "\(root)/\(name)" }

    static func stateDirectory() -> String {
        let dir = NSTemporaryDirectory() + "faast-tests-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func deploy(_ name: String, configure: (inout DeploySettings) -> Void = { _ in }) async throws -> LocalProvider {
        var settings = DeploySettings()
        configure(&settings)
        let spec = try resolveModule(module(name))
        let provider = try await LocalProviderFactory(stateDirectory: stateDirectory()).deploy(spec, settings: settings)
        return provider as! LocalProvider
    }

    /// Writes a module into a fresh folder and returns its path.
    static func writeModule(_ name: String, _ source: String) -> String {
        let dir = NSTemporaryDirectory() + "faast-mod-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = "\(dir)/\(name)"
        try? source.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// Whether a process exists and is not a zombie.
func processIsRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    // The state letter follows the ")" that ends the command name.
    guard let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}
