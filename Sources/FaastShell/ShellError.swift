import FaastLanguage

/// A user mistake found while running a command: a message and, where known, the place in the line.
struct ShellError: Error, Sendable, CustomStringConvertible {
    var description: String { message }
    var message: String
    var location: SourceLocation?
    init(_ message: String, at location: SourceLocation? = nil) {
        self.message = message
        self.location = location
    }
}
