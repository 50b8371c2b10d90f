import FaastCore
import FaastLocal
import Foundation
import Synchronization
import Testing

/// Collects outcomes as they finish (fan-out observer).
final class OutcomeLog: Sendable {
    private let entries = Mutex<[(Int, CallOutcome)]>([])
    func add(_ i: Int, _ o: CallOutcome) { entries.withLock { $0.append((i, o)) } }
    var all: [(Int, CallOutcome)] { entries.withLock { $0 } }
}

@Suite("limits, cancellation and the process table")
struct LimitTests {
    static let spanModule = """
        exports.span = async function span(ms) {
          const start = Date.now();
          await new Promise((r) => setTimeout(r, ms));
          return [start, Date.now(), process.pid];
        };
        """

    @Test("concurrency is held exactly under 200 concurrent slow calls")
    func concurrencyExact() async throws {
        let path = Fixtures.writeModule("span.js", Self.spanModule)
        let provider = try await LocalProviderFactory(stateDirectory: Fixtures.stateDirectory())
            .deploy(try resolveModule(path), settings: { var s = DeploySettings(); s.concurrency = 10; return s }())
        let invoker = Invoker(provider: provider)
        let batch = await invoker.fanOut("span", count: 200) { _ in [100] }
        #expect(batch.ok == 200)
        var events: [(Double, Int)] = []
        var pids = Set<Int>()
        for r in batch.results {
            let v = try #require(try? r.get().arrayValue)
            events.append((v[0].doubleValue!, 1))
            events.append((v[1].doubleValue!, -1))
            pids.insert(v[2].intValue!)
        }
        // Ends sort before starts at the same millisecond: a call that ended is no longer in flight.
        events.sort { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
        var inFlight = 0, peak = 0
        for e in events {
            inFlight += e.1
            peak = max(peak, inFlight)
        }
        #expect(peak == 10)
        #expect(pids.count == 10, "ten warm workers served all calls")
        _ = try await provider.cleanup()
    }

    @Test("unlimited concurrency (0) runs every call at once")
    func unlimited() async throws {
        // Each call waits (up to a minute) until all 24 are running at once: that happens only if every call
        // has a worker of its own.
        let marks = Fixtures.stateDirectory()
        let path = Fixtures.writeModule("meet.py", """
            import os, time

            def meet(folder, n):
                open(os.path.join(folder, str(os.getpid())), "w").close()
                until = time.time() + 60
                while len(os.listdir(folder)) < n and time.time() < until:
                    time.sleep(0.01)
                return [os.getpid(), len(os.listdir(folder))]
            """)
        let provider = try await LocalProviderFactory(stateDirectory: Fixtures.stateDirectory())
            .deploy(try resolveModule(path), settings: DeploySettings())
        let batch = await Invoker(provider: provider).fanOut("meet", count: 24, options: CallOptions(concurrency: 0)) { _ in
            [.string(marks), 24]
        }
        #expect(batch.ok == 24)
        let pids = Set(batch.results.compactMap { try? $0.get().arrayValue?[0] })
        #expect(pids.count == 24)
        #expect(batch.results.allSatisfy { (try? $0.get().arrayValue?[1]) == 24 }, "all 24 ran at once")
        _ = try await provider.cleanup()
    }

    @Test("rate is held over every one-second window")
    func rateLimit() async throws {
        let provider = try await Fixtures.deploy("sample.js")
        let invoker = Invoker(provider: provider)
        let log = OutcomeLog()
        let rate = 20.0
        let batch = await invoker.fanOut("noop", count: 50, options: CallOptions(rate: rate), observer: log.add) { [.int($0)] }
        #expect(batch.ok == 50)
        let starts = log.all.map(\.1.dispatchedAt).sorted()
        var worst = 0
        for (i, t) in starts.enumerated() {
            let inWindow = starts[i...].prefix { $0 < t + 1 }.count
            worst = max(worst, inWindow)
        }
        // Burst 1: one call per 1/rate s; one more may fall in a window when a wake-up runs late.
        #expect(worst <= Int(rate) + 1, "\(worst) calls started within one second")
        #expect(starts.last! - starts.first! >= 49 / rate * 0.98)
        _ = try await provider.cleanup()
    }

    @Test("cancelling a fan-out stops queued calls, kills the calls in flight, and the session stays usable")
    func cancellation() async throws {
        // Each call leaves a file named after its worker's pid, then sleeps for ten minutes.
        let marks = Fixtures.stateDirectory()
        let path = Fixtures.writeModule("hold.py", """
            import os, time

            def hold(folder):
                open(os.path.join(folder, str(os.getpid())), "w").close()
                time.sleep(600)

            def hello(name):
                return "hello " + name + "!"
            """)
        let provider = try await LocalProviderFactory(stateDirectory: Fixtures.stateDirectory())
            .deploy(try resolveModule(path), settings: { var s = DeploySettings(); s.concurrency = 5; return s }())
        let invoker = Invoker(provider: provider)
        let task = Task { await invoker.fanOut("hold", count: 50) { _ in [.string(marks)] } }
        // Wait (bounded) until five calls run: one per lane.
        var running: [Int32] = []
        let deadline = MonotonicClock.seconds() + 120
        while running.count < 5, MonotonicClock.seconds() < deadline {
            try await Task.sleep(nanoseconds: 20_000_000)
            running = ((try? FileManager.default.contentsOfDirectory(atPath: marks)) ?? []).compactMap { Int32($0) }
        }
        #expect(running.count == 5)
        task.cancel()
        let batch = await task.value
        #expect(batch.cancelled == 50, "the five calls in flight were killed, the 45 queued never started")
        #expect(batch.cancelledWhileRunning == 5, "only the five calls in flight had started")
        #expect(batch.ok == 0)
        let made = invoker.stats.function("hold")
        #expect(made?.invocations == 5, "\(String(describing: made?.invocations)) made, \(String(describing: made?.errors)) errors: \(batch.failureGroups.map(\.message))")
        for pid in running {
            let gone = MonotonicClock.seconds() + 60
            while processIsRunning(pid), MonotonicClock.seconds() < gone { try await Task.sleep(nanoseconds: 20_000_000) }
            #expect(!processIsRunning(pid), "worker \(pid) was killed")
        }
        #expect(await invoker.call("hello", args: ["after"]).value == "hello after!")
        _ = try await provider.cleanup()
    }

    @Test("cleanup stops every worker and keeps only the logs")
    func cleanupLeavesNoProcesses() async throws {
        let provider = try await Fixtures.deploy("sample.js") { $0.concurrency = 4 }
        let invoker = Invoker(provider: provider)
        // Four calls of 3 s on four lanes: a lane could take a second call only after its first ended, and by
        // then every lane has taken one.
        _ = await invoker.fanOut("sleep", count: 4) { _ in [3000] }
        let pids = provider.workerPids
        #expect(pids.count == 4)
        let report = try await provider.cleanup()
        #expect(report.first == "stopped 4 workers")
        for pid in pids { #expect(!processIsRunning(pid)) }
        let left = try FileManager.default.contentsOfDirectory(atPath: provider.session.path).sorted()
        #expect(left == ["logs", "session.json"])
        // Idempotent.
        _ = try await provider.cleanup()
    }
}

extension LimitTests {
    /// The peak resident set of this process, in MB (VmHWM).
    static func peakRssMB() -> Double {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }

    @Test("cancelling a fan-out of ten million calls ends it at once, in bounded memory, with every call counted")
    func cancellingAHugeFanOut() async throws {
        let provider = try await Fixtures.deploy("sample.js") { $0.concurrency = 4 }
        let invoker = Invoker(provider: provider)
        let progress = BatchProgress()
        let count = 10_000_000
        let task = Task { await invoker.fanOut("noop", count: count, progress: progress) { [.int($0)] } }
        let deadline = MonotonicClock.seconds() + 120
        while progress.done < 20_000, MonotonicClock.seconds() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        task.cancel()
        let batch = await task.value
        #expect(batch.ok >= 20_000)
        #expect(batch.ok + batch.failed + batch.cancelled == count)
        #expect(batch.cancelled > count / 2, "calls not started were cancelled, not made")
        #expect(progress.done == count)
        #expect(batch.results.count <= 100_000, "values are kept for the first calls only")
        let made = try #require(invoker.stats.function("noop")).invocations
        // Made: the calls that returned, and at most those in flight or sent ahead at the cancel (4 lanes × 8).
        #expect(made >= batch.ok && made <= batch.ok + batch.failed + 32, "\(made) calls made, \(batch.ok) ok")
        // Before calls not started were skipped, cancelling this fan-out grew faast to 4 GB.
        #expect(Self.peakRssMB() < 1500, "peak RSS \(Self.peakRssMB()) MB")
        #expect(await invoker.call("noop", args: [1]).value == 2, "the session stays usable")
        _ = try await provider.cleanup()
    }
}
