import FaastCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The environment a local worker starts with: a documented set, not faast's whole environment, so that what
/// a function sees does not depend on the shell faast was started from (as on Lambda), and secrets in that
/// shell (AWS keys, tokens) stay out of user code.
///
/// From faast's environment: `PATH`, `HOME`, `LANG`, `LC_*`, `TZ`, `TMPDIR`, and the names `inherit=` gives
/// (names or glob patterns; `*` for all). AWS credentials pass only when named exactly, never by a pattern.
/// faast adds `FAAST_PROVIDER`, `FAAST_SESSION_ID`, `FAAST_WORKER_ID` (at spawn), `FAAST_MODULE`, `FAAST_MEMORY_MB`, `AWS_LAMBDA_FUNCTION_NAME`,
/// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (and python's `PYTHONUNBUFFERED`, `PYTHONDONTWRITEBYTECODE`); `env=` comes last.
enum WorkerEnvironment {
    /// Passed on from faast's environment by default.
    static let passed: Set<String> = ["PATH", "HOME", "LANG", "TZ", "TMPDIR"]

    /// Credentials that reach a worker only when `inherit=` names them exactly (or `env=` sets them).
    static let secrets: Set<String> = [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
    ]

    /// The variables of `parent` a worker sees, given the `inherit=` patterns.
    static func inherited(from parent: [String: String], patterns: [String]) -> [String: String] {
        var env: [String: String] = [:]
        for (name, value) in parent {
            let named = patterns.contains(name)
            let matched = named || (!secrets.contains(name) && patterns.contains { fnmatch($0, name, 0) == 0 })
            if passed.contains(name) || name.hasPrefix("LC_") || matched { env[name] = value }
        }
        return env
    }
}
