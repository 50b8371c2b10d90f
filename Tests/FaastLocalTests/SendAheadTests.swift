import FaastCore
@testable import FaastLocal
import Foundation
import Testing

/// A fan-out lane sends its next request while the worker runs the current call, when calls return at once.
/// These tests hold the promises that rest on: calls still run one at a time per worker and in order; a call
/// waiting behind one that crashes or times out never ran, so it runs on a fresh worker and is not a retry;
/// and every call's log has one START line and one END or ABORTED line.
@Suite("calls sent ahead to a warm worker")
struct SendAheadTests {
    static let node = """
        const { performance } = require('perf_hooks');
        const now = () => performance.timeOrigin + performance.now();
        // Blocks the thread like a long computation, without using the CPU the other tests need.
        const block = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
        exports.f = function f(i, stopAt, how) {
          if (i === stopAt) {
            if (how === 'exit') process.exit(3);
            block(60000);
          }
          return i * 2;
        };
        // Call `slowAt` runs until the other `total - 1` calls have ended (each leaves a file in `dir`), or for
        // `waitMs` at most: it ends early only if no call waits behind it.
        exports.stamp = function stamp(i, slowAt, dir, total, waitMs) {
          const fs = require('fs');
          const start = now();
          if (i === slowAt) {
            while (fs.readdirSync(dir).length < total - 1 && now() - start < waitMs) block(5);
          }
          const end = now();
          if (i !== slowAt) fs.writeFileSync(require('path').join(dir, String(i)), '');
          return [start, end];
        };
        exports.spin = function spin(ms) {
          const until = performance.now() + ms;
          while (performance.now() < until) {}
          return ms;
        };
        exports.forge = function forge(i) {
          if (i % 10 === 3) require('fs').writeSync(4, '{"callId":"c999999","type":"returned","value":666}\\n');
          return i * 2;
        };
        exports.size = function size(i, text, answerBytes) { return [i, text.length, 'y'.repeat(answerBytes)]; };
        exports.tick = async function tick(i) {
          const start = now();
          await new Promise((r) => setImmediate(r));
          await new Promise((r) => setImmediate(r));
          return [process.pid, start, now()];
        };
        """
    static let python = """
        import asyncio, os, time

        def f(i, stop_at, how):
            if i == stop_at:
                if how == "exit":
                    os._exit(3)
                time.sleep(60)
            return i * 2

        def size(i, text, answer_bytes):
            return [i, len(text), "y" * answer_bytes]

        def cpus(ms):
            time.sleep(ms / 1000)
            return sorted(os.sched_getaffinity(0))

        def placed(i):
            return [os.getpid()] + sorted(os.sched_getaffinity(0))

        async def tick(i):
            start = time.time() * 1000
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            return [os.getpid(), start, time.time() * 1000]
        """

    static func deploy(_ runtime: String, configure: (inout DeploySettings) -> Void = { _ in }) async throws -> LocalProvider {
        let path = runtime == "node" ? Fixtures.writeModule("ahead.js", node) : Fixtures.writeModule("ahead.py", python)
        var settings = DeploySettings()
        configure(&settings)
        return try await LocalProviderFactory(stateDirectory: Fixtures.stateDirectory())
            .deploy(try resolveModule(path), settings: settings) as! LocalProvider
    }

    /// Every stamped line of the session's worker logs, as (call id, word after it, file).
    static func logLines(_ provider: LocalProvider) -> [(id: String, word: String, file: String)] {
        let dir = provider.session.logDirectory
        var out: [(String, String, String)] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasSuffix(".log") {
            let text = (try? String(contentsOfFile: "\(dir)/\(name)", encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 3)
                if parts.count >= 3, parts[1].hasPrefix("c") { out.append((String(parts[1]), String(parts[2]), name)) }
            }
        }
        return out
    }

