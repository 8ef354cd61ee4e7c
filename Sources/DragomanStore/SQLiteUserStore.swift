public import DragomanCore
import DragomanDialectKit
import Foundation
public import Logging
import NIOPosix
import ServiceLifecycle

/// The embedded store: one SQLite file in WAL mode.
///
/// Writes go through one connection owned by a ``SQLiteWriter``, which commits every write
/// waiting in one `IMMEDIATE` transaction (group commit): the duplicate check and the insert are
/// one step, also against other processes using the same file, and many creates share an fsync.
/// Reads go through a small pool of read-only connections (``SQLiteReaders``), so they see only
/// committed rows (WAL gives each a snapshot), never a row of an open transaction, and run
/// beside the writer: lookups by key on the caller's own thread, scans on NIO's blocking pool.
/// The document column holds the canonical user as JSON; the key columns index it.
public final class SQLiteUserStore: GatewayStore {
    public var engine: String { "sqlite" }
    package let writer: SQLiteWriter
    /// Read-only connections for statements outside a transaction.
    package let readers: SQLiteReaders
    private let logger: Logger

    package init(connection: SQLiteDatabaseConnection, readers: SQLiteReaders, logger: Logger) {
        self.writer = SQLiteWriter(connection: connection, logger: logger)
        self.readers = readers
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
        // One hop to the blocking pool: open the writer, bring the schema up to date, open
        // the first reader.
        let connection: SQLiteDatabaseConnection
        let readers: SQLiteReaders
        do {
            (connection, readers) = try await NIOThreadPool.singleton.runIfActive {
                let connection = try SQLiteDatabaseConnection(path: path, role: .writer)
                do {
                    try SQLiteSchema.migrate(connection, logger: logger)
                    return (connection, try SQLiteReaders(path: path))
                } catch {
                    connection.close()
                    throw OpenedButUnwritable(underlying: error)
                }
            }
        } catch let error as OpenedButUnwritable {
            if let unusable = Self.unusable(path, error.underlying) { throw unusable }
            throw StoreUnavailable(description: "store.sqlite.path: cannot write \(path): \(Self.reason(error.underlying))", exitCode: 73)
        } catch {
            if let unusable = Self.unusable(path, error) { throw unusable }
            let exists = FileManager.default.fileExists(atPath: path)
            let reason =
                access(exists ? path : directory, exists ? R_OK | W_OK : W_OK) != 0 ? String(cString: strerror(errno)) : Self.reason(error)
            throw StoreUnavailable(description: "store.sqlite.path: cannot open \(path): \(reason)", exitCode: 73)
        }
        return SQLiteUserStore(connection: connection, readers: readers, logger: logger)
    }

    /// A failure after the file opened: migrating it or opening a reader beside the writer.
    private struct OpenedButUnwritable: Error {
        package let underlying: any Error
    }

    /// The start-up failure for a file that is not a usable Dragoman database (exit 65), when
    /// `error` says so: the opening pragmas or the migrations found no database, or another
    /// one.
    private static func unusable(_ path: String, _ error: any Error) -> StoreUnavailable? {
        let reason = Self.reason(error)
        guard reason.contains("not a database") || reason.contains("malformed") || error is StoreError else { return nil }
        return StoreUnavailable(description: "store.sqlite.path: \(path) is not a usable Dragoman database: \(reason)", exitCode: 65)
    }

    /// The cause of an error in a few words, for a start-up message.
    package static func reason(_ error: any Error) -> String {
        if let error = error as? SQLiteDatabaseError { return error.message }
        if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? POSIXError {
            return String(cString: strerror(underlying.code.rawValue))
        }
        return String(describing: error)
    }

    /// Runs `body` in the writer's next group transaction; returns once it is committed.
    package func transaction<T: Sendable>(_ body: @escaping @Sendable (SQLiteDatabaseConnection) async throws -> T) async throws -> T {
        try await writer.write(body)
    }

    public func insert(_ record: UserRecord, uniqueKeys: [UniqueKey]) async throws -> InsertOutcome {
        try await writer.write(SQLiteUserInsert(record: record, uniqueKeys: uniqueKeys))
    }

    public func user(_ lookup: UserLookup) async throws -> User? {
        let rows = try readers.read { reader in
            switch lookup {
            case .serial(let serial):
                try reader.query(Self.bySerial, [.integer(Int(serial))])
            case .uuid(let uuid):
                try reader.query(Self.byUUID, [.text(uuid.text())])
            case .email(let realm, let address):
                try reader.query(Self.byEmail, [.text(realm), .text(EmailAddress.key(address))])
            }
        }
        return try rows.first.map(Self.user(from:))
    }

    package static let columns = "serial, uuid, realm, document, created_at"
    /// The lookups' statements, built once (each is the key of its prepared statement).
    private static let bySerial = "SELECT \(columns) FROM users WHERE serial = ?"
    private static let byUUID = "SELECT \(columns) FROM users WHERE uuid = ?"
    private static let byEmail = "SELECT \(columns) FROM users WHERE realm = ? AND email_key = ? ORDER BY serial LIMIT 1"

    package static func user(from row: SQLiteResultRow) throws -> User {
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
        readers.close()
    }
}

/// Store failures that are not the database's own.
package enum StoreError: Error {
    case noSerial
    case corruptRow
    /// The store was closed before the write ran.
    case writerClosed
    /// A group's writes and outputs did not pair up one to one (a defect in a ``GroupableWrite``;
    /// the group is rolled back like any failing one).
    case mismatchedGroup
}
