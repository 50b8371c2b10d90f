import FaastCore
import Foundation

/// A live progress line on standard error for fan-outs that take longer than about half a second:
/// done/total, rate, ETA and failures, redrawn in place and erased when the fan-out ends.
final class ProgressLine: Sendable {
    private let task: Task<Void, Never>
    private let output: any OutputSink

    private init(task: Task<Void, Never>, output: any OutputSink) {
        self.task = task
        self.output = output
    }

    static func start(_ progress: BatchProgress, output: any OutputSink) -> ProgressLine {
        let task = Task.detached {
            try? await Task.sleep(nanoseconds: 500_000_000)
            var drawn = false
            while !Task.isCancelled {
                let done = progress.done, total = progress.total, elapsed = progress.elapsed
                let rate = elapsed > 0 ? Double(done) / elapsed : 0
                var line = "  \(Format.grouped(done))/\(Format.grouped(total)) · \(Format.rate(rate))/s"
                if rate > 0, done < total { line += " · ETA \(Int((Double(total - done) / rate).rounded(.up)))s" }
                if progress.failed > 0 { line += " · \(Format.grouped(progress.failed)) failed" }
                // Never wider than the terminal (read each time: it may be resized): a line that wraps leaves
                // its first rows behind, since \r only goes back to the start of the last one.
                output.err("\r\u{1B}[K" + Terminal.truncated(line, columns: Terminal.size(fd: 2).columns - 1))
                drawn = true
                try? await Task.sleep(nanoseconds: 100_000_000)
            }
            if drawn { output.err("\r\u{1B}[K") }
        }
        return ProgressLine(task: task, output: output)
    }

    /// Stops and erases the line.
    func finish() async {
        task.cancel()
        await task.value
    }
}
