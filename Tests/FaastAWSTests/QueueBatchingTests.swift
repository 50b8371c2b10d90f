import FaastCore
import Foundation
import Synchronization
import Testing

@testable import FaastAWS

/// The pieces of batched queue mode: when `PublishBatcher` sends, what each entry's outcome is, and how many
/// long-poll loops run. End to end against moto (request counts, partial failures, lost answers): Tests/aws/
/// test_queue_batching.py.
@Suite("batched queue mode")
struct QueueBatchingTests {
    /// A PublishBatch stand-in that records each batch's messages and answers only when the test releases it
    /// (the test decides when a send is "in flight").
    final class HeldSends: Sendable {
        private struct State {
            var batches: [[String]] = []
            var held: [CheckedContinuation<PublishBatchAnswer, any Error>] = []
        }
        private let state = Mutex(State())

        var batches: [[String]] { state.withLock { $0.batches } }

        func send(_ messages: [String]) async throws -> PublishBatchAnswer {
            try await withCheckedThrowingContinuation { c in
                state.withLock { s in
                    s.batches.append(messages)
                    s.held.append(c)
                }
            }
        }

        /// Answers the oldest held send: every entry published.
        func releaseOldest() {
            let next = state.withLock { s -> (CheckedContinuation<PublishBatchAnswer, any Error>, Int)? in
                s.held.isEmpty ? nil : (s.held.removeFirst(), s.batches[s.batches.count - s.held.count - 1].count)
            }
            if let (c, n) = next { c.resume(returning: PublishBatchAnswer(published: Set((0..<n).map { "e\($0)" }))) }
        }

        /// Waits (bounded: 10 s, a hang guard, not a timing expectation) until `count` batches were sent.
        func waitFor(_ count: Int) async -> Bool {
            await QueueBatchingTests.until { batches.count >= count }
        }
    }

