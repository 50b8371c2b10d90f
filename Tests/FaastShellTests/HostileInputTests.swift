import FaastCore
import FaastLanguage
import Foundation
import Testing

@testable import FaastShell

@Suite("hostile input at the shell: neutralized, plain, kept")
struct HostileInputTests {
    @Test("control characters are shown in caret notation; newlines, tabs and unicode stay")
    func neutralized() {
        #expect(TerminalText.neutralized("\u{1B}]0;pwned\u{07}\u{1B}[31mred") == "^[]0;pwned^G^[[31mred")
        #expect(TerminalText.neutralized("a\rb\u{7F}c\u{9B}2J") == "a^Mb^?c\\x9b2J")
        #expect(TerminalText.neutralized("line 1\n\tline 2 — 你好") == "line 1\n\tline 2 — 你好")
    }

    @Test("a failed let prints its error like a failed call; a failed expect does not print the call's")
    func failedLet() async throws {
        let h = Harness()
        #expect(await h.run("open functions.js") == .ok)
        #expect(await h.run("let x = call fail(\"boom\")") == .failed)
        #expect(h.output.stderr.hasPrefix("test.faast:1: error (exception): Error: boom\n"))
        #expect(h.output.stdout.isEmpty)
        let before = h.output.stderr
        #expect(await h.run("expect call fail(\"boom\") fails exception") == .ok)
        #expect(h.output.stderr == before)
    }

    @Test("source of a directory says so; numbers compare by value in expect")
    func sourceAndExpect() async throws {
        let h = Harness()
        #expect(await h.run("open functions.js\nsource .") == .usage)
        #expect(h.output.stderr.contains("cannot read .: it is a directory (source takes a .faast file)"))
        #expect(await h.run("expect call echo(99999999999999999999) == 99999999999999999999.0") == .ok)
        #expect(await h.run("expect call echo([1e2, {\"a\": 0.50}]) == [100, {\"a\": 5e-1}]") == .ok)
        #expect(await h.run("expect call echo(99999999999999999999) == 99999999999999999998") == .failed)
    }

    @Test("file system errors in plain words, not NSCocoaErrorDomain codes")
    func plainFileErrors() throws {
        let blocker = NSTemporaryDirectory() + "faast-blocker-\(UUID().uuidString.prefix(8))"
        #expect(FileManager.default.createFile(atPath: blocker, contents: Data()))
        defer { try? FileManager.default.removeItem(atPath: blocker) }
        do {
            try FileManager.default.createDirectory(atPath: blocker + "/x/y", withIntermediateDirectories: true)
            Issue.record("a directory was created under a file")
        } catch {
            #expect(SystemErrorText.describe(error) == "\(blocker)/x: Not a directory" || SystemErrorText.describe(error) == "\(blocker): Not a directory")
            #expect(!SystemErrorText.describe(error).contains("NSCocoaErrorDomain"))
        }
    }
}
