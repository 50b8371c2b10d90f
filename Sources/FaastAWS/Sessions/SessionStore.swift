import FaastCore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What a kept session's record says: enough to attach without asking AWS what exists, and to decide
/// whether a new `open` can reuse it.
public struct KeptSession: Codable, Sendable, Hashable {
    public var id: String
    public var provider = "aws"
    public var region: String
    /// Absolute path of the module that was deployed.
    public var module: String
    /// Lambda's `CodeSha256` of the deployed package (base64 SHA-256 of the zip).
    public var codeHash: String
    /// What the function was created with: `attach` calls it with these.
    public var settings: StoredSettings
    /// The function-side settings (see `SessionStore.settingsKey`): reuse needs them equal.
    public var settingsKey: String
    public var functionArn: String
    public var role: String
    public var functions: [FunctionInfo]
    /// The layer of `dependencies=` the function runs with (its name carries the dependency files' hash).
    public var layerName: String?
    public var layerArn: String?
    /// Seconds since 1970.
    public var created: Double
    public var lastUsed: Double
    public var retentionDays: Double
    /// The queue mode's resources, when the session made them.
    public var topicArn: String?
    public var queueUrl: String?
    public var queueArn: String?
    public var subscriptionArn: String?

    /// When `gc` may remove the session (its resources are tagged with the same retention).
    public var expires: Date { Date(timeIntervalSince1970: created + retentionDays * 86_400) }
}

/// Records of kept sessions, one `ID.json` per session under `$XDG_STATE_HOME/faast/sessions/` (files 0600, folder
/// 0700). A shell that attaches a session holds an exclusive `flock` on its record until it exits or keeps it
/// again, so two shells never drive the same session; the lock dies with the process.
public struct SessionStore: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// The store for an environment: `$XDG_STATE_HOME/faast/sessions`, else `$HOME/.local/state/faast/sessions`.
    public init(environment: [String: String]) {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            directory = state + "/faast/sessions"
        } else {
            let home = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? FilePaths.home
            directory = home + "/.local/state/faast/sessions"
        }
    }

    func path(_ id: String) -> String { directory + "/" + id + ".json" }

    /// Every readable record, newest use first. A record that cannot be read is skipped (and named by `unreadable`).
    public func list() -> [KeptSession] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".json") }
            .compactMap { read(String($0.dropLast(5))) }
            .sorted { $0.lastUsed > $1.lastUsed }
    }

    public func read(_ id: String) -> KeptSession? {
        guard Self.isValidId(id), let data = FileManager.default.contents(atPath: path(id)) else { return nil }
        return try? JSONDecoder().decode(KeptSession.self, from: data)
    }

    /// Session ids are faast's 12 hex digits: anything else never becomes a path.
    static func isValidId(_ id: String) -> Bool { id.count == 12 && id.allSatisfy(\.isHexDigit) }

    /// Whether another process holds the record's lock (the session is attached elsewhere).
    public func isAttached(_ id: String) -> Bool {
        let fd = open(path(id), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return flock(fd, LOCK_SH | LOCK_NB) != 0
    }

    /// Takes the session's lock (creating its record file, empty, if needed); nil when another shell holds it.
    func lock(_ id: String) throws -> SessionLock? {
        try makeDirectory()
        let fd = open(path(id), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Self.failure("cannot open \(path(id))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            return nil
        }
        return SessionLock(fd: fd, store: self, id: id)
    }

    /// Removes a record nobody holds (gc, a session whose resources are gone).
    public func remove(_ id: String) {
        guard Self.isValidId(id), let lock = try? lock(id) else { return }
        lock.delete()
    }

    func makeDirectory() throws {
        let parent = (directory as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        if mkdir(directory, 0o700) != 0 && errno != EEXIST { throw Self.failure("cannot create \(directory)") }
        _ = chmod(directory, 0o700)
    }

    static func failure(_ what: String) -> FaastError {
        FaastError(.provider, "\(what): \(String(cString: strerror(errno)))")
    }
}

/// This shell's hold on a kept session's record (an exclusive `flock`); writes go through it, in place, so the
/// lock stays on the file that is read.
final class SessionLock: @unchecked Sendable {
    // The fd is only used from the owning provider's keep/cleanup, which run one at a time.
    private var fd: Int32
    let store: SessionStore
    let id: String

    init(fd: Int32, store: SessionStore, id: String) {
        self.fd = fd
        self.store = store
        self.id = id
    }

    deinit { if fd >= 0 { close(fd) } }

    func write(_ record: KeptSession) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let bytes = Array(try encoder.encode(record)) + [10]
        guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else { throw SessionStore.failure("cannot write \(store.path(id))") }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw SessionStore.failure("cannot write \(store.path(id))") }
            offset += n
        }
        _ = fchmod(fd, 0o600)
    }

    /// Lets go of the session (it stays recorded for the next attach).
    func release() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    /// Removes the record, then lets go.
    func delete() {
        unlink(store.path(id))
        release()
    }
}

/// Requests a client sent: by service and action for the JSON and query protocols (`sqs CreateQueue`,
/// `sns Subscribe`), by service, method and path for REST ones (`lambda POST /2015-03-31/functions` is
/// CreateFunction): what the benchmarks and tests count. Bounded by the distinct actions and paths a session
/// uses, not by its calls.
public final class RequestCounts: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    public init() {}

    func add(service: String, method: String, path: String, headers: [(name: String, value: String)], body: [UInt8]) {
        let key: String
        if let target = headers.first(where: { $0.name.lowercased() == "x-amz-target" })?.value {
            key = "\(service) \(target.split(separator: ".").last ?? "")"
        } else if let action = body.split(separator: UInt8(ascii: "&")).first(where: { $0.starts(with: Array("Action=".utf8)) }) {
            key = "\(service) \(String(decoding: action.dropFirst(7), as: UTF8.self))"
        } else {
            key = "\(service) \(method) \(path)"
        }
        counts.withLock { $0[key, default: 0] += 1 }
    }

    /// Every request so far.
    public var total: Int { counts.withLock { $0.values.reduce(0, +) } }

    /// Requests under one key (e.g. "lambda POST /2015-03-31/functions", CreateFunction).
    public func count(exactly key: String) -> Int { counts.withLock { $0[key] ?? 0 } }

    public var snapshot: [String: Int] { counts.withLock { $0 } }
}
