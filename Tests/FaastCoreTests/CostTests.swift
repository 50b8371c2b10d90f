import Testing
@testable import FaastCore

private func close(_ a: Double, _ b: Double, relative: Double = 1e-12) -> Bool {
    abs(a - b) <= relative * max(abs(a), abs(b))
}

private func usage(requests: Int, billedMs: Double, queueCalls: Int = 0) -> Usage {
    var u = Usage()
    u.requests = requests
    u.billedMs = billedMs
    u.queueCalls = queueCalls
    return u
}

@Suite("Cost")
struct CostTests {
    @Test func lambdaMetricsByHand() throws {
        let metrics = LambdaPrices.builtIn.metrics(usage: usage(requests: 1000, billedMs: 123_456), memoryMb: 1769)
        #expect(metrics.map(\.name) == ["functionCallDuration", "functionCallRequests"])
        let duration = metrics[0], requests = metrics[1]
        // 123.456 s × 1769/1024 GB = 213.2750625 GB-s; × $0.0000166667 = $0.00355459148416875.
        #expect(duration.unit == "GB-second")
        #expect(close(duration.measured, 213.2750625))
        #expect(duration.price == 0.0000166667)
        #expect(close(duration.cost, 0.00355459148416875))
        #expect(duration.note == "1769 MB, 1 ms billing")
        #expect(!duration.informational)
        // 1000 requests × $0.20 per million.
        #expect(requests.unit == "request")
        #expect(requests.measured == 1000)
        #expect(close(requests.cost, 0.0002))
        let snapshot = CostSnapshot(provider: "aws", metrics: metrics, priceSource: LambdaPrices.builtIn.source)
        #expect(close(snapshot.total, 0.00355459148416875 + 0.0002))

        let arm = LambdaPrices.builtIn.metrics(usage: usage(requests: 1000, billedMs: 123_456), memoryMb: 1769, arm64: true)
        #expect(close(arm[0].cost, 0.0028436817183375))
        #expect(arm[0].price == 0.0000133334)
    }

    @Test func oneGBSecond() {
        let m = LambdaPrices.builtIn.metrics(usage: usage(requests: 1, billedMs: 1000), memoryMb: 1024)
        #expect(m[0].measured == 1)
        #expect(m[0].cost == 0.0000166667)
    }

    @Test func queueUsageAddsSNSAndSQS() {
        let metrics = LambdaPrices.builtIn.metrics(usage: usage(requests: 12, billedMs: 500, queueCalls: 10), memoryMb: 128)
        #expect(metrics.map(\.name) == ["functionCallDuration", "functionCallRequests", "snsPublish", "sqsRequests"])
        #expect(metrics[2].measured == 10 && metrics[2].price == 0.0000005 && metrics[2].unit == "request")
        // Each response is sent, received and deleted.
        #expect(metrics[3].measured == 30 && metrics[3].price == 0.0000004)
        #expect(close(metrics[2].cost + metrics[3].cost, 10 * 0.0000005 + 30 * 0.0000004))
        #expect(close(metrics[0].measured, 0.5 * 128 / 1024))
    }

    @Test func responseBytesArePricedAsDataTransferOut() throws {
        var u = usage(requests: 4, billedMs: 10)
        u.bytes = 3 * 1_073_741_824 / 2
        let metrics = LambdaPrices.builtIn.metrics(usage: u, memoryMb: 1024)
        #expect(metrics.map(\.name) == ["functionCallDuration", "functionCallRequests", "dataOutbound"])
        let data = try #require(metrics.last)
        #expect(data.unit == "GB" && data.measured == 1.5 && data.price == 0.09)
        #expect(close(data.cost, 0.135))
        #expect(!data.informational)
    }

    static let sample = CostSnapshot(
        provider: "local",
        metrics: [
            CostMetric(name: "localCompute", unit: "second", price: 1, measured: 100, informational: true, note: "your machine"),
            CostMetric(name: "functionCallRequests", unit: "request", price: 0.0000002, measured: 1000),
            CostMetric(name: "dataOut", unit: "GB", price: 0.09, measured: 0.5, note: "egress, estimated"),
        ],
        priceSource: "built-in table",
        notes: ["note one", "note two"],
        lambdaEstimate: [
            CostMetric(name: "functionCallDuration", unit: "GB-second", price: 0.0000166667, measured: 3),
            CostMetric(name: "functionCallRequests", unit: "request", price: 0.0000002, measured: 1000),
        ])

    @Test func totalIgnoresInformationalMetrics() {
        let s = Self.sample
        #expect(s.metrics[0].cost == 0)
        #expect(close(s.total, 0.0002 + 0.045))
        #expect(close(s.estimateTotal!, 3 * 0.0000166667 + 0.0002))
        let informationalOnly = CostSnapshot(
            provider: "local", metrics: [CostMetric(name: "x", unit: "s", price: 5, measured: 5, informational: true)],
            priceSource: "p")
        #expect(informationalOnly.total == 0)
        #expect(informationalOnly.estimateTotal == nil)
    }

