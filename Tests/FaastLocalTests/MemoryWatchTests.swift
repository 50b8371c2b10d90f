@testable import FaastLocal
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What the memory watch counts for a worker.
@Suite("the memory watch")
struct MemoryWatchTests {
    /// Between fork and exec a worker's resident set is a copy-on-write image of faast (here: the test runner,
    /// hundreds of MB under a full suite). Counting it killed workers at start under load ("the worker exceeded
    /// its memory size of 128 MB (174 MB in use)" before its module loaded).
    @Test("a forked worker that has not exec'd yet uses no memory of its own")
    func forkedNotExeced() throws {
        let pid = fork()
        if pid == 0 {
            // Child: async-signal-safe calls only, until the parent kills it.
            while true { pause() }
        }
        try #require(pid > 0)
        defer {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        #expect(MemoryWatch.residentBytes(of: pid) == 0)
    }

    @Test("a process that has exec'd its own program is counted")
    func execed() throws {
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        defer { kill(sleeper.processIdentifier, SIGKILL); sleeper.waitUntilExit() }
        // Process starts the child before it has exec'd: wait (bounded) until /proc shows the new program.
        for _ in 0..<500 where MemoryWatch.executable(of: String(sleeper.processIdentifier)) != "/usr/bin/sleep" {
            usleep(10_000)
        }
        #expect(MemoryWatch.residentBytes(of: sleeper.processIdentifier) > 0)
    }
}
