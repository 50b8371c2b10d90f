import FaastCore
import Foundation
import Synchronization

extension Shell {
    /// How a single call of a generator shows its values as they are yielded: one JSON object each with
    /// `--format json`; on a terminal, a live list (the result, the array of all values, follows as usual).
    /// Piped text output shows only the result, so it stays exact. Nil when nothing is shown (not a generator,
    /// a call whose value is kept or checked rather than shown).
    func yieldDisplay(for function: String, showing: Showing) -> YieldHandler? {
        guard showing == .all, let invoker,
              invoker.provider.functions.contains(where: { $0.name == function && $0.isGenerator }) else { return nil }
        guard format == .json || output.outIsTerminal else { return nil }
        let display = YieldDisplay(function: function, renderer: renderer)
        return { attempt, seq, value in display.show(attempt: attempt, seq: seq, value: value) }
    }
}

/// Hands a generator's values to the renderer as they arrive, from the provider's thread; says when the values
/// shown came from an attempt that failed and was retried.
final class YieldDisplay: Sendable {
    let function: String
    let renderer: any Renderer
    /// The attempt whose values are being shown (from 0), and how many were shown.
    private let shown = Mutex<(attempt: Int, count: Int)>((0, 0))

    init(function: String, renderer: any Renderer) {
        self.function = function
        self.renderer = renderer
    }

    func show(attempt: Int, seq: Int, value: JSONValue) {
        // Under the lock: values render one at a time, in order.
        shown.withLock { s in
            if attempt != s.attempt {
                if s.count > 0 { renderer.render(.yieldsVoided(function: function, attempt: s.attempt + 1, count: s.count), command: "call") }
                s = (attempt, 0)
            }
            s.count += 1
            renderer.render(.yielded(function: function, attempt: attempt + 1, seq: seq, value: value), command: "call")
        }
    }
}
