import FaastCore
import FaastLocal
import Foundation
import Testing

@Suite("each error kind, from real workers")
struct ErrorKindTests {
    @Test("a user exception keeps its name, message, own properties, stack and log location", arguments: ["sample.js", "sample.py"])
    func userException(module: String) async throws {
        let provider = try await Fixtures.deploy(module)
        let invoker = Invoker(provider: provider)
        let outcome = await invoker.call("fail", args: ["boom"])
        let error = try #require(outcome.error)
        #expect(error.kind == .exception)
        #expect(error.message.contains("boom"))
        #expect(error.remote?.message == "boom")
        #expect(error.remote?.properties.contains(JSONMember("code", "E_FAIL")) == true)
        #expect(error.remote?.stack?.contains(module) == true)
        #expect(error.remote?.stack?.contains("trampoline") == false)
        #expect(error.logLocation?.hasPrefix("file://") == true)
        #expect(outcome.attempts == 1, "a user exception is never retried")
        _ = try await provider.cleanup()
    }

    @Test("a value with no JSON form fails as serialization, naming the function", arguments: ["sample.js", "sample.py"])
    func serialization(module: String) async throws {
        let provider = try await Fixtures.deploy(module)
        let invoker = Invoker(provider: provider)
        let outcome = await invoker.call("unserializable", args: [])
        #expect(outcome.error?.kind == .serialization)
        #expect(outcome.error?.message.contains("unserializable") == true)
        let fn = await invoker.call("returnsFunction", args: [])
        #expect(fn.error?.kind == .serialization)
        _ = try await provider.cleanup()
    }

