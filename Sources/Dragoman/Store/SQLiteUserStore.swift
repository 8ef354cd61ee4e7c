public import DragomanCore
import Foundation
public import Logging
import NIOCore
import SQLiteNIO
import Synchronization
import ServiceLifecycle

/// The embedded store: one SQLite file in WAL mode.
///
/// Writes go through one connection owned by a ``SQLiteWriter``, which commits every write
/// waiting in one `IMMEDIATE` transaction (group commit): the duplicate check and the insert are
/// one step, also against other processes using the same file, and many creates share an fsync.
/// Reads go through a small pool of read-only connections, so they see only committed rows (WAL
/// gives each a snapshot), never a row of an open transaction, and run beside the writer.
/// The document column holds the canonical user as JSON; the key columns index it.
public final class SQLiteUserStore: GatewayStore {
    public var engine: String { "sqlite" }
    let writer: SQLiteWriter
    private let readers: [SQLiteConnection]
    private let nextReader = Atomic<Int>(0)
    private let logger: Logger

    /// Read-only connections, taken in turn.
    static let readerCount = 2

    init(connection: SQLiteConnection, readers: [SQLiteConnection], logger: Logger) {
        self.writer = SQLiteWriter(connection: connection, logger: logger)
        self.readers = readers
        self.logger = logger
    }

    /// A reader for statements outside a transaction: one of the pool, in turn.
    var reader: SQLiteConnection {
        readers[nextReader.wrappingAdd(1, ordering: .relaxed).oldValue % readers.count]
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
        var readers: [SQLiteConnection] = []
        do {
            try await SQLiteSchema.migrate(connection, logger: logger)
            for _ in 0..<Self.readerCount {
                let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
                readers.append(reader)
                for pragma in ["PRAGMA busy_timeout=5000", "PRAGMA query_only=ON"] { _ = try await reader.query(pragma) }
            }
        } catch {
            for reader in readers { try? await reader.close() }
            try? await connection.close()
            let reason = Self.reason(error)
            if reason.contains("not a database") || reason.contains("malformed") || error is StoreError {
                throw StoreUnavailable(description: "store.sqlite.path: \(path) is not a usable Dragoman database: \(reason)", exitCode: 65)
            }
            throw StoreUnavailable(description: "store.sqlite.path: cannot write \(path): \(reason)", exitCode: 73)
        }
        return SQLiteUserStore(connection: connection, readers: readers, logger: logger)
    }

    /// The cause of an error in a few words, for a start-up message.
    static func reason(_ error: any Error) -> String {
        if let error = error as? SQLiteError { return error.message }
        if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? POSIXError {
            return String(cString: strerror(underlying.code.rawValue))
        }
        return String(describing: error)
    }

    /// Runs `body` in the writer's next group transaction; returns once it is committed.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) async throws -> T) async throws -> T {
        try await writer.write(body)
    }

    public func insert(_ record: UserRecord, uniqueKeys: [UniqueKey]) async throws -> InsertOutcome {
        try await writer.write(SQLiteUserInsert(record: record, uniqueKeys: uniqueKeys))
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
        // Closed in a task of its own, so that a cancelled service group (rather than a
        // graceful shutdown) still closes every connection instead of abandoning them.
        try await Task { try await self.close() }.value
    }

    /// Commits what is waiting, then closes the database.
    public func close() async throws {
        await writer.close()
        for reader in readers { try await reader.close() }
        try await writer.connection.close()
    }
}

/// Store failures that are not the database's own.
enum StoreError: Error {
    case noSerial
    case corruptRow
    /// The store was closed before the write ran.
    case writerClosed
    /// A group's writes and outputs did not pair up one to one (a defect in a ``GroupableWrite``;
    /// the group is rolled back like any failing one).
    case mismatchedGroup
}
