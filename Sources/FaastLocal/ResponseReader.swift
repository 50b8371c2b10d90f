import FaastCore

#if canImport(Glibc)
import Glibc
#endif

/// Splits a worker's response pipe into lines and parses each where it lies in the read buffer (no copy).
/// Used only by the thread that waits for an answer (the worker guards it with a lock all the same).
struct ResponseReader {
    /// The bytes read and not yet taken are `buffer[start..<end]`, of which the first `scanned` hold no newline.
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var start = 0
    private var end = 0
    private var scanned = 0
    /// When the last read returned (`MonotonicClock.seconds()`): when the lines it completed arrived.
    private var readAt = 0.0

    /// The next line from `fd`, parsed, and when it arrived; nil at the pipe's end (or a read error).
    mutating func next(from fd: Int32) -> (Result<JSONValue, JSONParseError>, Double)? {
        while true {
            let (lineStart, bufferEnd, from) = (start, end, start + scanned)
            let newline = buffer.withUnsafeBufferPointer { p -> Int? in
                var i = from
                while i < bufferEnd {
                    if p[i] == 0x0A { return i }
                    i += 1
                }
                return nil
            }
            if let newline {
                start = newline + 1
                scanned = 0
                if newline == lineStart { continue }  // an empty line
                let result = buffer.withUnsafeBufferPointer { p in
                    Result { () throws(JSONParseError) in
                        try JSONParser.parseDocument(UnsafeBufferPointer(rebasing: p[lineStart..<newline]))
                    }
                }
                if start == end {
                    start = 0
                    end = 0
                    // A large answer's room is not kept for the worker's lifetime.
                    if buffer.count > 1 << 20 { buffer = [UInt8](repeating: 0, count: 64 * 1024) }
                }
                return (result, readAt)
            }
            scanned = bufferEnd - lineStart
            if end == buffer.count { makeRoom() }
            let (e0, room) = (end, buffer.count - end)
            let n = buffer.withUnsafeMutableBufferPointer { read(fd, $0.baseAddress! + e0, room) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return nil }
            readAt = MonotonicClock.seconds()
            end += n
        }
    }

    /// Moves a partial line to the front, or doubles the buffer for a line longer than it.
    private mutating func makeRoom() {
        if start > 0 {
            let (s0, count) = (start, end - start)
            buffer.withUnsafeMutableBufferPointer { p in
                _ = memmove(p.baseAddress!, p.baseAddress! + s0, count)
            }
            start = 0
            end = count
        } else {
            buffer.append(contentsOf: repeatElement(0, count: buffer.count))
        }
    }
}
