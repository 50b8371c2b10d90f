import FaastCore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Holds workers to their memory size as Lambda does: the resident memory of a worker and of the processes it
/// started, whatever holds it (node's Buffers live outside the V8 heap that `--max-old-space-size` limits;
/// python has no limit of its own, since an address-space limit breaks its threads). A worker past the limit
/// during a call is killed and the call fails as `outOfMemory`.
///
/// One thread per worker pool samples the busy workers every 50 ms (idle ones every 250 ms): a kernel limit
/// (a cgroup) would need privileges this process may not have, and nothing else reports growing memory.
/// A fast allocation can overshoot the limit by what it allocates in one period before it is stopped.
final class MemoryWatch: Sendable {
    private let limitBytes: Int
    private let stopped = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    /// This process's executable: a worker that still runs it was forked and has not exec'd yet.
    private static let ownExecutable = executable(of: "self")

    init(limitMb: Int) { limitBytes = limitMb * 1024 * 1024 }

    /// Starts the thread. `workers` gives the workers to watch; nil when their pool is gone.
    func start(_ workers: @escaping @Sendable () -> [Worker]?) {
        let limitBytes = limitBytes
        let thread = Thread { [self] in
            while !stopped.load(ordering: .acquiring) {
                guard let list = workers() else { return }
                var busy = false
                for w in list where w.isBusy {
                    busy = true
                    let used = Self.residentBytes(of: w.pid)
                    if used > limitBytes { w.stopOutOfMemory(limitMb: limitBytes >> 20, usedMb: used >> 20) }
                }
                _ = wake.wait(timeout: .now() + .milliseconds(busy ? 50 : 250))
            }
        }
        thread.name = "faast-memory"
        thread.stackSize = 256 * 1024
        thread.start()
    }

    func stop() {
        stopped.store(true, ordering: .releasing)
        wake.signal()
    }

    /// Resident memory of `pid` and of the processes it started (the children of each of its threads, such as
    /// the processes of a python `multiprocessing` pool, recursively).
    static func residentBytes(of pid: pid_t) -> Int {
        var total = 0
        var pending: [pid_t] = [pid]
        var seen = 0
        while let p = pending.popLast(), seen < 1_000 {
            seen += 1
            // Between fork and exec a worker's resident set is a copy-on-write image of faast itself (hundreds
            // of MB in a big process): that memory is not the worker's, and counting it killed workers at start.
            if p == pid, let own = ownExecutable, executable(of: String(p)) == own { return 0 }
            if let statm = try? String(contentsOfFile: "/proc/\(p)/statm", encoding: .utf8) {
                let fields = statm.split(separator: " ")
                if fields.count > 1, let pages = Int(fields[1]) { total += pages * pageSize }
            }
            pending += ProcessJanitor.children(of: p)
        }
        return total
    }

    /// The target of `/proc/<process>/exe`, or nil when it cannot be read (the process is gone).
    static func executable(of process: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(process)/exe")
    }
}
