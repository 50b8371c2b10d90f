import Foundation

/// Errors from the file system in plain words: Foundation's `CocoaError` describes itself on Linux as
/// "The operation could not be completed. (NSCocoaErrorDomain error 512.)"; the POSIX error under it says
/// what happened ("/tmp/x: Not a directory").
public enum SystemErrorText {
    public static func describe(_ error: any Error) -> String {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        guard ns.domain == NSCocoaErrorDomain else { return "\(error)" }
        let path = ns.userInfo[NSFilePathErrorKey] as? String
        var reason: String?
        if let code = posixCode(ns.userInfo[NSUnderlyingErrorKey]) {
            reason = String(cString: strerror(code))
        } else if CocoaError.Code(rawValue: ns.code) == .fileWriteNoPermission || CocoaError.Code(rawValue: ns.code) == .fileReadNoPermission {
            reason = "Permission denied"
        } else if CocoaError.Code(rawValue: ns.code) == .fileNoSuchFile || CocoaError.Code(rawValue: ns.code) == .fileReadNoSuchFile {
            reason = "No such file or directory"
        } else if CocoaError.Code(rawValue: ns.code) == .fileWriteOutOfSpace {
            reason = "No space left on device"
        }
        switch (path, reason) {
        case (let path?, let reason?): return "\(path): \(reason)"
        case (nil, let reason?): return reason
        default: return ns.localizedDescription
        }
    }

    /// The errno of an underlying error, however Foundation stored it (a POSIXError or an NSError).
    private static func posixCode(_ value: Any?) -> Int32? {
        if let posix = value as? POSIXError { return posix.code.rawValue }
        if let error = value as? any Error {
            let ns = error as NSError
            if ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
        }
        return nil
    }
}
