import CFaastSys
import Foundation
import Synchronization

/// The one long-lived thread that forks every worker.
///
/// PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, not the process: a worker forked
/// from a lane thread (which ends with its fan-out) would be killed with it. So every worker is forked on
/// this thread, which lives as long as the process and forks nothing else. That is why it is FaastLocal's
/// one global (`Spawner.shared`): workers of every session must outlive any thread but this one, and die
/// with faast however it ends.
final class Spawner: Sendable {
    static let shared = Spawner()
    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let wake = DispatchSemaphore(value: 0)

    private init() {
        let thread = Thread { [self] in
            // Workers inherit this thread's CPUs: every allowed one, even when a bound lane started this thread.
            _ = faast_bind_cpu(0, -1)
            while true {
                wake.wait()
                for job in jobs.withLock({ j -> [@Sendable () -> Void] in defer { j = [] }; return j }) { job() }
            }
        }
        thread.name = "faast-spawner"
        thread.stackSize = 512 * 1024
        thread.start()
    }

    /// Runs `body` on the spawner thread and returns its result (the calling thread waits).
    func run(_ body: @escaping @Sendable () -> pid_t) -> pid_t {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<pid_t>(0)
        jobs.withLock { $0.append { result.withLock { $0 = body() }; done.signal() } }
        wake.signal()
        done.wait()
        return result.withLock { $0 }
    }
}

/// Runs a blocking body on a thread of its own and awaits its result.
func runOnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 512 * 1024
        thread.start()
    }
}
