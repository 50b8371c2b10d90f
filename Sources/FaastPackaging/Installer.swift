import FaastCore
import Foundation

/// Where an install's packages will run.
public enum InstallTarget: Sendable, Hashable {
    /// Lambda (`python3.12` / `nodejs20.x`, Amazon Linux 2023, glibc 2.34) on this architecture.
    case lambda(Architecture)
    /// The local interpreter, for the local provider (and for tracing a module before packaging it).
    case local

    /// What an install's name depends on.
    func key(runtime: Runtime) throws(FaastError) -> String {
        switch self {
        case .lambda(let arch): return "lambda:\(Installer.lambdaRuntime(runtime)):\(arch.rawValue)"
        case .local: return "local:" + (try Interpreters.executable(for: runtime))
        }
    }

    var description: String {
        switch self {
        case .lambda(let arch): return "Lambda (\(arch.rawValue))"
        case .local: return "this machine"
        }
    }
}

/// Runs pip or npm to install a dependency file into a folder, with progress on a terminal and, when it
/// fails, the installer's own message naming the package.
public enum Installer {
    public static func lambdaRuntime(_ runtime: Runtime) -> String { runtime == .node ? "nodejs20.x" : "python3.12" }

    /// glibc versions Lambda's Amazon Linux 2023 satisfies, for pip's `--platform` (pip expands only the
    /// legacy `manylinux2014` alias to older tags, so each `manylinux_2_N` is named).
    static func pipPlatforms(_ arch: Architecture) -> [String] {
        let machine = arch == .arm64 ? "aarch64" : "x86_64"
        return ["manylinux2014_\(machine)"] + (17...34).map { "manylinux_2_\($0)_\(machine)" }
    }

    /// Installs `file` into `folder` (python: importable from `folder`; node: `folder/node_modules`).
    public static func install(_ file: DependencyFile, into folder: String, target: InstallTarget,
                               notices: Notices) async throws(FaastError) {
        let interpreter = try Interpreters.executable(for: file.runtime)
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw FaastError(.deployFailed, "cannot create \(folder): \(error.localizedDescription)")
        }
        let executable: String
        var arguments: [String]
        var directory = file.folder
        switch file.runtime {
        case .python:
            executable = interpreter
            arguments = ["-m", "pip", "install", "-r", file.path, "--target", folder, "--no-input",
                         "--disable-pip-version-check", "--progress-bar", "off"]
            if case .lambda(let arch) = target {
                arguments += pipPlatforms(arch).flatMap { ["--platform", $0] }
                arguments += ["--python-version", "3.12", "--implementation", "cp", "--only-binary=:all:"]
            }
        case .node:
            executable = npm(nextTo: interpreter)
            if let (name, problem) = unusableLocalPackage(file), problem.hasSuffix("does not exist") {
                // npm links a missing folder and reports success: the package would be missing at run time.
                throw FaastError(.deployFailed, "installing \(file.name) for \(target.description): \(name) failed to install: "
                    + "\(problem); nothing was deployed.")
            }
            try writeNodeManifest(file, into: folder)
            directory = folder
            arguments = ["install", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error"]
            if case .lambda(let arch) = target {
                arguments += ["--os", "linux", "--cpu", arch == .arm64 ? "arm64" : "x64"]
            }
        }
        let label = "installing \(file.name) for \(target.description)"
        notices.progress(label + "…")
        var env = ProcessInfo.processInfo.environment
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        env["npm_config_update_notifier"] = "false"
        let result = try await Subprocess.run(executable, arguments, directory: directory, environment: env, timeout: 900,
                                              label: label) { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty { notices.progress("\(label): \(trimmed)") }
        }
        notices.clearProgress()
        guard result.status == 0, !result.timedOut else {
            throw FaastError(.deployFailed, failureMessage(file, target: target, result: result))
        }
    }

