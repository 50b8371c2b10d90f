// Drivers for scripts/bench: the pieces the faast binary cannot show alone.
//
//   faast-bench aws-invoke --endpoint URL [--requests N] [--concurrency C] [--warmup W]
//
// aws-invoke: N signed Lambda Invoke requests through faast's AWSClient (SigV4 + the libcurl multi client)
// against an endpoint that answers at once, from C concurrent tasks; each response body is parsed as JSON,
// as the provider does. Prints one JSON object: requests/s, process CPU seconds (getrusage, user + system)
// and per-request latency percentiles. W requests (default 2×C) go first, untimed, to open the connections.
import FaastAWS
import FaastCore
import Foundation
import Synchronization

struct Options {
    var endpoint = "http://127.0.0.1:8080"
    var requests = 20_000
    var concurrency = 32
    var warmup: Int?
}

func usage(_ message: String) -> Never {
    FileHandle.standardError.write(Data("faast-bench: \(message)\nusage: faast-bench aws-invoke --endpoint URL [--requests N] [--concurrency C] [--warmup W]\n".utf8))
    exit(2)
}

func number(_ key: String, _ value: String) -> Int {
    guard let n = Int(value) else { usage("bad \(key) \(value)") }
    return n
}

func parseOptions(_ args: ArraySlice<String>) -> Options {
    var o = Options()
    var i = args.startIndex
    while i < args.endIndex {
        let key = args[i]
        guard i + 1 < args.endIndex else { usage("\(key) needs a value") }
        let value = args[i + 1]
        switch key {
        case "--endpoint": o.endpoint = value
        case "--requests": o.requests = number(key, value)
        case "--concurrency": o.concurrency = number(key, value)
        case "--warmup": o.warmup = number(key, value)
        default: usage("unknown option \(key)")
        }
        i += 2
    }
    if o.requests < 1 || o.concurrency < 1 { usage("--requests and --concurrency must be positive") }
    return o
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return s(usage.ru_utime) + s(usage.ru_stime)
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

final class Counter: Sendable {
    private let next = Atomic<Int>(0)
    func take() -> Int { next.add(1, ordering: .relaxed).oldValue }
}

struct Tally: Sendable {
    var ok = 0
    var failed = 0
    var firstError: String?
    var latencies: [Double] = []
}

/// Sends `total` requests from `concurrency` tasks; each task takes the next index until none are left.
func run(client: AWSClient, payload: [UInt8], total: Int, concurrency: Int) async -> Tally {
    let counter = Counter()
    return await withTaskGroup(of: Tally.self) { group in
        for _ in 0..<min(concurrency, total) {
            group.addTask {
                var tally = Tally()
                tally.latencies.reserveCapacity(total / concurrency + 1)
                while counter.take() < total {
                    let start = monotonicSeconds()
                    do {
                        let response = try await client.benchInvoke(function: "f", payload: payload, timeout: 30)
                        if response.status == 200, (try? JSONParser.parse(bytes: response.body)) != nil {
                            tally.ok += 1
                        } else {
                            tally.failed += 1
                            if tally.firstError == nil { tally.firstError = "HTTP \(response.status): \(response.bodyText.prefix(200))" }
                        }
                    } catch {
                        tally.failed += 1
                        if tally.firstError == nil { tally.firstError = "\(error)" }
                    }
                    tally.latencies.append((monotonicSeconds() - start) * 1000)
                }
                return tally
            }
        }
        var all = Tally()
        for await t in group {
            all.ok += t.ok
            all.failed += t.failed
            all.firstError = all.firstError ?? t.firstError
            all.latencies += t.latencies
        }
        return all
    }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
    return sorted[max(0, min(sorted.count - 1, rank))]
}

func awsInvoke(_ o: Options) async {
    let client = AWSClient(
        credentials: AWSCredentials(accessKeyId: "x", secretAccessKey: "y"), region: "us-east-1",
        environment: ["AWS_ENDPOINT_URL": o.endpoint])
    let payload = Array(WireProtocol.callRequest(callId: "c", function: "noop", args: [.int(1)]).utf8)
    let warm = await run(client: client, payload: payload, total: o.warmup ?? 2 * o.concurrency, concurrency: o.concurrency)
    if warm.ok == 0 && warm.failed > 0 {
        FileHandle.standardError.write(Data("faast-bench: warm-up failed: \(warm.firstError ?? "?")\n".utf8))
        exit(1)
    }
    let cpu0 = cpuSeconds()
    let t0 = monotonicSeconds()
    let tally = await run(client: client, payload: payload, total: o.requests, concurrency: o.concurrency)
    let elapsed = monotonicSeconds() - t0
    let cpu = cpuSeconds() - cpu0
    let sorted = tally.latencies.sorted()
    var fields: [(String, JSONValue)] = [
        ("requests", .int(o.requests)), ("concurrency", .int(o.concurrency)), ("ok", .int(tally.ok)),
        ("failed", .int(tally.failed)), ("elapsedSeconds", .double(elapsed)),
        ("requestsPerSecond", .double(Double(o.requests) / elapsed)), ("cpuSeconds", .double(cpu)),
        ("cpuMicrosPerRequest", .double(cpu / Double(o.requests) * 1e6)),
        ("latencyMsP50", .double(percentile(sorted, 50))), ("latencyMsP99", .double(percentile(sorted, 99))),
    ]
    if let e = tally.firstError { fields.append(("firstError", .string(e))) }
    print(JSONValue.object(fields.map { JSONMember($0.0, $0.1) }).jsonText)
    exit(tally.failed == 0 ? 0 : 1)
}

let arguments = CommandLine.arguments.dropFirst()
guard let command = arguments.first else { usage("no benchmark named") }
switch command {
case "aws-invoke": await awsInvoke(parseOptions(arguments.dropFirst()))
default: usage("unknown benchmark '\(command)'")
}
