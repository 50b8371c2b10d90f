import FaastCore
import Synchronization

/// Gathers queue calls' requests into SNS `PublishBatch` requests (up to 10 entries, 256 KB in all), without
/// holding back a lone call: a request goes at once when no PublishBatch is in flight and no other call is
/// expected; while one is in flight, requests gather and go as soon as 10 are waiting, when nothing is in flight
/// any more, or after `maxLinger`. In a fan-out (other calls in flight, whose answers start the next calls a few
/// at a time), a partial batch waits at most `gatherWindow` for more. At most `maxSends` are in flight.
///
/// Each entry's fate is reported on its own (`PublishOutcome`): SNS lists the entries it published and the ones
/// it refused; a refused entry was provably not published, so its call may go again. When the answer to the
/// whole request is lost or is a server error, every entry in it may have been published: they are never sent
/// again (a call that may run twice would break "at most once").
final class PublishBatcher: Sendable {
    /// One call's request, and where its outcome goes (called once, from the task that sent it).
    struct Entry: Sendable {
        var callId: String
        var function: String
        var message: String
        var done: @Sendable (PublishOutcome) -> Void

        var bytes: Int { message.utf8.count }
    }

    /// SNS's limits: entries per PublishBatch, and the total size of their messages.
    static let maxEntries = 10
    static let maxBytes = 256 * 1024

    /// Sends one batch's messages (entry `i` has the batch id `e<i>`).
    typealias Send = @Sendable ([String]) async throws -> PublishBatchAnswer

    let maxSends: Int
    /// How long a partial batch waits for more requests when more are expected (a fan-out's next calls).
    let gatherWindow: Double
    /// How long a partial batch waits behind sends in flight before it takes a free slot anyway (so a slow send
    /// does not hold the calls that arrive behind it).
    let maxLinger: Double
    private let send: Send

    private struct State {
        var pending: [Entry] = []
        var sending = 0
        /// A timer bounds how long pending requests wait: the gather window, or `maxLinger` behind sends in flight.
        var timerArmed = false
        /// The gather window is open: a partial batch waits for it even with nothing in flight.
        var gathering = false
        var stopped = false
        var batches = 0
        var entriesSent = 0
        /// Billing units of what was sent: SNS bills each 64 KB of a request's payload as one request.
        var billedRequests = 0
    }
    private let state = Mutex(State())

    init(maxSends: Int = 8, gatherWindow: Double = 0.005, maxLinger: Double = 0.05, send: @escaping Send) {
        self.maxSends = maxSends
        self.gatherWindow = gatherWindow
        self.maxLinger = maxLinger
        self.send = send
    }

    /// PublishBatch requests sent, the entries they carried, and SNS's billing units for them.
    var sent: (batches: Int, entries: Int, billedRequests: Int) {
        state.withLock { ($0.batches, $0.entriesSent, $0.billedRequests) }
    }

    /// PublishBatch requests in flight.
    var sending: Int { state.withLock { $0.sending } }

    /// Queues `entry` and sends what may go now. `moreExpected`: other calls are in flight, so more requests
    /// are likely to follow within the gather window.
    func submit(_ entry: Entry, moreExpected: Bool = false) {
        let accepted = state.withLock { s -> Bool in
            guard !s.stopped else { return false }
            s.pending.append(entry)
            if moreExpected && s.sending == 0 && !s.timerArmed && s.pending.count < Self.maxEntries { s.gathering = true }
            pump(&s)
            return true
        }
        if !accepted { entry.done(.refused(FaastError(.cancelled, "\(entry.function) was cancelled before it was sent"))) }
    }

    /// Takes back a request that was not sent yet; false when it was (or is being) sent.
    func withdraw(_ callId: String) -> Bool {
        state.withLock { s in
            guard let i = s.pending.firstIndex(where: { $0.callId == callId }) else { return false }
            s.pending.remove(at: i)
            return true
        }
    }

    /// Sends nothing more; the requests not sent yet are dropped (their calls never ran) and returned.
    @discardableResult
    func stop() -> [Entry] {
        state.withLock { s in
            s.stopped = true
            defer { s.pending = [] }
            return s.pending
        }
    }

