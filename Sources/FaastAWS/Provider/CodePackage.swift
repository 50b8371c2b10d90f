import FaastCore
import FaastPackaging
import Foundation

/// The Lambda code package: the runtime's trampoline, the module (under its own name), what the module
/// loads (traced by importing it locally: see `PackagePlanner`), and the files that `include` globs name
/// (minus `exclude`), relative to the module's folder. Entries are sorted, stamped with a fixed time and keep
/// their permission bits, so the same input gives the same bytes (and the same CodeSha256).
public struct CodePackage: Sendable {
    public let zip: [UInt8]
    public let unzippedBytes: Int
    public let entries: [PackageEntry]
    /// Lambda's handler (`trampoline.handler`, or `src/trampoline.handler` for a node module in `src/`).
    public let handler: String
    /// The module's file name next to the trampoline (the function's `FAAST_MODULE`).
    public let moduleFile: String
    public let warnings: [String]

    public var files: [String] { entries.map(\.path) }

    /// Lambda's limits for a direct upload, and for a function with its layers unzipped.
    public static let maxZippedBytes = 50 * 1024 * 1024
    public static let maxUnzippedBytes = 250 * 1024 * 1024

    /// Builds the package. `provided`: the local install of `dependencies=` (its packages come from the layer,
    /// not the code package); `layerBytes`: the layer's unzipped size, which counts against the 250 MB.
    public static func build(module: ModuleSpec, include: [String] = [], exclude: [String] = [], provided: String? = nil,
                             layerBytes: Int = 0, notices: Notices = Notices(echo: false)) async throws -> CodePackage {
        let plan = try await PackagePlanner.plan(module: module, include: include, exclude: exclude, provided: provided, notices: notices)
        // Sizes first, so an oversized package fails before anything is read.
        let unzipped = plan.entries.reduce(0) { $0 + $1.size }
        if unzipped + layerBytes > maxUnzippedBytes {
            let biggest = plan.entries.sorted { $0.size > $1.size }.prefix(3).map { "\($0.path) \(sizeText($0.size))" }
            throw FaastError(.deployFailed, "the code package would be \(sizeText(unzipped)) unzipped"
                + (layerBytes > 0 ? " (plus \(sizeText(layerBytes)) of dependencies)" : "")
                + "; Lambda allows 250 MB: narrow include= or add exclude= (largest: \(biggest.joined(separator: ", ")))")
        }
        let bytes = try DeterministicZip.make(plan.entries)
        if bytes.count > maxZippedBytes {
            throw FaastError(.deployFailed, "the code package is \(sizeText(bytes.count)) zipped; a direct upload allows 50 MB: "
                + "narrow include= or add exclude=, or move packages into dependencies= (a layer)")
        }
        return CodePackage(zip: Array(bytes), unzippedBytes: unzipped, entries: plan.entries, handler: plan.handler,
                           moduleFile: plan.moduleFile, warnings: plan.warnings)
    }

    /// `12.3 MB`, `4.1 KB`, `512 B`.
    public static func sizeText(_ bytes: Int) -> String {
        if bytes >= 1_048_576 { return String(format: "%.1f MB", Double(bytes) / 1_048_576) }
        if bytes >= 1024 { return String(format: "%.1f KB", Double(bytes) / 1024) }
        return "\(bytes) B"
    }
}
