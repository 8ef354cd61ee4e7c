import Foundation
import Logging
import ServiceLifecycle

/// Sweeps expired sessions from the store once a minute until shutdown.
struct SessionJanitor: Service {
    let store: any SessionStore
    let logger: Logger
    var interval: Duration = .seconds(60)

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let removed = try await store.deleteExpiredSessions(now: Date())
                if removed > 0 { logger.debug("Swept expired sessions", metadata: ["dragoman.sessions": "\(removed)"]) }
            } catch {
                logger.warning("Could not sweep sessions", metadata: ["dragoman.error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
