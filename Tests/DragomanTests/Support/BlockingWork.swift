import Dispatch

/// Runs `work`, which blocks its thread (a wait for a child process, a blocking socket read or
/// connect), on a GCD thread and returns its result: blocking one of Swift's few cooperative
/// threads instead would hold up the in-process gateways of the tests running beside it.
func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}
