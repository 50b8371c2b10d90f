import FaastCore
import Foundation

/// A fan-out's JSON object, written while its calls run so that a fan-out of millions never holds its values:
/// `{"command":"call","values":[v0,v1,…` grows in call order as calls finish (null for a call that failed),
/// and `finish` closes the array and adds `ok` and the summary's fields. One JSON object on one line, like
/// every other command's.
///
/// Calls finish out of order: a value waits here only while an earlier call is still running (so what is
/// held is the values of calls that finished ahead of the oldest one in flight), as its JSON text.
/// `observe` is called from the fan-out's lanes, at once; writes happen under the lock, in order, in chunks.
///
/// `@unchecked Sendable`: `state` is only touched under `lock`. An `NSLock` (a plain pthread mutex) rather than
/// `Mutex`, which on Linux is a priority-inheriting futex: with every lane finishing calls into it, its slow
/// path went through the kernel on most calls: a no-op fan-out of 200,000 calls took 22 s of CPU instead of 9 (perf).
final class FanOutStream: @unchecked Sendable {
    private struct State {
        var started = false
        /// The index of the next value to write.
        var next = 0
        /// Values of calls that finished before `next` did, by index.
        var waiting: [Int: String] = [:]
        var chunk = ""
        var lastWrite = 0.0
    }

    /// Text is written when a chunk reaches this size, or when this long has passed since the last write.
    static let chunkBytes = 64 << 10
    static let chunkSeconds = 0.1

    private let renderer: JSONRenderer
    private let command: String
    private let lock = NSLock()
    private var state = State()

    init(renderer: JSONRenderer, command: String) {
        self.renderer = renderer
        self.command = command
        // A prompt command's output is held for the pager; a stream must not be held in memory.
        PromptOutput.writeLive(renderer.output)
    }

    /// Call `index` finished with `result`.
    func observe(_ index: Int, _ result: Result<JSONValue, FaastError>) {
        let text = (try? result.get())?.jsonText ?? "null"
        lock.lock()
        defer { lock.unlock() }
        guard index == state.next else {
            state.waiting[index] = text
            return
        }
        append(text, &state)
        while let waiting = state.waiting.removeValue(forKey: state.next) { append(waiting, &state) }
        let now = MonotonicClock.seconds()
        if state.chunk.utf8.count >= Self.chunkBytes || now - state.lastWrite >= Self.chunkSeconds {
            renderer.output.out(state.chunk)
            state.chunk = ""
            state.lastWrite = now
        }
    }

    /// `{"command":"map","values":[`
    private func start(_ s: inout State) {
        s.chunk += String(JSONRenderer.text(command, first: [], [:]).dropLast()) + ",\"values\":["
        s.started = true
    }

    private func append(_ value: String, _ s: inout State) {
        if !s.started {
            start(&s)
        } else {
            s.chunk += ","
        }
        s.chunk += value
        s.next += 1
    }

    /// The fan-out ended: the values of calls that finished after one that never did (an interrupted
    /// fan-out) follow with null in the gaps, then the rest of `result`'s object.
    func finish(_ result: CommandResult) {
        guard let (ok, fields) = renderer.object(result, streamed: true) else { return }
        lock.lock()
        defer { lock.unlock() }
        if let last = state.waiting.keys.max() {
            while state.next <= last { append(state.waiting.removeValue(forKey: state.next) ?? "null", &state) }
        }
        if !state.started { start(&state) }
        // The members of {"ok":…, fields sorted by name} continue this object.
        let rest = JSONValue.object([JSONMember("ok", .bool(ok))] + fields.keys.sorted().map { JSONMember($0, fields[$0]!) })
        state.chunk += "]," + rest.jsonText.dropFirst() + "\n"
        renderer.output.out(state.chunk)
        state.chunk = ""
    }
}
