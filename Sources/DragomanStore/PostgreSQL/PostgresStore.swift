import Crypto
package import DragomanCore
import DragomanDialectKit
import Foundation
public import Logging
import NIOSSL
package import PostgresNIO
import ServiceLifecycle

/// The shared store: PostgreSQL through a postgres-nio connection pool, for several Dragoman
/// instances that must behave as one.
///
/// Creates that share a unique value (an email, a user name, a phone) in a realm are serialised
/// across every instance by transaction-scoped advisory locks, so the duplicate check and the
/// insert are one step while creates of different users run in parallel; a claim of an
/// idempotency key is serialised the same way per key. Commits are durable before the caller
/// hears of them (PostgreSQL's default `synchronous_commit`), except those of idempotency
/// records (``records``).
public final class PostgresStore: GatewayStore {
    public var engine: String { "postgres" }
    package let client: PostgresClient
    /// Connections for idempotency records (a key's claim, its recorded answer, its release,
    /// and reads of a key's record), whose commits do not wait for the WAL flush (`synchronous_commit=off`): a claim is
    /// flushed by the user insert's own commit that follows it (the WAL is flushed in order),
    /// and a recorded answer lost in a crash is rebuilt from the user its claim names (the
    /// claim's `user_uuid`, written in the insert's transaction), so neither needs a flush of
    /// its own before the caller hears an answer.
    package let records: PostgresClient
    package let logger: Logger
    package let location: PostgresLocation
    /// The pools' run loops, started at once so migrations can run before the service group
    /// starts; cancelled by ``close()``.
    private let pools: Task<Void, Never>
    /// User inserts, committed in groups (one durable transaction each).
    package let inserts: PostgresGroups<PendingInsert, InsertOutcome>
    /// Claims of new idempotency keys, one statement per group on ``records``: whether each
    /// was claimed.
    package let claims: PostgresGroups<ClaimAttempt, Bool>
    /// Recorded answers of idempotent creates, one statement per group on ``records``.
    package let completions: PostgresGroups<Completion, Void>

    package init(client: PostgresClient, records: PostgresClient, location: PostgresLocation, logger: Logger) {
        self.client = client
        self.records = records
        self.location = location
        self.logger = logger
        self.pools = Task {
            await withDiscardingTaskGroup { group in
                group.addTask { await client.run() }
                group.addTask { await records.run() }
            }
        }
        let schema = location.schema
        self.inserts = PostgresGroups(maxBatch: 128) { writes in
            try await PostgresStore.commitGroup(writes, client: client, schema: schema, logger: logger)
        }
        self.claims = PostgresGroups(maxBatch: 128) { attempts in try await PostgresStore.claimGroup(attempts, on: records, logger: logger) }
        self.completions = PostgresGroups(maxBatch: 128) { completions in
            try await PostgresStore.completeGroup(completions, on: records, logger: logger)
        }
    }

