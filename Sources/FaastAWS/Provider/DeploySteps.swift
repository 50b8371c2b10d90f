import FaastCore
import FaastPackaging
import Foundation
import Synchronization

/// What a deploy has created so far, or may have: a step notes a resource before the request that makes it
/// (a request can be taken and its answer lost), so that a failed deploy deletes all of it, whichever of its
/// concurrent steps failed.
final class DeployLedger: Sendable {
    struct Made {
        var logGroup = false
        var function = false
        var queue: QueueTransport.Infrastructure?
        /// Asked for, answer or not (the rollback looks them up by name when `queue` lacks them).
        var queueRequested = false
        var topicRequested = false
    }
    private let made = Mutex(Made())

    var snapshot: Made { made.withLock { $0 } }

    func note(_ change: (inout Made) -> Void) { made.withLock { change(&$0) } }
}

/// The progress line of a deploy on a terminal (standard error, only when it is a tty: see `Notices`): the
/// steps running now, e.g. `deploying m.js: packaging, role check, log group…`.
final class DeployProgress: Sendable {
    private let notices: Notices
    private let module: String
    private let running = Mutex<[String]>([])

    init(notices: Notices, module: String) {
        self.notices = notices
        self.module = module
    }

    /// Runs one step, naming it on the progress line while it runs.
    func step<T: Sendable>(_ name: String, _ body: () async throws -> T) async throws -> T {
        show { $0.append(name) }
        defer { show { $0.removeAll { $0 == name } } }
        return try await body()
    }

    private func show(_ change: (inout [String]) -> Void) {
        let steps = running.withLock { r -> [String] in
            change(&r)
            return r
        }
        if steps.isEmpty { return }
        notices.progress("deploying \(module): \(steps.joined(separator: ", "))…")
    }

    func finish() { notices.clearProgress() }
}

extension AWSProvider {
    /// Asks `check` until it answers something: after 50 ms, then twice as long each time up to 1 s (a function is
    /// usually ready well within a second, and 1 s polls made every deploy wait for a whole one), for at most
    /// `limit` seconds; nil when time ran out.
    static func poll<T>(limit: Double, _ check: () async throws -> T?) async throws -> T? {
        var delay = 0.05
        let deadline = MonotonicClock.seconds() + limit
        while true {
            if let answer = try await check() { return answer }
            if MonotonicClock.seconds() + delay > deadline { return nil }
            try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            delay = min(1, delay * 2)
        }
    }
}
