import CFaastSys
import FaastCore
import FaastRuntimes
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How a session's workers are started: the interpreter command line, its environment and folder.
struct WorkerLaunch: Sendable {
    var executable: String
    var arguments: [String]
    var environment: [String: String]
    var directory: String
    var logDirectory: String
    /// The memory a worker and what it started may use (`MemoryWatch`).
    var memoryLimitMb: Int

    /// The module's file name, for messages ("functions.py").
    var moduleName: String { FilePaths.lastComponent(environment["FAAST_MODULE"] ?? "the module") }

    /// The launch for `module`'s workers: writes the trampoline into the session folder.
    static func plan(_ module: ModuleSpec, settings: DeploySettings, session: SessionDirectory,
                     modulePath: (variable: String, path: String)? = nil) throws -> WorkerLaunch {
        let executable = try Interpreters.executable(for: module.runtime)
        let source = module.runtime == .node ? EmbeddedRuntimes.node : EmbeddedRuntimes.python
        let trampoline = session.path + (module.runtime == .node ? "/trampoline.js" : "/trampoline.py")
        try session.write(source, to: trampoline)
        var env = WorkerEnvironment.inherited(from: ProcessInfo.processInfo.environment,
                                              patterns: settings.inheritEnvironment)
        env["FAAST_PROVIDER"] = "local"
        env["FAAST_SESSION_ID"] = session.id
        env["FAAST_MODULE"] = module.path
        env["AWS_LAMBDA_FUNCTION_NAME"] = "faast-\(session.id)"
        env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = String(settings.memoryMb)
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["FAAST_MEMORY_MB"] = String(settings.memoryMb)
        var arguments: [String]
        switch module.runtime {
        case .node:
            // The heap limit fails a runaway heap with V8's own verdict; the memory watch covers the rest (Buffers).
            arguments = ["--max-old-space-size=\(settings.memoryMb)", trampoline]
        case .python:
            arguments = ["-u", "-c", Self.pythonStub(folder: session.path)]
        }
        for (k, v) in settings.env { env[k] = v }
        // dependencies= installed in the cache, searched before what the environment names.
        if let modulePath { env[modulePath.variable] = ([modulePath.path] + [env[modulePath.variable] ?? ""].filter { !$0.isEmpty }).joined(separator: ":") }
        let directory = (module.path as NSString).deletingLastPathComponent
        return WorkerLaunch(executable: executable, arguments: arguments, environment: env, directory: directory,
                            logDirectory: session.logDirectory, memoryLimitMb: settings.memoryMb)
    }

    /// Python compiles a script it runs as `__main__` on every start and never caches it: the trampoline is
    /// imported instead, from the session folder, so that the first worker writes its bytecode there
    /// (`__pycache__`, removed at cleanup) and every later worker loads it. Only the trampoline's: user modules
    /// still leave no `__pycache__` behind (PYTHONDONTWRITEBYTECODE). sys.path[0] is the session folder, as
    /// it was for the script.
    static func pythonStub(folder: String) -> String {
        var quoted = ""
        JSONValue.writeString(folder, to: &quoted)
        return "import sys; sys.path[0] = \(quoted); sys.dont_write_bytecode = False; import trampoline; "
            + "sys.dont_write_bytecode = True; trampoline.main()"
    }

    /// Starts worker `id` (without waiting for it to be ready): its pipes, its log file, and the process,
    /// forked on the spawner thread (see `Spawner`).
    func spawn(id: Int, deadlines: DeadlineWatch) throws(FaastError) -> Worker {
        var request: [Int32] = [0, 0]
        var response: [Int32] = [0, 0]
        guard faast_pipe(&request) == 0 else { throw FaastError(.deployFailed, "cannot create a pipe: \(String(cString: strerror(errno)))") }
        guard faast_pipe(&response) == 0 else {
            close(request[0]); close(request[1])
            throw FaastError(.deployFailed, "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        let logPath = "\(logDirectory)/worker-\(id).log"
        let logFd = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard logFd >= 0 else {
            [request[0], request[1], response[0], response[1]].forEach { close($0) }
            throw FaastError(.deployFailed, "cannot open the worker log \(logPath): \(String(cString: strerror(errno)))")
        }
        let argv = [executable] + arguments
        // Its descendants inherit its marks, by which faast finds those that leave its process group.
        let marks = ProcessJanitor.Marks(sessionId: environment["FAAST_SESSION_ID"] ?? "", workerId: id)
        var environment = environment
        environment["FAAST_WORKER_ID"] = String(id)
        let envp = environment.map { "\($0.key)=\($0.value)" }
        let (executable, directory, requestRead, responseWrite) = (executable, directory, request[0], response[1])
        let pid = ProcessJanitor.startWorker(marks) { Spawner.shared.run {
            withCStrings(argv) { cArgv in
                withCStrings(envp) { cEnvp in
                    faast_spawn_worker(executable, cArgv, cEnvp, directory, requestRead, responseWrite, logFd)
                }
            }
        } }
        close(request[0])
        close(response[1])
        close(logFd)
        guard pid > 0 else {
            close(request[1]); close(response[0])
            throw FaastError(.deployFailed, "cannot start \(executable): \(String(cString: strerror(-pid)))")
        }
        return Worker(id: id, pid: pid, logPath: logPath, requestFd: request[1], responseFd: response[0], deadlines: deadlines)
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers = strings.map { strdup($0) }
    pointers.append(nil)
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