    /// Waits (bounded: 10 s, a hang guard) until `condition` holds.
    static func until(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<1000 {
            if condition() { return true }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return false
    }

    static func entry(_ i: Int, bytes: Int = 1) -> PublishBatcher.Entry {
        PublishBatcher.Entry(callId: "c\(i)", function: "f", message: "m\(i)" + String(repeating: "x", count: max(0, bytes - 2))) { _ in }
    }

    /// A batcher whose first request (`m0`, alone) is in flight, held.
    static func oneInFlight() async -> (HeldSends, PublishBatcher) {
        let sends = HeldSends()
        let batcher = PublishBatcher(maxSends: 8, maxLinger: 3600, send: sends.send)
        batcher.submit(Self.entry(0))
        #expect(await sends.waitFor(1))
        return (sends, batcher)
    }

    @Test("a lone request goes at once; requests arriving during a send go in full batches, a partial one when nothing is in flight")
    func gathering() async {
        let (sends, batcher) = await Self.oneInFlight()
        #expect(sends.batches == [["m0"]])
        for i in 1...25 { batcher.submit(Self.entry(i)) }
        #expect(await sends.waitFor(3))
        #expect(sends.batches.map(\.count) == [1, 10, 10])
        #expect(sends.batches[1].first == "m1" && sends.batches[2].last == "m20")
        // The 5 left wait while any send is in flight, then go together.
        sends.releaseOldest()
        sends.releaseOldest()
        #expect(await Self.until { batcher.sending == 1 })
        #expect(sends.batches.count == 3)
        sends.releaseOldest()
        #expect(await sends.waitFor(4))
        #expect(sends.batches.last == ["m21", "m22", "m23", "m24", "m25"])
        sends.releaseOldest()
        #expect(batcher.sent.batches == 4 && batcher.sent.entries == 26 && batcher.sent.billedRequests == 4)
    }

    @Test("in a fan-out a partial batch waits for more within the gather window, a full one never does")
    func gatherWindow() async {
        let sends = HeldSends()
        let batcher = PublishBatcher(maxSends: 8, gatherWindow: 3600, send: sends.send)
        for i in 0..<9 { batcher.submit(Self.entry(i), moreExpected: true) }
        #expect(sends.batches.isEmpty)
        batcher.submit(Self.entry(9), moreExpected: true)
        #expect(await sends.waitFor(1))
        #expect(sends.batches.map(\.count) == [10])
        // The next one waits: a send is in flight (and the window is open).
        batcher.submit(Self.entry(10), moreExpected: true)
        #expect(batcher.stop().map(\.callId) == ["c10"])
        sends.releaseOldest()
    }

    @Test("a partial batch behind a send that does not answer goes after the linger time, on a free slot")
    func linger() async {
        let sends = HeldSends()
        let batcher = PublishBatcher(maxSends: 8, maxLinger: 0.01, send: sends.send)
        batcher.submit(Self.entry(0))
        #expect(await sends.waitFor(1))
        for i in 1...3 { batcher.submit(Self.entry(i)) }
        #expect(await sends.waitFor(2))
        #expect(sends.batches == [["m0"], ["m1", "m2", "m3"]])
        sends.releaseOldest()
        sends.releaseOldest()
    }

    @Test("a batch holds at most 256 KB of messages and 10 entries")
    func limits() async {
        let (sends, batcher) = await Self.oneInFlight()
        for i in 1...5 { batcher.submit(Self.entry(i, bytes: 100 * 1024)) }
        #expect(await sends.waitFor(3))
        #expect(sends.batches.map(\.count) == [1, 2, 2])
        #expect(batcher.sent.billedRequests == 1 + 4 + 4)
        for _ in 0..<3 { sends.releaseOldest() }
        #expect(await sends.waitFor(4))
        #expect(sends.batches.last?.count == 1)
        sends.releaseOldest()
    }

    @Test("a request not sent yet can be taken back; stopping drops what was not sent")
    func withdrawAndStop() async {
        let sends = HeldSends()
        let batcher = PublishBatcher(maxSends: 1, maxLinger: 3600, send: sends.send)
        for i in 0..<4 { batcher.submit(Self.entry(i)) }
        #expect(await sends.waitFor(1))
        #expect(batcher.withdraw("c0") == false)
        #expect(batcher.withdraw("c2") == true)
        #expect(batcher.stop().map(\.callId) == ["c1", "c3"])
        let refused = Mutex<FaastError?>(nil)
        batcher.submit(PublishBatcher.Entry(callId: "c9", function: "f", message: "m9") { outcome in
            if case .refused(let e) = outcome { refused.withLock { $0 = e } }
        })
        #expect(refused.withLock { $0?.kind } == .cancelled)
        sends.releaseOldest()
        #expect(sends.batches.count == 1)
    }

    @Test("SNS's answer: published entries, refused ones with their code and fault side")
    func answer() {
        let xml = """
            <PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful><member>\
            <Id>e0</Id><MessageId>0703d1f5</MessageId></member><member><Id>e2</Id><MessageId>d875</MessageId></member></Successful>\
            <Failed><member><Id>e1</Id><Code>InternalError</Code><Message>a &amp; b</Message><SenderFault>false</SenderFault></member>\
            <member><Id>e3</Id><Code>InvalidParameter</Code><Message>bad</Message><SenderFault>true</SenderFault></member></Failed>\
            </PublishBatchResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishBatchResponse>
            """
        let answer = PublishBatchAnswer(xml: xml)
        #expect(answer.published == ["e0", "e2"])
        #expect(answer.refused["e1"] == .init(code: "InternalError", message: "a & b", senderFault: false))
        #expect(answer.refused["e3"]?.senderFault == true)
        let empty = PublishBatchAnswer(xml: "<PublishBatchResult><Successful/><Failed/></PublishBatchResult>")
        #expect(empty.published.isEmpty && empty.refused.isEmpty)
    }

    @Test("each entry's outcome: refused ones go again only when they provably did not start; an unclear answer is never sent again")
    func outcomes() {
        let batch = (0..<5).map { Self.entry($0) }
        let answer = PublishBatchAnswer(published: ["e0"], refused: [
            "e1": .init(code: "Throttling", message: "slow down", senderFault: true),
            "e2": .init(code: "InternalError", message: "oops", senderFault: false),
            "e3": .init(code: "InvalidParameter", message: "bad", senderFault: true),
        ])
        let outcomes = PublishBatcher.outcomes(of: batch, answer: .success(answer))
        guard case .published = outcomes[0] else { Issue.record("\(outcomes[0])"); return }
        guard case .refused(let throttled) = outcomes[1], case .refused(let snsFault) = outcomes[2],
              case .refused(let senderFault) = outcomes[3], case .unclear(let unlisted) = outcomes[4] else {
            Issue.record("\(outcomes)")
            return
        }
        #expect(throttled.kind == .throttled && throttled.attemptDidNotStart)
        #expect(snsFault.attemptDidNotStart && !snsFault.mayHaveRun)
        #expect(!senderFault.attemptDidNotStart && !senderFault.mayHaveRun)
        #expect(senderFault.message == "SNS refused the request of f: SNS InvalidParameter: bad")
        #expect(unlisted == "f on Lambda: SNS's PublishBatch answer did not list it")

        // The whole request: lost after sending, or a server error, leaves every entry unclear.
        let lost = HTTPTransportError(code: 56, reach: .maybeSent, method: "POST", url: "http://sns", detail: "reset")
        let server = AWSServiceError(service: "SNS", status: 500, code: "InternalFailure", message: "x")
        for error in [lost, server] as [any Error] {
            #expect(PublishBatcher.outcomes(of: batch, answer: .failure(error)).allSatisfy {
                if case .unclear = $0 { return true } else { return false }
            })
        }
        // Never sent, or throttled as a whole: every entry may go again.
        let notSent = HTTPTransportError(code: 7, reach: .notSent, method: "POST", url: "http://sns", detail: "refused")
        let throttledAll = AWSServiceError(service: "SNS", status: 400, code: "Throttling", message: "x")
        for error in [notSent, throttledAll] as [any Error] {
            #expect(PublishBatcher.outcomes(of: batch, answer: .failure(error)).allSatisfy {
                if case .refused(let e) = $0 { return e.attemptDidNotStart } else { return false }
            })
        }
    }

    @Test("long-poll loops scale with the calls waiting: none idle, one per 50, at most 16")
    func pollers() {
        #expect(QueueTransport.wantedPollers(waiting: 0) == 0)
        #expect(QueueTransport.wantedPollers(waiting: 1) == 1)
        #expect(QueueTransport.wantedPollers(waiting: 50) == 1)
        #expect(QueueTransport.wantedPollers(waiting: 51) == 2)
        #expect(QueueTransport.wantedPollers(waiting: 100_000) == QueueTransport.maxPollers)
    }
}
