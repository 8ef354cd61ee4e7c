import DragomanDialectKit
package import Foundation
package import Logging
import ServiceLifecycle

/// Sweeps expired sessions and idempotency records from the store once a minute until shutdown.
/// With several instances on one store each sweeps; the deletes are idempotent.
package struct StoreJanitor: Service {
    package let store: any GatewayStore
    package let logger: Logger
    package var interval: Duration = .seconds(60)

    package init(store: any GatewayStore, logger: Logger, interval: Duration = .seconds(60)) {
        self.store = store
        self.logger = logger
        self.interval = interval
    }

    package func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            await sweep(now: Date())
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One sweep; failures are logged and the next sweep tries again.
    package func sweep(now: Date) async {
        do {
            let sessions = try await store.deleteExpiredSessions(now: now)
            let records = try await store.deleteExpiredIdempotencyRecords(now: now)
            if sessions + records > 0 {
                logger.debug("Swept expired records", metadata: ["dragoman.sessions": "\(sessions)", "dragoman.idempotency": "\(records)"])
            }
        } catch {
            logger.warning("Could not sweep expired records", metadata: ["dragoman.error": "\(error)"])
        }
    }
}
