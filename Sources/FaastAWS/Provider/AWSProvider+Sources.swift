import FaastCore
import FaastPackaging

/// The shell notices an edited module on AWS by the local files the code package was built from.
extension AWSProvider: SourceTracking {}

extension CodePackage {
    /// The local files packaged (the module and the user's files it imports), not faast's own generated ones.
    var sourceFiles: [String] {
        entries.compactMap { entry in
            if case .file(let path) = entry.source { return path }
            return nil
        }
    }
}
