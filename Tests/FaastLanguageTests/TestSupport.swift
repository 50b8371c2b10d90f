import FaastCore
import Testing

@testable import FaastLanguage

typealias Loc = FaastLanguage.SourceLocation

func loc(_ line: Int, _ column: Int) -> Loc { Loc(line: line, column: column) }

/// The command of a one-line source, failing the test on an error or an empty line.
func command(_ source: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Command? {
    do {
        guard let statement = try Parser.parseLine(source) else {
            Issue.record("no statement in \(source)", sourceLocation: sourceLocation)
            return nil
        }
        return statement.command
    } catch {
        Issue.record("unexpected error for \(source):\n\(error.rendered(file: nil))", sourceLocation: sourceLocation)
        return nil
    }
}

/// The error a source produces (whole-script parse), failing the test when it parses.
func parseError(_ source: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> ParseError? {
    do {
        let statements = try Parser.parse(source)
        Issue.record("expected an error for \(source), got \(statements)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// Checks message and position of the error of `source`.
func expectError(
    _ source: String, _ message: String, at line: Int, _ column: Int,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
    guard let error = parseError(source, sourceLocation: sourceLocation) else { return }
    #expect(error.message == message, sourceLocation: sourceLocation)
    #expect(error.location == loc(line, column), sourceLocation: sourceLocation)
}

func lit(_ value: JSONValue, _ column: Int) -> Expr { .literal(value, loc(1, column)) }
func lit(_ value: JSONValue, _ line: Int, _ column: Int) -> Expr { .literal(value, loc(line, column)) }
func variable(_ name: String, _ column: Int) -> Expr { .variable(Name(name, at: loc(1, column))) }
func variable(_ name: String, _ line: Int, _ column: Int) -> Expr { .variable(Name(name, at: loc(line, column))) }
func name(_ text: String, _ column: Int) -> Name { Name(text, at: loc(1, column)) }
func name(_ text: String, _ line: Int, _ column: Int) -> Name { Name(text, at: loc(line, column)) }
func option(_ key: String, _ column: Int, _ value: Expr, line: Int = 1) -> OptionArg {
    OptionArg(key: Name(key, at: loc(line, column)), value: value)
}
