public import DragomanCore
import DragomanDialectKit
public import Logging
public import ServiceLifecycle

/// Everything Dragoman keeps durably, behind one interface with two engines: users, groups, the
/// id map of forwarded users, the migration bridge's outbox, login sessions and idempotency records.
///
/// ``SQLiteUserStore`` is the embedded default; ``PostgresStore`` lets several instances share
/// one state. Both pass the same conformance suite. As a `Service`, a store runs until shutdown
/// and then closes its connections.
public protocol GatewayStore: UserStore, GroupStore, SessionStore, IDMapStore, MigrationOutboxStore, BackfillProgressStore, IdempotencyStore, Service {
    /// Which engine, for logs: `sqlite` or `postgres`.
    var engine: String { get }
    /// Closes the store's connections; ``run()`` does this at shutdown.
    func close() async throws
}

/// Which store to open: the configuration's `store.url`, when set, chooses PostgreSQL.
public enum StoreLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// Opens the store and brings its schema up to date.
    public func open(logger: Logger) async throws -> any GatewayStore {
        switch self {
        case .sqlite(let path): try await SQLiteUserStore.open(path: path, logger: logger)
        case .postgres(let location): try await PostgresStore.open(location, logger: logger)
        }
    }
}
