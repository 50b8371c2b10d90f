import FaastCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A local session's folder: the trampoline, `session.json` (owner pid, times, retention) and `logs/`.
/// Cleanup removes all but the logs; garbage collection removes what is past retention or was left
/// by a session whose process is gone.
public struct SessionDirectory: Sendable {
    public let id: String
    public let path: String
    public var logDirectory: String { path + "/logs" }

    /// Creates a new session folder (mode 0700) with its `logs/` and `session.json` (0600) under `parent`, which
    /// is created if missing. On failure nothing is left behind, and the message says what the system said.
    static func create(in parent: String, retentionDays: Double) throws(FaastError) -> SessionDirectory {
        let id = UUID().uuidString.lowercased()
        let dir = SessionDirectory(id: id, path: "\(parent)/faast-\(id)")
        if let reason = makeDirectories(parent) {
            throw FaastError(.deployFailed, "cannot create the state folder \(parent): \(reason)")
        }
        do throws(FaastError) {
            guard mkdir(dir.path, 0o700) == 0, mkdir(dir.logDirectory, 0o700) == 0 else {
                throw FaastError(.deployFailed, systemReason())
            }
            let meta: JSONValue = [
                "sessionId": .string(id), "pid": .int(getpid()), "createdAt": .double(Date().timeIntervalSince1970),
                "retentionDays": .double(retentionDays),
            ]
            try dir.write(meta.prettyText, to: dir.metadataPath)
        } catch {
            dir.remove()
            throw FaastError(.deployFailed, "cannot create the session folder \(dir.path): \(error.message)")
        }
        return dir
    }

    var metadataPath: String { path + "/session.json" }

    /// Writes `text` to `file`, mode 0600 from the first byte: into a temporary file beside it that is renamed
    /// into place, so that a failed write leaves neither an empty or partial file nor one others can read.
    func write(_ text: String, to file: String) throws(FaastError) {
        let temporary = "\(file).\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FaastError(.deployFailed, "cannot write \(file): \(systemReason())") }
        var text = text
        let failure = text.withUTF8 { buffer -> String? in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return systemReason()
                }
                offset += n
            }
            return nil
        }
        close(fd)
        if let failure {
            unlink(temporary)
            throw FaastError(.deployFailed, "cannot write \(file): \(failure)")
        }
        guard rename(temporary, file) == 0 else {
            let reason = systemReason()
            unlink(temporary)
            throw FaastError(.deployFailed, "cannot write \(file): \(reason)")
        }
    }

    /// `mkdir -p` with mode 0700 for what it creates; nil, or the system's reason for failing.
    static func makeDirectories(_ path: String) -> String? {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o700) == 0 || errno == EEXIST && isFolder(current) { continue }
            return errno == EEXIST ? "\(current): \(String(cString: strerror(ENOTDIR)))" : systemReason()
        }
        return nil
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func markCleaned() {
        guard var meta = try? JSONParser.parse(bytes: Array((try? Data(contentsOf: URL(fileURLWithPath: metadataPath))) ?? Data())),
              case .object(var members) = meta else { return }
        members.removeAll { $0.key == "cleanedAt" }
        members.append(JSONMember("cleanedAt", .double(Date().timeIntervalSince1970)))
        meta = .object(members)
        try? write(meta.prettyText, to: metadataPath)
    }

    /// Removes everything but `logs/` and `session.json`; returns what went.
    func removeAllButLogs() -> [String] {
        let fm = FileManager.default
        var removed: [String] = []
        for name in (try? fm.contentsOfDirectory(atPath: path)) ?? [] where name != "logs" && name != "session.json" {
            if (try? fm.removeItem(atPath: "\(path)/\(name)")) != nil { removed.append("removed \(path)/\(name)") }
        }
        return removed
    }

    /// The last `last` log lines of the session, oldest first; only lines of `function`'s calls when named.
    func recentLogLines(function: String?, last: Int) -> [String] {
        let fm = FileManager.default
        var lines: [Substring] = []
        for name in ((try? fm.contentsOfDirectory(atPath: logDirectory)) ?? []).sorted() where name.hasSuffix(".log") {
            guard let data = fm.contents(atPath: "\(logDirectory)/\(name)") else { continue }
            let text = String(decoding: data, as: UTF8.self)
            lines += text.split(separator: "\n", omittingEmptySubsequences: true)
        }
        if let function {
            // "<time> <callId> START <name>" (or "ABORTED <name>: why") names the function of each call id.
            var ids = Set<Substring>()
            for line in lines {
                let parts = line.split(separator: " ", maxSplits: 4)
                guard parts.count >= 4 else { continue }
                if parts[2] == "START", parts[3] == function { ids.insert(parts[1]) }
                if parts[2] == "ABORTED", parts[3] == function + ":" { ids.insert(parts[1]) }
            }
            lines = lines.filter { line in
                let parts = line.split(separator: " ", maxSplits: 2)
                return parts.count >= 2 && ids.contains(parts[1])
            }
        }
        // Lines start with an ISO-8601 time, so text order is time order; unstamped lines keep their place.
        let stamped = lines.enumerated().sorted { a, b in
            let ka = a.element.prefix(24), kb = b.element.prefix(24)
            return ka == kb ? a.offset < b.offset : ka < kb
        }
        return stamped.suffix(last).map { String($0.element) }
    }

    /// Removes sessions under `parent` that no live process owns: entirely once past their retention,
    /// all but their logs before that. Returns what it removed.
    static func collectGarbage(in parent: String, excluding: String?) -> [String] {
        let fm = FileManager.default
        var report: [String] = []
        let now = Date().timeIntervalSince1970
        for name in (try? fm.contentsOfDirectory(atPath: parent)) ?? [] where name.hasPrefix("faast-") {
            let dir = SessionDirectory(id: String(name.dropFirst(6)), path: "\(parent)/\(name)")
            if dir.id == excluding { continue }
            let meta = (fm.contents(atPath: dir.metadataPath)).flatMap { try? JSONParser.parse(bytes: Array($0)) }
            let pid = meta?["pid"]?.intValue ?? 0
            let cleaned = meta?["cleanedAt"]?.doubleValue
            let created = meta?["createdAt"]?.doubleValue ?? 0
            let retention = (meta?["retentionDays"]?.doubleValue ?? 1) * 86_400
            let ownerAlive = pid > 0 && kill(pid_t(pid), 0) == 0 && cleaned == nil
            if ownerAlive { continue }
            if now - (cleaned ?? created) > retention {
                if (try? fm.removeItem(atPath: dir.path)) != nil { report.append("removed \(dir.path)") }
            } else {
                report += dir.removeAllButLogs()
                if cleaned == nil { dir.markCleaned() }
            }
        }
        return report
    }
}

/// The system's words for the last error (`errno`): "Permission denied".
private func systemReason() -> String { String(cString: strerror(errno)) }

/// Whether `path` is a folder (or a link to one).
private func isFolder(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
}
