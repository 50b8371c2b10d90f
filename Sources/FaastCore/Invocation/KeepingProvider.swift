/// A provider whose deployment can outlive the shell that opened it (`--keep`, `keep`), so that a later
/// shell attaches to it instead of deploying again.
public protocol KeepingProvider: Provider {
    /// How this deployment was reached, said after `open`: nil for a fresh deploy, else e.g.
    /// "reused kept session 1a2b3c4d5e6f (same code and settings)".
    var reuse: String? { get }
    /// Leaves the resources up and records the session for a later attach (releasing this shell's hold on
    /// it); returns what to tell the user (the session id and what stays billed).
    func keep() async throws -> String
}
