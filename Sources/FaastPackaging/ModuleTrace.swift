import FaastCore
import Foundation

/// What a module loaded when a local interpreter imported it, as the tracer reported it.
struct ModuleTrace {
    /// node: a package folder as found under `node_modules` (`logical`) and where its files really are.
    struct NodePackage {
        var real: String
        var logical: String
    }

    /// python: a loaded module's file, the `sys.path` entry its top-level package came from, and that
    /// top-level package's folder (or file).
    struct PythonFile {
        var module: String
        var file: String
        var root: String
        var top: String
    }

    var files: [String] = []
    var packages: [NodePackage] = []
    var pythonFiles: [PythonFile] = []
    var stdlib: [String] = []
    var sitePackages: [String] = []
    /// The module's own error when it failed to load (then the trace holds what loaded before it).
    var error: String?
    /// The module failed to load because its own source does not parse: it cannot work on Lambda either.
    var syntaxError = false
    /// node: whether ES module imports were traced (node ≥ 18.19 / 20.6).
    var esmTraced = true

    /// Imports `module` with the local interpreter, its folder as working directory and `modulePath` (installed
    /// dependencies) on NODE_PATH / PYTHONPATH, and reads what it loaded.
    static func run(_ module: ModuleSpec, modulePath: String?, timeout: Double = 60) async throws(FaastError) -> ModuleTrace {
        let interpreter = try Interpreters.executable(for: module.runtime)
        let scratch = NSTemporaryDirectory() + "faast-trace-\(UUID().uuidString.prefix(8))"
        do {
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        } catch {
            throw FaastError(.deployFailed, "cannot create \(scratch): \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let script = scratch + (module.runtime == .node ? "/tracer.cjs" : "/tracer.py")
        let out = scratch + "/trace.json"
        do {
            try (module.runtime == .node ? TracerScripts.node : TracerScripts.python).write(toFile: script, atomically: true, encoding: .utf8)
        } catch {
            throw FaastError(.deployFailed, "cannot write \(script): \(error.localizedDescription)")
        }
        let env = environment(module, modulePath: modulePath, provider: "local")
        let folder = (module.path as NSString).deletingLastPathComponent
        let result = try await Subprocess.run(interpreter, [script, module.path, out], directory: folder, environment: env,
                                              timeout: timeout, label: "tracing \(FilePaths.lastComponent(module.path))")
        guard let data = FileManager.default.contents(atPath: out), let json = try? JSONParser.parse(bytes: Array(data)) else {
            let why = result.timedOut ? "it did not finish loading within \(Int(timeout)) s"
                : "the tracer exited with status \(result.status): " + result.output.suffix(600)
            throw FaastError(.deployFailed, "cannot trace what \(FilePaths.lastComponent(module.path)) loads: \(why)")
        }
        return decode(json)
    }

    /// The environment a local import of `module` runs in: this process's, `FAAST_PROVIDER`, no bytecode files
    /// written next to the user's code, and `modulePath` (installed dependencies) on NODE_PATH / PYTHONPATH.
    static func environment(_ module: ModuleSpec, modulePath: String?, provider: String,
                            extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        env["FAAST_PROVIDER"] = provider
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        if let modulePath {
            let key = module.runtime == .node ? "NODE_PATH" : "PYTHONPATH"
            env[key] = [modulePath, env[key]].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ":")
        }
        return env
    }

    static func decode(_ json: JSONValue) -> ModuleTrace {
        var trace = ModuleTrace()
        let strings = { (v: JSONValue?) in (v?.arrayValue ?? []).compactMap(\.stringValue) }
        trace.files = strings(json["files"])
        trace.packages = (json["packages"]?.arrayValue ?? []).compactMap { p in
            guard let real = p["real"]?.stringValue, let logical = p["logical"]?.stringValue else { return nil }
            return NodePackage(real: real, logical: logical)
        }
        trace.pythonFiles = (json["files"]?.arrayValue ?? []).compactMap { f in
            guard let file = f["file"]?.stringValue, let root = f["root"]?.stringValue, let top = f["top"]?.stringValue else { return nil }
            return PythonFile(module: f["module"]?.stringValue ?? "", file: file, root: root, top: top)
        }
        trace.stdlib = strings(json["stdlib"])
        trace.sitePackages = strings(json["site"])
        trace.error = json["error"]?.stringValue
        trace.syntaxError = json["syntaxError"]?.boolValue ?? false
        trace.esmTraced = json["esmTraced"]?.boolValue ?? true
        return trace
    }
}
