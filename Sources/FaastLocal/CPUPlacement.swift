import Synchronization

/// Which CPU a lane binds its thread and its worker to (see `LocalLane`, "CPU placement"): the allowed CPU
/// with the fewest lanes bound to it now, taken when a lane binds and given back when it unbinds.
///
/// A CPU fixed by the lane's number would do only while the lanes that hold workers have consecutive numbers.
/// They need not: a fan-out makes more lanes than workers, and which lanes get the workers is a race. On two
/// CPUs, lanes 0 and 2 winning put both workers on CPU 0 while CPU 1 idled: a 50,000-call python fan-out then
/// took 1.26 s instead of 0.8 s, with the same CPU time, in about one run in five.
final class CPUPlacement: Sendable {
    private let cpus: [Int32]
    /// Lanes bound to each of `cpus`, by index.
    private let bound: Mutex<[Int]>

    init(cpus: [Int32]) {
        self.cpus = cpus
        bound = Mutex([Int](repeating: 0, count: cpus.count))
    }

    /// Whether binding can help at all: with one CPU (or none known) every lane shares it anyway.
    var isUseful: Bool { cpus.count > 1 }

    /// A CPU for a lane that binds now, the least taken (the lowest of equals); give it back with `give`.
    func take() -> Int32 {
        bound.withLock { counts in
            let index = counts.indices.min { counts[$0] < counts[$1] } ?? 0
            counts[index] += 1
            return cpus[index]
        }
    }

    /// Gives back a CPU that `take` returned, when its lane unbinds.
    func give(_ cpu: Int32) {
        bound.withLock { counts in
            if let index = cpus.firstIndex(of: cpu), counts[index] > 0 { counts[index] -= 1 }
        }
    }

    /// Lanes bound to each CPU now, in `cpus` order (for tests).
    var boundCounts: [Int] { bound.withLock { $0 } }
}
