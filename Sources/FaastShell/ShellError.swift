import FaastLanguage

/// A user mistake found while running a command: a message and, where known, the place in the line.
struct ShellError: Error, Sendable, CustomStringConvertible {
    var description: String { message }
    var message: String
    var location: SourceLocation?
    /// What the user probably meant (a mistyped module path's nearest module files): `suggestions` in JSON.
    var suggestions: [String] = []
    init(_ message: String, at location: SourceLocation? = nil, suggestions: [String] = []) {
        self.message = message
        self.location = location
        self.suggestions = suggestions
    }
}