    /// The installer's own error, with the package it names first.
    static func failureMessage(_ file: DependencyFile, target: InstallTarget, result: Subprocess.Result) -> String {
        if result.timedOut { return "installing \(file.name) for \(target.description) did not finish within 15 minutes" }
        let lines = result.output.split(whereSeparator: \.isNewline).map { String($0) }
        let errors = lines.filter { $0.hasPrefix("ERROR:") || $0.hasPrefix("npm ERR!") || $0.hasPrefix("npm error") }
        let shown = (errors.isEmpty ? Array(lines.suffix(8)) : Array(errors.prefix(8))).joined(separator: "\n  ")
        var package: String?
        for pattern in [#"requirement ([^\s(;]+)"#, #"distribution found for ([^\s(;]+)"#, #"'([^'\s]+@[^'\s]*)' is not in"#,
                        #"404 Not Found - GET \S+/([^/\s]+)"#, #"Failed to build ([^\s]+)"#, #"for package ([^\s:]+)"#] {
            if let range = result.output.range(of: pattern, options: .regularExpression) {
                let match = String(result.output[range])
                if let open = match.range(of: #"[\s'/]"#, options: [.regularExpression, .backwards]) {
                    package = String(match[open.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
                }
                break
            }
        }
        let tool = file.runtime == .python ? "pip" : "npm"
        var what = package.map { "\($0) failed to install" } ?? "\(tool) failed"
        if package == nil, let (name, problem) = unusableLocalPackage(file) {
            what = "\(name) failed to install (\(problem))"
        }
        return "installing \(file.name) for \(target.description): \(what); nothing was deployed. \(tool) says:\n  \(shown)"
    }

    /// A local (`file:`) dependency npm cannot use, with what is wrong: a path that does not exist, or a file
    /// that is neither gzip nor tar (npm's TAR_BAD_ARCHIVE names no package).
    static func unusableLocalPackage(_ file: DependencyFile) -> (name: String, problem: String)? {
        for (name, value) in file.fileDependencies() {
            let path = FilePaths.absolute(value, relativeTo: file.folder)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                return (name, "file:\(value) does not exist")
            }
            if !isDirectory.boolValue, !isTarball(path) { return (name, "file:\(value) is neither a gzip nor a tar archive") }
        }
        return nil
    }

    /// Whether `path` starts as a gzip stream or a POSIX tar archive ("ustar" at offset 257).
    static func isTarball(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 262)) ?? Data())
        return head.starts(with: [0x1f, 0x8b]) || (head.count == 262 && Array(head[257...]) == Array("ustar".utf8))
    }

    static func npm(nextTo node: String) -> String {
        let sibling = (node as NSString).deletingLastPathComponent + "/npm"
        if FileManager.default.isExecutableFile(atPath: sibling) { return sibling }
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return path.map { "\($0)/npm" }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "npm"
    }

    /// The package.json to install from, in the install folder, its `file:` paths made absolute (they are
    /// relative to the original's folder); the lock file too when nothing in it is a local path.
    static func writeNodeManifest(_ file: DependencyFile, into folder: String) throws(FaastError) {
        guard case .object(var top)? = try? JSONParser.parse(bytes: Array(file.content)) else {
            throw FaastError(.deployFailed, "\(file.path) is not a JSON object")
        }
        let local = file.fileDependencies()
        for i in top.indices where ["dependencies", "optionalDependencies"].contains(top[i].key) {
            guard case .object(var members) = top[i].value else { continue }
            for j in members.indices {
                if let v = members[j].value.stringValue, v.hasPrefix("file:") {
                    members[j].value = .string("file:" + FilePaths.absolute(String(v.dropFirst(5)), relativeTo: file.folder))
                }
            }
            top[i].value = .object(members)
        }
        top.removeAll { $0.key == "devDependencies" }
        let json = JSONValue.object(top)
        do {
            try Data(json.jsonText.utf8).write(to: URL(fileURLWithPath: folder + "/package.json"))
            let lock = file.folder + "/package-lock.json"
            if local.isEmpty, FileManager.default.fileExists(atPath: lock) {
                try FileManager.default.copyItem(atPath: lock, toPath: folder + "/package-lock.json")
            }
        } catch {
            throw FaastError(.deployFailed, "cannot write the package.json to install: \(error.localizedDescription)")
        }
    }
}
