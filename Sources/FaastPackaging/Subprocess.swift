import FaastCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process run to completion (a tracer, pip, npm), its output captured line by line.
struct Subprocess {
    struct Result {
        var status: Int32
        var output: String
        var timedOut: Bool
    }

    /// Runs `executable` with `arguments` in `directory`, merging stdout and stderr; `onLine` sees each line as
    /// it comes (for progress). The child is killed (its whole process group) after `timeout` seconds.
    /// Blocks the calling thread: callers run it off the cooperative pool (`run` below).
    static func runBlocking(_ executable: String, _ arguments: [String], directory: String? = nil,
                            environment: [String: String]? = nil, timeout: Double,
                            onLine: (@Sendable (String) -> Void)? = nil) throws(FaastError) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw FaastError(.deployFailed, "cannot run \(executable): \(error.localizedDescription)")
        }
        let pid = process.processIdentifier
        let deadline = DispatchTime.now() + timeout
        let killer = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: deadline, execute: killer)
        var collected = Data()
        var pending = Data()
        let handle = pipe.fileHandleForReading
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            collected.append(chunk)
            // A pip log can be long: keep the last 256 KB, where its error is.
            if collected.count > 262_144 { collected = collected.suffix(262_144) }
            if let onLine {
                pending.append(chunk)
                while let nl = pending.firstIndex(where: { $0 == 10 || $0 == 13 }) {
                    let line = String(decoding: pending[pending.startIndex..<nl], as: UTF8.self)
                    pending = pending.suffix(from: nl + 1)
                    if !line.isEmpty { onLine(line) }
                }
            }
        }
        process.waitUntilExit()
        killer.cancel()
        let timedOut = process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL
        return Result(status: process.terminationStatus, output: String(decoding: collected, as: UTF8.self), timedOut: timedOut)
    }

    /// `runBlocking` on a thread of its own, so a minute of pip does not hold a cooperative thread.
    static func run(_ executable: String, _ arguments: [String], directory: String? = nil,
                    environment: [String: String]? = nil, timeout: Double,
                    onLine: (@Sendable (String) -> Void)? = nil) async throws(FaastError) -> Result {
        let outcome: Swift.Result<Result, FaastError> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: Swift.Result { () throws(FaastError) -> Result in
                    try runBlocking(executable, arguments, directory: directory, environment: environment,
                                    timeout: timeout, onLine: onLine)
                })
            }
        }
        return try outcome.get()
    }
}
