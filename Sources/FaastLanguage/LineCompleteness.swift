extension Parser {
    /// Whether `text` can be parsed as it is: false when a bracket `( [ {` or a quote is left open, so that a
    /// REPL asks for a continuation line. A closing bracket too many counts as complete (the parser reports
    /// it), and brackets and quotes in comments do not count.
    public static func isComplete(_ text: String) -> Bool {
        Lexer(text).isComplete()
    }
}
