public import DragomanCore
import Foundation
public import Logging
import NIOCore
import SQLiteNIO
import ServiceLifecycle

/// The embedded store: one SQLite file in WAL mode.
///
/// Writes go through one connection under an ``AsyncLock`` and an `IMMEDIATE` transaction, so the
/// duplicate check and the insert are one step, also against other processes using the same file.
/// Reads outside a write go through a second, read-only connection, so they see only committed
/// rows (WAL gives it a snapshot), never a row of another task's open transaction.
/// The document column holds the canonical user as JSON; the key columns index it.
public final class SQLiteUserStore: GatewayStore {
    public var engine: String { "sqlite" }
    /// The writer: every statement inside ``transaction(_:)``.
    let connection: SQLiteConnection
    /// The reader: statements outside a transaction.
    let reader: SQLiteConnection
    private let writeLock = AsyncLock()
    private let logger: Logger

    init(connection: SQLiteConnection, reader: SQLiteConnection, logger: Logger) {
        self.connection = connection
        self.reader = reader
        self.logger = logger
    }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// - Throws: ``StoreUnavailable`` naming `store.sqlite.path` when the folder or file cannot
    ///   be created or written (exit 73), or the file is not a Dragoman database (exit 65).
    public static func open(path: String, logger: Logger) async throws -> SQLiteUserStore {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreUnavailable(description: "store.sqlite.path: cannot create the folder \(directory): \(Self.reason(error))", exitCode: 73)
        }
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            let reason =
                access(exists ? path : directory, exists ? R_OK | W_OK : W_OK) != 0 ? String(cString: strerror(errno)) : Self.reason(error)
            throw StoreUnavailable(description: "store.sqlite.path: cannot open \(path): \(reason)", exitCode: 73)
        }
        let store: SQLiteUserStore
        do {
            try await SQLiteUserStore(connection: connection, reader: connection, logger: logger).migrate()
            let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            do {
                for pragma in ["PRAGMA busy_timeout=5000", "PRAGMA query_only=ON"] { _ = try await reader.query(pragma) }
            } catch {
                try? await reader.close()
                throw error
            }
            store = SQLiteUserStore(connection: connection, reader: reader, logger: logger)
        } catch {
            try? await connection.close()
            let reason = Self.reason(error)
            if reason.contains("not a database") || reason.contains("malformed") || error is StoreError {
                throw StoreUnavailable(description: "store.sqlite.path: \(path) is not a usable Dragoman database: \(reason)", exitCode: 65)
            }
            throw StoreUnavailable(description: "store.sqlite.path: cannot write \(path): \(reason)", exitCode: 73)
        }
        return store
    }

    /// The cause of an error in a few words, for a start-up message.
    static func reason(_ error: any Error) -> String {
        if let error = error as? SQLiteError { return error.message }
        if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? POSIXError {
            return String(cString: strerror(underlying.code.rawValue))
        }
        return String(describing: error)
    }

    private func migrate() async throws {
        for pragma in SQLiteSchema.pragmas { _ = try await connection.query(pragma) }
        _ = try await connection.query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)")
        let rows = try await connection.query("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations")
        let current = rows.first?.column("version")?.integer ?? 0
        for (index, migration) in SQLiteSchema.migrations.enumerated() where index + 1 > current {
            try await transaction {
                for statement in migration.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
                    _ = try await connection.query(String(statement))
                }
                _ = try await connection.query(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    [.integer(index + 1), .float(Date().timeIntervalSince1970)]
                )
            }
            logger.info("Applied SQLite migration", metadata: ["dragoman.migration": "\(index + 1)"])
        }
    }

    func transaction<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await writeLock.withLock {
            _ = try await connection.query("BEGIN IMMEDIATE")
            do {
                let result = try await body()
                _ = try await connection.query("COMMIT")
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        }
    }

    public func insert(_ record: UserRecord, uniqueKeys: [UniqueKey]) async throws -> InsertOutcome {
        let document = try StoredDocument(record).json()
        let keys = record.keyColumns
        return try await transaction {
            for key in uniqueKeys {
                guard let value = record.keyValue(key) else { continue }
                let rows = try await connection.query(
                    "SELECT \(Self.columns) FROM users WHERE realm = ? AND \(key.column) = ? ORDER BY serial LIMIT 1",
                    [.text(record.realm), .text(value)]
                )
                if let row = rows.first { return .duplicate(existing: try Self.user(from: row), key: key) }
            }
            let rows = try await connection.query(
                """
                INSERT INTO users (uuid, realm, email_key, user_name_key, phone, document, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING serial
                """,
                [
                    .text(record.uuid.uuidString), .text(record.realm), keys.email.map(SQLiteData.text) ?? .null,
                    keys.userName.map(SQLiteData.text) ?? .null, keys.phone.map(SQLiteData.text) ?? .null,
                    .text(document), .float(record.createdAt.timeIntervalSince1970),
                ]
            )
            guard let serial = rows.first?.column("serial")?.integer else { throw StoreError.noSerial }
            if let mark = record.mark {
                _ = try await connection.query(
                    "UPDATE idempotency SET user_uuid = ? WHERE scope = ? AND key = ? AND token = ? AND status IS NULL",
                    [.text(record.uuid.uuidString), .text(mark.scope), .text(mark.key), .text(mark.token)]
                )
            }
            return .created(record.stored(serial: Int64(serial)))
        }
    }

    public func user(_ lookup: UserLookup) async throws -> User? {
        let rows: [SQLiteRow]
        switch lookup {
        case .serial(let serial):
            rows = try await reader.query("SELECT \(Self.columns) FROM users WHERE serial = ?", [.integer(Int(serial))])
        case .uuid(let uuid):
            rows = try await reader.query("SELECT \(Self.columns) FROM users WHERE uuid = ?", [.text(uuid.uuidString)])
        case .email(let realm, let address):
            rows = try await reader.query(
                "SELECT \(Self.columns) FROM users WHERE realm = ? AND email_key = ? ORDER BY serial LIMIT 1",
                [.text(realm), .text(EmailAddress.key(address))]
            )
        }
        return try rows.first.map(Self.user(from:))
    }

    static let columns = "serial, uuid, realm, document, created_at"

    static func user(from row: SQLiteRow) throws -> User {
        guard let serial = row.column("serial")?.integer,
            let uuid = row.column("uuid")?.string.flatMap(UUID.init(uuidString:)),
            let realm = row.column("realm")?.string,
            let document = row.column("document")?.string
        else { throw StoreError.corruptRow }
        return try StoredDocument.user(serial: Int64(serial), uuid: uuid, realm: realm, document: document)
    }

    /// Runs until shutdown, then closes the connection.
    public func run() async throws {
        try? await gracefulShutdown()
        try await close()
    }

    /// Closes the database.
    public func close() async throws {
        try await writeLock.withLock {
            if reader !== connection { try await reader.close() }
            try await connection.close()
        }
    }
}

/// Store failures that are not the database's own.
enum StoreError: Error {
    case noSerial
    case corruptRow
}
