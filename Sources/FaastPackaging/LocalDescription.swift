import FaastCore
import FaastRuntimes
import Foundation

/// The module's functions as faast's own trampoline describes them on this machine: the AWS deploy asks for
/// it while the function is created, so that the first call need not wait for Lambda to describe the module
/// (a cold start of its own); Lambda's description follows and replaces it.
public enum LocalDescription {
    /// Runs the trampoline as a local worker (requests on fd 3, answers on fd 4) with one describe request,
    /// `modulePath` (installed dependencies) on the module path and `environment` added to this process's
    /// (with `FAAST_PROVIDER` = `provider`). Nil when the module does not load here, describes no function, or
    /// takes longer than `timeout`: then only Lambda's description counts.
    public static func run(_ module: ModuleSpec, modulePath: String?, provider: String, environment: [String: String] = [:],
                           timeout: Double = 30) async -> [FunctionInfo]? {
        guard let interpreter = try? Interpreters.executable(for: module.runtime) else { return nil }
        let scratch = NSTemporaryDirectory() + "faast-describe-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let script = scratch + (module.runtime == .node ? "/trampoline.js" : "/trampoline.py")
        let request = scratch + "/request", answers = scratch + "/answers"
        do {
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            try (module.runtime == .node ? EmbeddedRuntimes.node : EmbeddedRuntimes.python).write(toFile: script, atomically: true, encoding: .utf8)
            try (WireProtocol.describeRequest(callId: "describe") + "\n").write(toFile: request, atomically: true, encoding: .utf8)
        } catch {
            return nil
        }
        var env = ModuleTrace.environment(module, modulePath: modulePath, provider: provider, extra: environment)
        env["FAAST_MODULE"] = module.path
        // The worker reads its requests until the end of fd 3, then exits.
        let folder = (module.path as NSString).deletingLastPathComponent
        guard let result = try? await Subprocess.run("/bin/sh", ["-c", #"exec "$0" "$1" 3<"$2" 4>"$3""#, interpreter, script, request, answers],
                                                     directory: folder, environment: env, timeout: timeout),
              result.status == 0, !result.timedOut,
              let text = try? String(contentsOfFile: answers, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            guard let value = try? JSONParser.parse(String(line)), case .described(let functions, _)? = try? WireProtocol.decode(value)
            else { continue }
            return functions.isEmpty ? nil : functions
        }
        return nil
    }
}
