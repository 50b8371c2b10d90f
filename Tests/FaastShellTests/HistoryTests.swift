import Foundation
import Testing

@testable import FaastShell

@Suite("The prompt's history file")
struct HistoryTests {
    func temporaryPath() -> String {
        let dir = NSTemporaryDirectory() + "faast-history-\(UUID().uuidString)"
        return dir + "/history"
    }

    @Test("entries round-trip, multi-line and backslashes included; the file is 0600")
    func roundTrip() throws {
        let history = History(path: temporaryPath())
        let entries = ["call add(1,\n2)", #"print a\nb \\ c"#, "call echo(\"café 你好 🌍\")"]
        for e in entries { history.append(e) }
        #expect(history.entries() == entries)
        let mode = try FileManager.default.attributesOfItem(atPath: history.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("capped: compacted back to its capacity, the newest kept")
    func capped() {
        let history = History(path: temporaryPath(), capacity: 10)
        for i in 0..<37 { history.append("call add(\(i), 1)") }
        let entries = history.entries()
        #expect(entries.count == 10)
        #expect(entries.last == "call add(36, 1)")
        let lines = (try? String(contentsOfFile: history.path, encoding: .utf8))?.split(separator: "\n").count ?? 0
        #expect(lines <= 12)
    }

    @Test("writers at once lose nothing (each appends under the lock)")
    func concurrentWriters() async {
        let path = temporaryPath()
        let writers = 4, each = 100
        await withTaskGroup(of: Void.self) { group in
            for w in 0..<writers {
                group.addTask {
                    // Each writer its own History, as each shell has: separate opens of the same file.
                    let history = History(path: path, capacity: 10_000)
                    for i in 0..<each { history.append("w\(w) \(i)") }
                }
            }
        }
        let entries = History(path: path, capacity: 10_000).entries()
        #expect(entries.count == writers * each)
        #expect(Set(entries).count == writers * each)
    }

    @Test("a file in libedit's old format is read, and rewritten in the new one on the next entry")
    func legacyFormat() throws {
        let history = History(path: temporaryPath())
        try FileManager.default.createDirectory(atPath: (history.path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try "_HiStOrY_V2_\ncall\\040hello(\"caf\\303\\251\")\nprint\\040a\\012b\n".write(toFile: history.path, atomically: true, encoding: .utf8)
        #expect(history.entries() == ["call hello(\"café\")", "print a\nb"])
        history.append("functions")
        #expect(history.entries() == ["call hello(\"café\")", "print a\nb", "functions"])
        let text = try String(contentsOfFile: history.path, encoding: .utf8)
        #expect(!text.hasPrefix("_HiStOrY_V2_"))
    }
}

@Suite("Long output at the prompt")
struct LongOutputTests {
    @Test("a value past maxlines is cut with a note; 0 never cuts")
    func shortened() {
        let text = (0..<10).map(String.init).joined(separator: "\n")
        #expect(LongValue.shortened(text, maxLines: 4) == "0\n1\n2\n3\n… 6 more lines (set maxlines=0 to see values whole; print $_ shows it on one line)")
        #expect(LongValue.shortened(text, maxLines: 0) == text)
        #expect(LongValue.shortened(text, maxLines: 9) == text)
    }

    @Test("rows and widths: wide characters take two columns, escapes none, long lines wrap")
    func rows() {
        setlocale(LC_CTYPE, "C.UTF-8")
        #expect(Terminal.width("你好🌍") == 6)
        #expect(Terminal.width("\u{1B}[2mab\u{1B}[0m") == 2)
        #expect(Terminal.width("e\u{301}") == 1)
        #expect(Terminal.rows(of: "a\nb\n", columns: 80) == 2)
        #expect(Terminal.rows(of: String(repeating: "x", count: 81) + "\n", columns: 80) == 2)
        #expect(Terminal.truncated("ab你好", columns: 5) == "ab你")
    }
}
