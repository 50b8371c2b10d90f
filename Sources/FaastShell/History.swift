import FaastCore
import FaastLanguage
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The prompt's history file, shared by every faast shell of the user: each entry is APPENDED under an
/// exclusive lock (never the whole file rewritten from one shell's memory, which lost the entries of
/// another shell open at the same time), the file is capped by compacting it in place under the same lock,
/// and it is created mode 0600 (it may hold arguments people consider private).
///
/// Format: one entry per line; a backslash is written `\\` and a newline (multi-line entries typed with
/// continuation lines) `\n`. A file in libedit's old format (`_HiStOrY_V2_`, octal escapes) is read and
/// converted on the next write.
public struct History: Sendable {
    public let path: String
    /// Entries kept; the file is compacted back to this many when it has a quarter more.
    public let capacity: Int

    public static let legacyHeader = "_HiStOrY_V2_"

    /// `$XDG_STATE_HOME/faast/history` (else `~/.local/state/faast/history`).
    public static var defaultPath: String { FilePaths.xdg("XDG_STATE_HOME", default: ".local/state") + "/history" }

    public init(path: String = History.defaultPath, capacity: Int = 1000) {
        self.path = path
        self.capacity = max(1, capacity)
    }

    /// The entries, oldest first (at most `capacity`); none when the file does not exist.
    public func entries() -> [String] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        flock(fd, LOCK_SH)
        defer { flock(fd, LOCK_UN) }
        return Array(Self.decode(Self.readAll(fd)).suffix(capacity))
    }

    /// Appends one entry (creating the file and its folder, 0600 / 0700); compacts the file when it grew past
    /// its capacity by a quarter. Errors are ignored: history is a convenience, never a reason to fail a command.
    public func append(_ entry: String) {
        let dir = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        // A file made by an older faast (or a umask) may be wider: history stays private.
        fchmod(fd, 0o600)
        guard flock(fd, LOCK_EX) == 0 else { return }
        defer { flock(fd, LOCK_UN) }
        let text = Self.readAll(fd)
        var all = Self.decode(text)
        all.append(entry)
        if text.hasPrefix(Self.legacyHeader + "\n") || all.count > capacity + capacity / 4 {
            // In place, under the lock: a rename would leave a shell waiting on the old file's lock
            // appending to a file nobody reads any more.
            rewrite(fd, Array(all.suffix(capacity)))
        } else {
            Self.writeAll(fd, Self.encode(entry) + "\n")
        }
    }

    private func rewrite(_ fd: Int32, _ entries: [String]) {
        ftruncate(fd, 0)
        // O_APPEND: every write goes to the (now empty) file's end.
        Self.writeAll(fd, entries.map { Self.encode($0) + "\n" }.joined())
    }

    /// One entry as one line.
    static func encode(_ entry: String) -> String {
        entry.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// The entries of a file's text, in either format.
    static func decode(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        if lines.first == legacyHeader {
            lines.removeFirst()
            return lines.map(unvis)
        }
        return lines.map { line in
            var out = ""
            var escaped = false
            for c in line {
                if escaped {
                    out.append(c == "n" ? "\n" : c)
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else {
                    out.append(c)
                }
            }
            return out
        }
    }

    /// libedit's `strvis(VIS_WHITE)` encoding undone: `\ooo` is a byte in octal, `\\` a backslash.
    static func unvis(_ line: String) -> String {
        let bytes = Array(line.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), i + 3 < bytes.count,
               bytes[(i + 1)...(i + 3)].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") }) {
                out.append(bytes[(i + 1)...(i + 3)].reduce(0) { $0 &* 8 &+ ($1 - UInt8(ascii: "0")) })
                i += 4
            } else if bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count {
                out.append(bytes[i + 1])
                i += 2
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func readAll(_ fd: Int32) -> String {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var offset: off_t = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            data.append(contentsOf: buffer[..<n])
            offset += off_t(n)
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func writeAll(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { buf in
            var done = 0
            while done < buf.count {
                let n = write(fd, buf.baseAddress! + done, buf.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                done += n
            }
        }
    }
}

extension History {
    /// Entries numbered from `firstNumber`, right-aligned; a multi-line entry keeps its lines under one number.
    static func listing(_ entries: [String], firstNumber: Int) -> String {
        let width = String(firstNumber + entries.count - 1).count
        let indent = "\n" + String(repeating: " ", count: width + 2)
        return entries.enumerated().map { offset, entry in
            let number = String(firstNumber + offset)
            return String(repeating: " ", count: width - number.count) + number + "  "
                + entry.replacingOccurrences(of: "\n", with: indent)
        }.joined(separator: "\n") + "\n"
    }
}

extension Shell {
    /// `history [last=N]`: the newest entries of the shared history file.
    func historyCommand(_ opts: [OptionArg]) throws -> CommandStatus {
        var last = 20
        let command = Language.command("history")!
        for opt in opts { last = try checkedValue(opt, try spec(of: opt, in: command)).int }
        let entries = History().entries()
        let first = max(0, entries.count - last)
        report(.history(Array(entries[first...]), firstNumber: first + 1), command: "history")
        return .ok
    }
}