    @Test("a crash fails only its own call; the calls sent behind it run elsewhere and are not retries",
          arguments: ["node", "python"])
    func crash(runtime: String) async throws {
        let provider = try await Self.deploy(runtime) { $0.concurrency = 2 }
        let invoker = Invoker(provider: provider)
        let batch = await invoker.fanOut("f", count: 400, options: CallOptions(maxRetries: 0)) { [.int($0), .int(150), "exit"] }
        #expect(batch.failed == 1)
        #expect(batch.retries == 0)
        let error = try #require(batch.results[150].failureValue)
        #expect(error.kind == .workerExited && error.message.contains("code 3"))
        for i in 0..<400 where i != 150 {
            #expect(batch.results[i].successValue == .int(2 * i), "call \(i)")
        }
        #expect(invoker.stats.function("f")?.invocations == 400)
        #expect(invoker.stats.function("f")?.retries == 0)
        // One START per call, and exactly one END or ABORTED: no call ran twice or went unrecorded.
        let lines = Self.logLines(provider)
        let starts = Dictionary(grouping: lines.filter { $0.word == "START" }, by: \.id)
        let ends = Dictionary(grouping: lines.filter { $0.word == "END" || $0.word == "ABORTED" }, by: \.id)
        #expect(starts.count == 400 && starts.values.allSatisfy { $0.count == 1 })
        #expect(ends.count == 400 && ends.values.allSatisfy { $0.count == 1 })
        #expect(lines.filter { $0.word == "ABORTED" }.count == 1)
        _ = try await provider.cleanup()
    }

    @Test("a call sent behind one that times out runs on a fresh worker", arguments: ["node", "python"])
    func timeout(runtime: String) async throws {
        // 5 s: on a loaded machine a fresh worker's first no-op call can wait over a second for a CPU.
        let provider = try await Self.deploy(runtime) { $0.concurrency = 1; $0.timeout = 5 }
        let invoker = Invoker(provider: provider)
        let batch = await invoker.fanOut("f", count: 40, options: CallOptions(maxRetries: 0)) { [.int($0), .int(20), "spin"] }
        #expect(batch.failed == 1)
        #expect(batch.retries == 0)
        #expect(batch.results[20].failureValue?.kind == .timeout)
        #expect(batch.results[21].successValue == .int(42), "the call waiting behind the timeout ran after all")
        #expect(batch.ok == 39)
        // The killed call has its START line (written by faast: it never printed) followed by ABORTED.
        let lines = Self.logLines(provider)
        let aborted = try #require(lines.first { $0.word == "ABORTED" })
        let own = lines.filter { $0.id == aborted.id }
        #expect(own.map(\.word) == ["START", "ABORTED"], "\(own)")
        #expect(lines.filter { $0.word == "START" }.count == 40)
        _ = try await provider.cleanup()
    }

    @Test("calls sent ahead still run one at a time on each worker, at most `concurrency` at once",
          arguments: ["node", "python"])
    func oneAtATime(runtime: String) async throws {
        let provider = try await Self.deploy(runtime) { $0.concurrency = 3 }
        let batch = await Invoker(provider: provider).fanOut("tick", count: 600) { [.int($0)] }
        #expect(batch.ok == 600)
        let spans = batch.results.compactMap { r -> (pid: Int, start: Double, end: Double)? in
            guard let a = r.successValue?.arrayValue, a.count == 3, let pid = a[0].intValue,
                  let s = a[1].doubleValue, let e = a[2].doubleValue else { return nil }
            return (pid, s, e)
        }
        #expect(spans.count == 600)
        for (pid, calls) in Dictionary(grouping: spans, by: \.pid) {
            let sorted = calls.sorted { $0.start < $1.start }
            for (a, b) in zip(sorted, sorted.dropFirst()) {
                #expect(b.start >= a.end, "worker \(pid) ran two calls at once")
            }
        }
        // At any call's start, at most 3 calls are running (itself included).
        let worst = spans.map { s in spans.filter { $0.start <= s.start && $0.end > s.start }.count }.max() ?? 0
        #expect(worst <= 3)
        _ = try await provider.cleanup()
    }
}

