import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A provider that knows the files its code was loaded from: the module and the user's own files it imports
/// (a local worker reports them). The shell watches them to notice an edited module.
public protocol SourceTracking: AnyObject {
    var sourceFiles: [String] { get }
}

/// The modification time, size and inode of a set of files, taken when their code was loaded, to tell cheaply
/// (one `stat` per file) whether any changed since.
public struct SourceSnapshot: Sendable, Equatable {
    struct Stamp: Sendable, Equatable {
        var seconds: Int
        var nanoseconds: Int
        var size: Int64
        var inode: UInt64
    }

    public let files: [String]
    /// nil for a file that did not exist.
    private let stamps: [Stamp?]
    /// Files modified while their code was loading.
    private let stale: Set<Int>

    /// Stamps `files` now. A file modified at or after `loadedSince` (when loading began) may have been read
    /// before the edit: it counts as changed at the first check.
    public init(files: [String], loadedSince: Date? = nil) {
        self.files = files
        let stamps = files.map { Self.stamp($0) }
        self.stamps = stamps
        let since = loadedSince?.timeIntervalSince1970 ?? .infinity
        stale = Set(stamps.indices.filter { i in
            stamps[i].map { Double($0.seconds) + Double($0.nanoseconds) / 1e9 >= since } ?? false
        })
    }

    /// The files that changed (modified, replaced, removed or created again) since the snapshot.
    public func changed() -> [String] {
        files.indices.compactMap { i in stale.contains(i) || Self.stamp(files[i]) != stamps[i] ? files[i] : nil }
    }

    static func stamp(_ path: String) -> Stamp? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Stamp(seconds: Int(st.st_mtim.tv_sec), nanoseconds: Int(st.st_mtim.tv_nsec), size: Int64(st.st_size),
                     inode: UInt64(st.st_ino))
    }
}