    @Test("a timeout kills the worker, fails the call, and a fresh worker serves the next", arguments: ["sample.js", "sample.py"])
    func timeout(module: String) async throws {
        let provider = try await Fixtures.deploy(module) { $0.timeout = 1; $0.concurrency = 1 }
        let invoker = Invoker(provider: provider)
        let before = await invoker.call("pid", args: [])
        let slow = await invoker.call("sleep", args: [5000])
        #expect(slow.error?.kind == .timeout)
        #expect(slow.error?.message == "sleep exceeded its 1 s timeout")
        #expect(slow.attempts == 1, "a timeout is never retried")
        let logs = try await provider.recentLogs(function: "sleep", last: 10)
        #expect(logs.contains { $0.contains(" ABORTED sleep: sleep exceeded its 1 s timeout") },
                "the log says which call the killed worker was running: \(logs)")
        let oldPid = try #require(before.value?.intValue)
        try await Task.sleep(nanoseconds: 200_000_000)
        #expect(!processIsRunning(Int32(oldPid)), "the timed-out worker was killed")
        let after = await invoker.call("pid", args: [])
        #expect(after.value != nil && after.value != before.value, "a new worker replaced it")
        _ = try await provider.cleanup()
    }

    @Test("exceeding memorySize fails as out of memory", arguments: ["sample.js", "sample.py"])
    func outOfMemory(module: String) async throws {
        let provider = try await Fixtures.deploy(module) { $0.memoryMb = 64; $0.timeout = 30 }
        let invoker = Invoker(provider: provider)
        let outcome = await invoker.call("allocate", args: [400])
        #expect(outcome.error?.kind == .outOfMemory, "got \(String(describing: outcome.error))")
        #expect(outcome.attempts == 1, "out of memory is never retried")
        let next = await invoker.call("hello", args: ["again"])
        #expect(next.value == "hello again!")
        _ = try await provider.cleanup()
    }

    @Test("a worker that exits mid-call fails that call with its exit code; the session carries on", arguments: ["sample.js", "sample.py"])
    func workerExit(module: String) async throws {
        let provider = try await Fixtures.deploy(module)
        let invoker = Invoker(provider: provider)
        let outcome = await invoker.call("exitWith", args: [3], options: CallOptions(maxRetries: 0))
        let error = try #require(outcome.error)
        #expect(error.kind == .workerExited)
        #expect(error.message.contains("exited with code 3"))
        let killed = await invoker.call("killSelf", args: ["SIGKILL"], options: CallOptions(maxRetries: 0))
        #expect(killed.error?.kind == .workerExited)
        #expect(killed.error?.message.contains("SIGKILL") == true)
        #expect(await invoker.call("hello", args: ["x"]).value == "hello x!")
        _ = try await provider.cleanup()
    }

    @Test("an answer faast cannot read fails the call as serialization, never run again; the next call gets a fresh worker")
    func unreadableAnswer() async throws {
        let path = Fixtures.writeModule("garble.js", """
            exports.garble = function garble() { require('fs').writeSync(4, '{"callId": nope\\n'); return 1; };
            exports.ok = function ok(x) { return x; };
            """)
        let provider = try await LocalProviderFactory(stateDirectory: Fixtures.stateDirectory())
            .deploy(try resolveModule(path), settings: DeploySettings())
        let invoker = Invoker(provider: provider)
        let outcome = await invoker.call("garble", args: [], options: CallOptions(maxRetries: 5, maxReruns: 5))
        #expect(outcome.error?.kind == .serialization)
        #expect(outcome.error?.message.hasPrefix("the result of garble could not be read") == true)
        #expect(outcome.attempts == 1)
        #expect(await invoker.call("ok", args: [5]).value == 5)
        _ = try await provider.cleanup()
    }

    @Test("a lost worker's call runs once by default; rerun=N runs it again, counted as re-runs")
    func rerunsLostWorkers() async throws {
        let provider = try await Fixtures.deploy("sample.js")
        let invoker = Invoker(provider: provider)
        let once = await invoker.call("exitWith", args: [3])
        #expect(once.attempts == 1, "a call that may have run is not run again unless asked")
        #expect(once.error?.kind == .workerExited)
        #expect(once.error?.message.contains("it may have run, so faast did not run it again; rerun=N allows that") == true)
        let outcome = await invoker.call("exitWith", args: [3], options: CallOptions(maxReruns: 2))
        #expect(outcome.attempts == 3)
        #expect(outcome.reruns == 2 && outcome.retries == 0)
        #expect(outcome.error?.kind == .workerExited)
        #expect(outcome.error?.message.contains("after 3 attempts") == true)
        #expect(invoker.stats.function("exitWith")?.reruns == 2)
        #expect(invoker.stats.function("exitWith")?.retries == 0)
        let ok = await invoker.call("fail", args: ["no retry"], options: CallOptions(maxReruns: 2))
        #expect(ok.attempts == 1, "the function's own exception is never run again")
        _ = try await provider.cleanup()
    }

    @Test("a module that fails to load names its file and line", arguments: [("broken.js", "broken.js:3"), ("broken.py", "broken.py:3")])
    func loadError(module: String, place: String) async throws {
        await #expect {
            _ = try await Fixtures.deploy(module)
        } throws: { error in
            let e = error as? FaastError
            return e?.kind == .deployFailed && e?.message.contains(place) == true
        }
    }

    @Test("a module whose import throws reports its own error text")
    func throwsOnLoad() async throws {
        for module in ["throws_on_load.js", "throws_on_load.py"] {
            do {
                _ = try await Fixtures.deploy(module)
                Issue.record("\(module) deployed")
            } catch let e as FaastError {
                #expect(e.kind == .deployFailed)
                #expect(e.message.contains("failed to load"), "\(e.message)")
            }
        }
    }

    @Test("a module with no functions, a missing file and an unknown extension are clear errors")
    func badModules() async throws {
        for module in ["nofunctions.js", "nofunctions.py"] {
            do {
                _ = try await Fixtures.deploy(module)
                Issue.record("\(module) deployed")
            } catch let e as FaastError {
                #expect(e.message.contains("has no functions"), "\(e.message)")
            }
        }
        #expect(throws: FaastError.self) { try resolveModule("/nonexistent/f.js") }
        do {
            _ = try resolveModule(Fixtures.module("../../../README.md"))
        } catch {
            #expect(error.message.contains("unknown module type"))
        }
    }

    @Test("a failed deploy removes its session directory")
    func failedDeployCleansUp() async throws {
        let state = Fixtures.stateDirectory()
        let spec = try resolveModule(Fixtures.module("broken.py"))
        _ = try? await LocalProviderFactory(stateDirectory: state).deploy(spec, settings: DeploySettings())
        #expect(try FileManager.default.contentsOfDirectory(atPath: state).isEmpty)
    }
}
