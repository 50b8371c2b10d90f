import FaastCore
import Foundation
import Synchronization

/// Stops calls that run past their deadline: one thread per worker pool that sleeps until the earliest
/// deadline of any worker and is woken early only when a call starts with a deadline before that (a call
/// with a shorter timeout). With the default 60 s timeout and short calls, it wakes about once a minute.
///
/// A worker waiting for its start-up line or a describe answer has a deadline too, so a module that never
/// finishes loading is stopped like a call that runs too long.
final class DeadlineWatch: Sendable {
    /// When the thread will look next (`MonotonicClock.nanoseconds()`); `.max` while it scans, so that a
    /// deadline set during a scan always wakes it again.
    private let nextLookNs = Atomic<UInt64>(.max)
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = Atomic<Bool>(false)

    /// Starts the thread. `workers` gives the workers to watch; nil when their pool is gone.
    func start(_ workers: @escaping @Sendable () -> [Worker]?) {
        let thread = Thread { [self] in
            while !stopped.load(ordering: .acquiring) {
                nextLookNs.store(.max, ordering: .releasing)
                guard let list = workers() else { return }
                let now = MonotonicClock.nanoseconds()
                var next = UInt64.max
                for w in list {
                    let due = w.enforceDeadline(now: now)
                    if due != 0 { next = min(next, due) }
                }
                nextLookNs.store(next, ordering: .releasing)
                if next == .max {
                    wake.wait()
                } else {
                    let after = MonotonicClock.nanoseconds()
                    _ = wake.wait(timeout: .now() + .nanoseconds(Int(min(next &- min(next, after), UInt64(Int.max)))))
                }
            }
        }
        thread.name = "faast-deadlines"
        thread.stackSize = 256 * 1024
        thread.start()
    }

    /// A call began to run that must end by `deadlineNs`: wakes the thread if it would look later than that.
    func due(_ deadlineNs: UInt64) {
        if deadlineNs < nextLookNs.load(ordering: .acquiring) { wake.signal() }
    }

    /// Ends the thread.
    func stop() {
        stopped.store(true, ordering: .releasing)
        wake.signal()
    }
}
