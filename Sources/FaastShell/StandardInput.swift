import CFaastSys
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What reading commands from a pipe or file on standard input gave.
public enum StandardInputText: Sendable, Equatable {
    case text(String)
    /// Ctrl-C (SIGINT) arrived before the end of input.
    case interrupted
    /// SIGTERM or SIGHUP arrived before the end of input.
    case terminated
}

/// Reads standard input to its end, waking on a signal as well as on input (the signal handlers' self-pipe),
/// so that a writer that never closes cannot keep faast from ending on SIGINT or SIGTERM.
public func readStandardInput() -> StandardInputText {
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    let signals = faast_signal_fd()
    while true {
        if faast_sigterm_received() != 0 { return .terminated }
        if faast_take_sigint() > 0 { return .interrupted }
        var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0), pollfd(fd: signals, events: Int16(POLLIN), revents: 0)]
        let ready = poll(&fds, signals >= 0 ? 2 : 1, -1)
        if ready < 0 {
            if errno == EINTR { continue }
            break
        }
        if signals >= 0, fds[1].revents & Int16(POLLIN) != 0 {
            // The self-pipe is non-blocking: drain it; the counters say which signal it was.
            var drain = [UInt8](repeating: 0, count: 64)
            while read(signals, &drain, drain.count) > 0 {}
            continue
        }
        let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if n > 0 {
            data.append(contentsOf: buffer[..<n])
        } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
            break
        }
    }
    return .text(String(decoding: data, as: UTF8.self))
}