    @Test func csvRows() {
        let csv = Self.sample.csv
        let lines = csv.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "metric,unit,price,measured,cost,informational,note")
        #expect(csv.hasSuffix("\n"))
        // Header, 3 metrics, 2 estimate rows, and the empty string after the final newline.
        #expect(lines.count == 1 + 3 + 2 + 1)
        #expect(lines[1] == "localCompute,second,1.0,100.0,0.0,true,your machine")
        #expect(lines[3] == "dataOut,GB,0.09,0.5,0.045,false,\"egress, estimated\"")
        #expect(lines[4].hasPrefix("lambda-estimate:functionCallDuration,GB-second,"))
        #expect(lines[5].hasPrefix("lambda-estimate:functionCallRequests,"))
        // Every data row has the header's 7 fields (the quoted note holds a comma).
        for line in lines.dropFirst().dropLast() where !line.contains("\"") {
            #expect(line.split(separator: ",", omittingEmptySubsequences: false).count == 7, "\(line)")
        }
        let plain = CostSnapshot(provider: "aws", metrics: [], priceSource: "p").csv
        #expect(plain == "metric,unit,price,measured,cost,informational,note\n")
        let quoted = CostSnapshot(provider: "aws", metrics: [CostMetric(name: "m", unit: "u", price: 1, measured: 1, note: #"say "hi""#)],
                                  priceSource: "p").csv
        #expect(quoted.hasSuffix(#",1.0,1.0,1.0,false,"say ""hi"""\#n"#))
    }

    @Test func jsonHasTotalsMetricsAndEstimate() throws {
        let json = Self.sample.json
        #expect(json["provider"] == "local")
        #expect(json["priceSource"] == "built-in table")
        #expect(close(json["total"]!.doubleValue!, 0.0452))
        let metrics = try #require(json["metrics"]?.arrayValue)
        #expect(metrics.count == 3)
        #expect(metrics.map { $0["name"]?.stringValue } == ["localCompute", "functionCallRequests", "dataOut"])
        #expect(metrics[0]["informational"] == true)
        #expect(metrics[0]["cost"]?.doubleValue == 0)
        #expect(metrics[0]["note"] == "your machine")
        #expect(metrics[1]["note"] == nil)
        #expect(close(metrics[2]["share"]!.doubleValue!, 0.045 / 0.0452))
        #expect(json["notes"] == ["note one", "note two"])
        let estimate = try #require(json["lambdaEstimate"])
        #expect(close(estimate["total"]!.doubleValue!, 3 * 0.0000166667 + 0.0002))
        #expect(estimate["metrics"]?.arrayValue?.count == 2)
        // The text is valid JSON that reads back the same.
        #expect(try JSONParser.parse(json.jsonText) == json)

        let withoutEstimate = CostSnapshot(provider: "aws", metrics: Self.sample.metrics, priceSource: "p").json
        #expect(withoutEstimate["lambdaEstimate"] == nil)
        #expect(withoutEstimate["total"] != nil && withoutEstimate["metrics"] != nil)
    }

    @Test("measured quantities read as plain numbers with their unit, never in exponent notation")
    func quantitiesForPeople() {
        #expect(CostSnapshot.quantity(1000) == "1000")
        #expect(CostSnapshot.quantity(0.068) == "0.068")
        #expect(CostSnapshot.quantity(1.20141e-07) == "0.000000120141")
        #expect(CostSnapshot.quantity(213.2750625) == "213.275")
        #expect(CostSnapshot.quantity(0.5 * 128 / 1024) == "0.0625")
        #expect(CostSnapshot.unit("request", 51) == "requests")
        #expect(CostSnapshot.unit("request", 1) == "request")
        #expect(CostSnapshot.unit("GB-second", 0.068) == "GB-seconds")
        #expect(CostSnapshot.unit("GB", 1.2e-7) == "GB")
        let snapshot = CostSnapshot(provider: "aws", metrics: [
            CostMetric(name: "dataOutbound", unit: "GB", price: 0.09, measured: 1.20141e-07, note: "responses received"),
        ], priceSource: "built-in table")
        #expect(snapshot.text.contains("0.000000120141 GB "), "\(snapshot.text)")
        #expect(!snapshot.text.contains("e-0"))
    }

    @Test func textNamesEveryMetric() {
        let text = Self.sample.text
        for m in Self.sample.metrics + Self.sample.lambdaEstimate! { #expect(text.contains(m.name), "\(m.name)") }
        #expect(text.hasPrefix("cost on local (prices: built-in table)"))
        #expect(text.contains("estimate: the same calls on AWS Lambda"))
        #expect(text.contains("your machine (not billed)"))
        #expect(text.contains("total  $0.0452"))
        #expect(text.hasSuffix("note one\nnote two"))
        let lines = text.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("metric") && $0.contains("price") && $0.contains("share") })
        // Shares of billed metrics: 0.0002/0.0452 and 0.045/0.0452.
        #expect(text.contains("0.4%") && text.contains("99.6%"))
    }

    @Test("usd formatting", arguments: [(0.0, "$0"), (0.0452, "$0.0452"), (1234.5, "$1234.5000"),
                                         (0.0000166667, "$0.00001667"), (0.00999, "$0.00999000")])
    func usd(_ value: Double, _ text: String) {
        #expect(CostSnapshot.usd(value) == text)
    }
}
