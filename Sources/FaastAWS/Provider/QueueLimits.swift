/// What fits in queue mode. Lambda's destination record carries the SNS event (with the request inside it as
/// an escaped JSON string) and the response, and must fit one SQS message (256 KB); a record that does not fit
/// is never delivered, so the call would only time out. faast checks the request before publishing, and the
/// trampoline checks its response (answering with an error record instead).
enum QueueLimits {
    /// SQS's message limit.
    static let sqsMessage = 256 * 1024
    /// The record's fixed parts: the SNS event's fields and ARNs, the record's own fields, and a short error
    /// response (generous; ARNs of long names stay well below).
    static let recordOverhead = 4 * 1024
    /// The most a request may take in the record, leaving room for the envelope and an error response.
    static let maxRequestInRecord = sqsMessage - recordOverhead

    /// Bytes `message` takes as a JSON string inside the record, escaped the way the most verbose encoder
    /// escapes it (quotes, backslashes and control characters, and every non-ASCII character as `\uXXXX`).
    static func sizeInRecord(_ message: String) -> Int {
        var size = 2
        for unit in message.utf16 {
            switch unit {
            case 0x22, 0x5C, 0x08, 0x0C, 0x0A, 0x0D, 0x09: size += 2
            case 0..<0x20, 0x7F...: size += 6
            default: size += 1
            }
        }
        return size
    }
}