    /// Connects to `location`, creating the schema and bringing it up to date.
    /// - Throws: ``StoreUnavailable`` when the server does not accept a connection within
    ///   `timeout` (the pool logs each failed attempt with its reason).
    public static func open(_ location: PostgresLocation, timeout: Duration = .seconds(15), logger: Logger) async throws -> PostgresStore {
        let client = PostgresClient(configuration: configuration(location, connections: location.maxConnections), backgroundLogger: logger)
        let records = PostgresClient(
            configuration: configuration(location, connections: recordConnections(location), parameters: [("synchronous_commit", "off")]),
            backgroundLogger: logger
        )
        let store = PostgresStore(client: client, records: records, location: location, logger: logger)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await client.query("SELECT 1", logger: logger) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw StoreUnavailable(
                        description:
                            "store.url: PostgreSQL at \(location.redacted) did not accept a connection within \(timeout.components.seconds) s; the log says why"
                    )
                }
                try await group.next()
                group.cancelAll()
            }
            try await store.migrate()
        } catch {
            try? await store.close()
            throw error
        }
        logger.info("Opened PostgreSQL store", metadata: ["dragoman.store": "\(location.redacted)"])
        return store
    }

    /// A pool's configuration: at most `connections` to `location`, each starting with the
    /// schema as its search path, and `parameters`.
    private static func configuration(
        _ location: PostgresLocation,
        connections: Int,
        parameters: [(String, String)] = []
    ) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: location.host,
            port: location.port,
            username: location.user,
            password: location.password,
            database: location.database,
            tls: location.tls.clientTLS
        )
        configuration.options.additionalStartupParameters = [("search_path", location.schema)] + parameters
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = connections
        return configuration
    }

    /// The idempotency records' pool: a quarter of `maxConnections`, at least one, beside it.
    package static func recordConnections(_ location: PostgresLocation) -> Int {
        max(1, location.maxConnections / 4)
    }

    private func migrate() async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLock), hashtext(\(location.schema)))",
                logger: logger
            )
            try await connection.query("CREATE SCHEMA IF NOT EXISTS \(unescaped: location.schema)", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)",
                logger: logger
            )
            var current = 0
            for try await version in try await connection.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", logger: logger)
                .decode(Int.self)
            {
                current = version
            }
            for (index, migration) in PostgresSchema.migrations.enumerated() where index + 1 > current {
                for statement in migration.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
                    try await connection.query(PostgresQuery(unsafeSQL: String(statement)), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (\(index + 1), \(Date().timeIntervalSince1970))",
                    logger: logger
                )
                logger.info("Applied PostgreSQL migration", metadata: ["dragoman.migration": "\(index + 1)"])
            }
        }
    }

    /// Runs until shutdown, then closes the pool.
    public func run() async throws {
        try? await gracefulShutdown()
        // Closed in a task of its own, so that a cancelled service group (rather than a
        // graceful shutdown) still closes every connection instead of abandoning them.
        try await Task { try await self.close() }.value
    }

    /// Commits the inserts (and the claims and answers) waiting, then closes every connection.
    public func close() async throws {
        await claims.close()
        await inserts.close()
        await completions.close()
        pools.cancel()
        await pools.value
    }

    /// Takes transaction-scoped advisory locks named by `names` in this schema, in ascending
    /// order of their ids so that two transactions never wait for each other in a cycle.
    package func lock(_ names: [String], on connection: PostgresConnection) async throws {
        try await Self.lock(names, schema: location.schema, on: connection, logger: logger)
    }

    /// The same, in one statement: `unnest` yields the sorted ids in order, and each row takes
    /// its lock before the next is read.
    package static func lock(_ names: [String], schema: String, on connection: PostgresConnection, logger: Logger) async throws {
        let ids = Set(names.map { lockID(schema + "\u{1F}" + $0) }).sorted()
        guard !ids.isEmpty else { return }
        try await connection.query("SELECT pg_advisory_xact_lock(id) FROM unnest(\(ids)::int8[]) WITH ORDINALITY AS t(id, n) ORDER BY n", logger: logger)
    }

    /// The advisory lock names of the unique values a user of `realm` holds: creates and updates
    /// claiming one value take the same lock, in every instance.
    package static func userLocks(realm: String, _ held: [(key: UniqueKey, value: String)]) -> [String] {
        held.map { "users\u{1F}\(realm)\u{1F}\($0.key.rawValue)\u{1F}\($0.value)" }
    }

    /// A 64-bit advisory lock id for `name`: the first eight bytes of its SHA-256, the same in
    /// every instance.
    package static func lockID(_ name: String) -> Int64 {
        SHA256.hash(data: Data(name.utf8)).prefix(8).reduce(Int64(0)) { ($0 << 8) | Int64($1) }
    }

    /// The first row of `query` decoded as `T`, or `nil`.
    package func first<T: PostgresDecodable & Sendable>(_ query: PostgresQuery, as type: T.Type, on connection: PostgresConnection) async throws -> T? {
        for try await value in try await connection.query(query, logger: logger).decode(T.self) { return value }
        return nil
    }
}

extension PostgresLocation.TLSMode {
    package var clientTLS: PostgresClient.Configuration.TLS {
        switch self {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }
}

/// The store could not be opened: one line naming the setting and the cause (never a
/// password), and the exit code `dragoman serve` stops with.
public struct StoreUnavailable: Error, Sendable, CustomStringConvertible {
    public var description: String
    /// sysexits: 69 (EX_UNAVAILABLE) a PostgreSQL server that does not answer, 73
    /// (EX_CANTCREAT) a SQLite file or folder that cannot be created or written, 65
    /// (EX_DATAERR) a file that is not a Dragoman SQLite database.
    public var exitCode: Int32 = 69
}
