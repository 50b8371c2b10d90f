import FaastCore
import Synchronization

/// The functions a session's module declares. A fresh deploy (and a kept session's code-only update) starts with
/// the local trampoline's description (see `LocalDescription`), so that the first call goes out as soon as the function is Active while Lambda
/// describes the module concurrently; Lambda's description, when it comes, replaces the local one (they differ
/// only for a module that declares other functions on Lambda). Lambda failing to load the module shows in the
/// calls, which get its load error. A kept session's record holds the description known when it is kept.
final class ModuleDescription: Sendable {
    private let current: Mutex<[FunctionInfo]>
    private let remote = Mutex<Task<Void, Never>?>(nil)

    /// Functions known for good (Lambda's own description, or a kept session's record).
    init(_ functions: [FunctionInfo]) {
        current = Mutex(functions)
    }

    /// `local` until `remote` (Lambda's description) answers.
    init(local: [FunctionInfo], remote: Task<[FunctionInfo], any Error>) {
        current = Mutex(local)
        let task = Task {
            // Cancelling the waiting task cancels the request.
            guard let described = try? await withTaskCancellationHandler(operation: { try await remote.value }, onCancel: { remote.cancel() }),
                  !described.isEmpty else { return }
            self.current.withLock { $0 = described }
        }
        self.remote.withLock { $0 = task }
    }

    var functions: [FunctionInfo] { current.withLock { $0 } }

    /// Stops waiting for Lambda's description (the session is being cleaned up).
    func cancel() { remote.withLock { $0 }?.cancel() }
}