extension SendAheadTests {
    @Test("large requests and answers pass both ways without the lane and the worker waiting on each other",
          .timeLimit(.minutes(1)), arguments: ["node", "python"])
    func largeMessages(runtime: String) async throws {
        let provider = try await Self.deploy(runtime) { $0.concurrency = 2 }
        // Small requests with 200 KB answers, between requests of 100 KB: more than a pipe holds each way.
        let big = String(repeating: "x", count: 100_000)
        let batch = await Invoker(provider: provider).fanOut("size", count: 120) { i in
            i % 2 == 0 ? [.int(i), "", .int(200_000)] : [.int(i), .string(big), .int(10)]
        }
        #expect(batch.ok == 120)
        for (i, r) in batch.results.enumerated() {
            let a = r.successValue?.arrayValue
            #expect(a?[0] == .int(i) && a?[1] == .int(i % 2 == 0 ? 0 : 100_000))
            #expect(a?[2].stringValue?.count == (i % 2 == 0 ? 200_000 : 10))
        }
        _ = try await provider.cleanup()
    }
}

extension SendAheadTests {
    @Test("a slow call holds the calls sent behind it; with pipeline off, no call waits for a busy worker",
          arguments: [true, false])
    func pipelineOption(pipeline: Bool) async throws {
        let provider = try await Self.deploy("node") { $0.concurrency = 2 }
        let invoker = Invoker(provider: provider)
        // Two warm workers first: starting one on a loaded machine can take as long as the slow call.
        #expect(await invoker.fanOut("tick", count: 2) { [.int($0)] }.ok == 2)
        // The slow call runs until every other call has ended: with pipeline off they all can, on the other worker,
        // however loaded the machine; calls sent ahead behind it cannot, so then it gives up after 2 s.
        let dir = NSTemporaryDirectory() + "faast-stamps-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let waitMs = pipeline ? 2000 : 120_000
        let batch = await invoker.fanOut("stamp", count: 40, options: CallOptions(timeout: 300, pipeline: pipeline)) {
            [.int($0), .int(5), .string(dir), .int(40), .int(waitMs)]
        }
        #expect(batch.ok == 40)
        let spans = batch.results.map { $0.successValue?.arrayValue?.compactMap(\.doubleValue) ?? [] }
        let slowEnd = try #require(spans[5].last)
        let startedAfterSlow = spans.enumerated().filter { $0.offset != 5 && ($0.element.first ?? 0) >= slowEnd }.count
        if pipeline {
            #expect(startedAfterSlow >= 1, "calls sent ahead waited behind the slow one")
        } else {
            #expect(startedAfterSlow == 0, "the other worker ran every other call while the slow one ran")
        }
        _ = try await provider.cleanup()
    }
}

extension SendAheadTests {
    @Test("a call sent ahead counts its latency from when the worker took it: never less than its execution")
    func latencyOfQueuedCalls() async throws {
        let provider = try await Self.deploy("node") { $0.concurrency = 2 }
        let log = OutcomeLog()
        let batch = await Invoker(provider: provider).fanOut("spin", count: 300, observer: log.add) { _ in [0.3] }
        #expect(batch.ok == 300)
        for (i, outcome) in log.all {
            let execution = try #require(outcome.timing.executionMs)
            #expect(execution >= 0.29)
            // 0.01 ms of slack for the two clocks' rounding.
            #expect(outcome.latencyMs >= execution - 0.01, "call \(i): latency \(outcome.latencyMs) ms, ran \(execution) ms")
        }
        _ = try await provider.cleanup()
    }
}

extension SendAheadTests {
    @Test("an answer for another call (something wrote to the response pipe) fails the running call, never another's")
    func forgedAnswer() async throws {
        let provider = try await Self.deploy("node") { $0.concurrency = 2 }
        let batch = await Invoker(provider: provider).fanOut("forge", count: 60, options: CallOptions(maxRetries: 0)) { [.int($0)] }
        for (i, r) in batch.results.enumerated() {
            switch r {
            case .success(let v): #expect(v == .int(2 * i), "call \(i) got another call's answer")
            case .failure(let e):
                #expect(i % 10 == 3, "call \(i) failed: \(e.message)")
                #expect(e.kind == .transport && e.message.contains("c999999"))
            }
        }
        #expect(batch.failed == 6)
        _ = try await provider.cleanup()
    }
}

