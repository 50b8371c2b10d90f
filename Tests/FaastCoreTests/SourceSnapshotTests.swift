import FaastCore
import Foundation
import Testing

@Suite("source snapshots: which of a module's files changed since it was loaded")
struct SourceSnapshotTests {
    private func folder() throws -> String {
        let path = NSTemporaryDirectory() + "faast-snapshot-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("edits, replacements and removals are changes; an untouched or still-missing file is not")
    func changes() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = dir + "/a.py", b = dir + "/b.py", c = dir + "/c.py", missing = dir + "/missing.py"
        for f in [a, b, c] { try "x = 1\n".write(toFile: f, atomically: false, encoding: .utf8) }
        let snapshot = SourceSnapshot(files: [a, b, c, missing], loadedSince: Date(timeIntervalSinceNow: 60))
        #expect(snapshot.changed() == [])
        // same size, new mtime
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: a)
        // replaced by rename (an editor's save): new inode
        try "x = 2\n".write(toFile: b, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: c)
        #expect(snapshot.changed() == [a, b, c])
        #expect(SourceSnapshot(files: [a, b]).changed() == [])
    }

    @Test("a file modified after its load began counts as changed at the first check")
    func modifiedDuringLoad() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = dir + "/a.js"
        try "1\n".write(toFile: a, atomically: false, encoding: .utf8)
        #expect(SourceSnapshot(files: [a], loadedSince: Date(timeIntervalSinceNow: -60)).changed() == [a])
        #expect(SourceSnapshot(files: [a], loadedSince: Date(timeIntervalSinceNow: 60)).changed() == [])
    }
}
