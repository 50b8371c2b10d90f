import Foundation
import Testing

@testable import FaastRuntimes

/// `Sources/FaastRuntimes/Runtimes.swift` is generated from `runtimes/` by `scripts/embed-runtimes`; a trampoline
/// edited without regenerating it would leave the binary running the old one, so `swift test` itself checks.
@Suite("Embedded runtimes")
struct EmbeddedRuntimesTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/FaastRuntimesTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // the repository

    @Test("the embedded trampolines are the ones in runtimes/", arguments: [
        ("runtimes/node/trampoline.js", EmbeddedRuntimes.node),
        ("runtimes/python/trampoline.py", EmbeddedRuntimes.python),
    ])
    func embeddedIsCurrent(_ path: String, _ embedded: String) throws {
        let source = try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8)
        // The generator puts the file between `"""` lines, and a multi-line literal drops its last line break.
        #expect(embedded + "\n" == source, "\(path) changed: run scripts/embed-runtimes")
    }
}