extension SendAheadTests {
    @Test("a lane and its worker share a CPU while calls are short, and float again after a slow one",
          .enabled(if: ProcessInfo.processInfo.activeProcessorCount > 1))
    func cpuPlacement() async throws {
        let provider = try await Self.deploy("python") { $0.concurrency = 1 }
        let batch = await Invoker(provider: provider).fanOut("cpus", count: 30) { i in [i < 20 ? 0 : 20] }
        #expect(batch.ok == 30)
        let sets = batch.results.map { $0.successValue?.arrayValue?.compactMap(\.intValue) ?? [] }
        let all = sets[0]
        #expect(all.count > 1, "the first call runs where the scheduler puts it")
        // A call that happens to take over 1 ms on a loaded machine leaves the next one floating: some are bound.
        let bound = (1..<20).filter { sets[$0].count == 1 }.count
        #expect(bound >= 1, "calls 1-19 ran on \(sets[1..<20])")
        // Calls 20-27 may have been sent ahead while the calls were fast, and start before the lane has read the
        // first slow answer; calls 28 and 29 are sent after it, so they float.
        for i in 28..<30 { #expect(sets[i] == all, "call \(i), after 20 ms calls, ran on \(sets[i])") }
        // An idle worker is nobody's: it is back on every CPU.
        for pid in provider.workerPids {
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            let line = status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }
            let allowed = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
                .split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }
            #expect(line == allowed)
        }
        _ = try await provider.cleanup()
    }
}

extension SendAheadTests {
    @Test("lanes that bind are spread over the CPUs: the least taken CPU first, given back on unbind")
    func placementSpreads() {
        let placement = CPUPlacement(cpus: [0, 1])
        #expect(placement.isUseful)
        #expect(!CPUPlacement(cpus: [3]).isUseful)
        let first = placement.take(), second = placement.take()
        #expect(Set([first, second]) == [0, 1], "two lanes share a CPU while the other has none")
        #expect(placement.take() == 0)
        #expect(placement.boundCounts == [2, 1])
        placement.give(0)
        placement.give(0)
        #expect(placement.take() == 0, "the least taken CPU again")
        placement.give(1)
        placement.give(7)  // not one of its CPUs: ignored
        #expect(placement.boundCounts == [1, 0])
        #expect(placement.take() == 1)
    }

    @Test("the workers of a fan-out of quick calls run on different CPUs, whichever lanes got them",
          .enabled(if: LocalProvider.cpus.count == 2))
    func workersOnDifferentCPUs() async throws {
        // More lanes than CPUs: two of the eight get the two workers, and which two is a race (a CPU fixed by
        // the lane's number put both workers on one CPU whenever lanes 0 and 2, or 1 and 3, won it).
        let provider = try await Self.deploy("python") { $0.concurrency = 8 }
        let invoker = Invoker(provider: provider)
        for round in 0..<4 {
            let batch = await invoker.fanOut("placed", count: 2000) { [.int($0)] }
            #expect(batch.ok == 2000)
            // Each bound worker's CPU, from the calls that ran bound (a call answered after one over 1 ms floats).
            var boundTo: [Int: [Int: Int]] = [:]
            for r in batch.results {
                guard let v = r.successValue?.arrayValue?.compactMap(\.intValue), v.count == 2 else { continue }
                boundTo[v[0], default: [:]][v[1], default: 0] += 1
            }
            let mostly = boundTo.compactMapValues { $0.max { $0.value < $1.value }?.key }
            if mostly.count == 2 {
                #expect(Set(mostly.values).count == 2, "round \(round): both workers ran mostly on one CPU: \(boundTo)")
            }
        }
        _ = try await provider.cleanup()
    }
}

extension Result {
    var successValue: Success? { try? get() }
    var failureValue: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
