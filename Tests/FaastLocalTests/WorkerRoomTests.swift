import FaastCore
@testable import FaastLocal
import Foundation
import Testing

/// While a fan-out's calls return at once, its lanes start no more workers than CPUs (`WorkerPool.reserveRoom`):
/// lanes that ask at the same moment must not all see room, and a worker still loading its module is not a
/// slow call. (Both once started a worker per lane: 10 python workers, a second of CPU, for 10 no-op calls.)
@Suite("room for another worker in a fan-out")
struct WorkerRoomTests {
    @Test("lanes asking at once share the starts left below the CPU count; a loading worker makes no room")
    func reservations() async throws {
        let path = Fixtures.writeModule("slow_import.py", "import time\ntime.sleep(20)\n\n\ndef f():\n    return 1\n")
        let session = try SessionDirectory.create(in: Fixtures.stateDirectory(), retentionDays: 1)
        let launch = try WorkerLaunch.plan(try resolveModule(path), settings: DeploySettings(), session: session)
        let pool = WorkerPool(launch: launch)

        let asked = (0..<5).map { _ in pool.reserveRoom(cpus: 2) }
        #expect(asked.filter { $0 == .reserved }.count == 2, "\(asked)")
        #expect(asked.filter { $0 == .none }.count == 3, "\(asked)")

        // One reservation starts a worker, which loads for 20 s; the other is given back.
        let start = Task.detached { try? pool.startWorkerBlocking(reserved: true) }
        pool.cancelReservation()
        let registered = Date().addingTimeInterval(15)
        while pool.count == 0, Date() < registered { try await Task.sleep(for: .milliseconds(20)) }
        #expect(pool.count == 1)
        try await Task.sleep(for: .milliseconds(400))  // longer than any call counted as slow (250 ms)
        #expect(pool.reserveRoom(cpus: 1) == .none, "a worker loading its module is not running a slow call")
        #expect(pool.reserveRoom(cpus: 2) == .reserved)
        pool.cancelReservation()

        await pool.shutdown(grace: 0)
        _ = await start.value
        session.remove()
    }
}