    /// Sends (under the lock) the batches that may go now: full ones while slots are free, and a partial one only
    /// when nothing else is in flight and no gather window is open, or when the timer fired (`timerFired`): so a
    /// lone call never waits, and calls arriving during a send gather instead of going one by one. Arms the timer
    /// for what is left.
    private func pump(_ s: inout State, timerFired: Bool = false) {
        while !s.stopped, !s.pending.isEmpty, s.sending < maxSends {
            var n = 0, bytes = 0
            while n < s.pending.count, n < Self.maxEntries, n == 0 || bytes + s.pending[n].bytes <= Self.maxBytes {
                bytes += s.pending[n].bytes
                n += 1
            }
            let full = n == Self.maxEntries || n < s.pending.count
            if !full && !timerFired && (s.sending > 0 || s.gathering) { break }
            let batch = Array(s.pending.prefix(n))
            s.pending.removeFirst(n)
            s.sending += 1
            s.batches += 1
            s.entriesSent += n
            s.billedRequests += max(1, (bytes + 64 * 1024 - 1) / (64 * 1024))
            launch(batch)
        }
        guard !s.stopped, !s.pending.isEmpty, !s.timerArmed else { return }
        s.timerArmed = true
        let wait = s.gathering ? gatherWindow : maxLinger
        Task.detached { [self] in
            try? await Task.sleep(nanoseconds: UInt64(wait * 1e9))
            state.withLock { s in
                s.timerArmed = false
                s.gathering = false
                pump(&s, timerFired: true)
            }
        }
    }

    private func launch(_ batch: [Entry]) {
        Task.detached { [self] in
            let answer: Result<PublishBatchAnswer, any Error>
            do {
                answer = .success(try await send(batch.map(\.message)))
            } catch {
                answer = .failure(error)
            }
            for (entry, outcome) in zip(batch, Self.outcomes(of: batch, answer: answer)) { entry.done(outcome) }
            state.withLock { s in
                s.sending -= 1
                pump(&s)
            }
        }
    }

    /// What became of each entry of a batch, from SNS's answer or the error of the whole request.
    static func outcomes(of batch: [Entry], answer: Result<PublishBatchAnswer, any Error>) -> [PublishOutcome] {
        batch.enumerated().map { i, entry in
            switch answer {
            case .failure(let error):
                let mapped = AWSErrors.invocationError(error, function: entry.function)
                return mapped.kind == .mayHaveRun ? .unclear(mapped.message) : .refused(mapped)
            case .success(let answer):
                let id = "e\(i)"
                if answer.published.contains(id) { return .published }
                if let refusal = answer.refused[id] { return .refused(refusal.error(function: entry.function)) }
                return .unclear(AWSErrors.mayHaveRun(entry.function, because: "SNS's PublishBatch answer did not list it").message)
            }
        }
    }
}

/// What became of one entry of a PublishBatch.
enum PublishOutcome: Sendable {
    case published
    /// Provably not published: its call fails with this error (retried automatically when it says the attempt
    /// did not start: throttled, or a fault on SNS's side for that entry).
    case refused(FaastError)
    /// It may have been published: its call waits for its record, and fails as `mayHaveRun` (this reason)
    /// if none comes.
    case unclear(String)
}

/// SNS's answer to a PublishBatch: the entries it published and the ones it refused, by batch id.
struct PublishBatchAnswer: Sendable, Equatable {
    struct Refusal: Sendable, Equatable {
        var code: String
        var message: String
        /// SNS says the entry itself is at fault (sending it again fails again).
        var senderFault: Bool

        /// The error of the call whose entry SNS refused. Throttling and faults on SNS's side never reached
        /// Lambda, so the call may go again.
        func error(function: String) -> FaastError {
            let detail = "SNS \(code): \(message)"
            if AWSServiceError.throttlingCodes.contains(code) {
                return FaastError(.throttled, "\(function) was throttled before it was published (\(detail))")
            }
            if !senderFault {
                return FaastError(.provider, "\(function) was not published: \(detail)", notStarted: true)
            }
            return FaastError(.provider, "SNS refused the request of \(function): \(detail)")
        }
    }

    var published: Set<String> = []
    var refused: [String: Refusal] = [:]

    init(published: Set<String> = [], refused: [String: Refusal] = [:]) {
        self.published = published
        self.refused = refused
    }

    /// From the Query protocol's XML: `<Successful><member><Id>…` and `<Failed><member><Id>…<Code>…`.
    init(xml: String) {
        published = Set(XMLValues.all("Id", in: XMLValues.first("Successful", in: xml) ?? ""))
        for member in XMLValues.all("member", in: XMLValues.first("Failed", in: xml) ?? "") {
            guard let id = XMLValues.first("Id", in: member) else { continue }
            refused[id] = Refusal(code: XMLValues.first("Code", in: member) ?? "", message: XMLValues.first("Message", in: member) ?? "",
                                  senderFault: XMLValues.first("SenderFault", in: member) == "true")
        }
    }
}
