import FaastCore
import Foundation
internal import ZIPFoundation

/// Zips entries in the order given with a fixed timestamp and each file's own permission bits, so the same
/// files give the same bytes (Lambda's CodeSha256 stays put) and an executable keeps its x bit.
public enum DeterministicZip {
    static let fixedDate = Date(timeIntervalSince1970: 946_684_800)  // 2000-01-01

    /// The zip of `entries` (read now); `prefix` is prepended to every path (a layer's `python/`).
    public static func make(_ entries: [PackageEntry], prefix: String = "") throws(FaastError) -> Data {
        do {
            let archive = try Archive(accessMode: .create)
            for entry in entries {
                let data: Data
                switch entry.source {
                case .bytes(let d): data = d
                case .file(let path):
                    guard let d = FileManager.default.contents(atPath: path) else {
                        throw FaastError(.deployFailed, "cannot read \(path) for the code package")
                    }
                    data = d
                }
                try archive.addEntry(
                    with: prefix + entry.path, type: .file, uncompressedSize: Int64(data.count), modificationDate: fixedDate,
                    permissions: entry.mode, compressionMethod: .deflate
                ) { position, size in
                    data.subdata(in: Data.Index(position)..<Data.Index(position) + size)
                }
            }
            guard let bytes = archive.data else { throw FaastError(.deployFailed, "cannot build the zip") }
            return bytes
        } catch let e as FaastError {
            throw e
        } catch {
            throw FaastError(.deployFailed, "cannot build the zip: \(error)")
        }
    }
}
