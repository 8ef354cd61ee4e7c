import NIOCore
import NIOPosix
import SQLiteNIO
import Synchronization
import VaporCSQLite

/// The read-only connections of the embedded store, used synchronously on the caller's thread.
///
/// A lookup by key (a user by serial, uuid or address, an id mapping, a session) is one indexed
/// row in a file the page cache holds: it takes microseconds, less than handing it to a thread
/// pool and waking the caller again, which SQLiteNIO does for every statement and every row
/// (issue 10's profile: a fifth of a read was thread hand-offs and statement preparation). So a
/// lookup runs on the request's own event loop, with statements prepared once per connection.
/// Statements that may scan the table (lists and counts) run on NIO's blocking pool instead
/// (``scan(_:)``), so no event loop waits for one.
///
/// Each connection is used by one thread at a time (taken from the pool, given back after);
/// WAL mode gives each statement a snapshot of committed rows only, so a read never sees the
/// writer's open transaction. The pool opens another connection when every one is busy and
/// keeps at most ``maxIdle``. These use the same SQLite library as SQLiteNIO's writer (the
/// amalgamation SQLiteNIO builds), so the process has one SQLite and one set of file locks.
final class SQLiteReaders: Sendable {
    /// The connections not in use, and whether the pool is closed.
    private struct State: ~Copyable {
        var idle: [SQLiteReadConnection] = []
        var closed = false
    }

    /// The most idle connections kept open.
    static let maxIdle = 4

    private let path: String
    private let state = Mutex(State())

    /// Opens the first connection, so that a file that cannot be read fails at start-up.
    init(path: String) throws {
        self.path = path
        let first = try SQLiteReadConnection(path: path)
        state.withLock { $0.idle.append(first) }
    }

    /// Runs `body` with a connection of the pool, on the caller's thread. For lookups by index.
    func read<T>(_ body: (SQLiteReadConnection) throws -> T) throws -> T {
        let connection = try take()
        defer { giveBack(connection) }
        return try body(connection)
    }

    /// Runs `body` with a connection of the pool on NIO's blocking pool. For statements that
    /// may scan.
    func scan<T: Sendable>(_ body: @escaping @Sendable (SQLiteReadConnection) throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive { try self.read(body) }
    }

    /// How many connections wait in the pool.
    var idleCount: Int { state.withLock { $0.idle.count } }

    /// Closes the idle connections; one in use is closed when it is given back.
    func close() {
        let idle = state.withLock { state -> [SQLiteReadConnection] in
            state.closed = true
            defer { state.idle.removeAll() }
            return state.idle
        }
        for connection in idle { connection.close() }
    }

    private func take() throws -> SQLiteReadConnection {
        let taken = try state.withLock { state -> SQLiteReadConnection? in
            guard !state.closed else { throw StoreError.writerClosed }
            return state.idle.popLast()
        }
        return try taken ?? SQLiteReadConnection(path: path)
    }

    private func giveBack(_ connection: SQLiteReadConnection) {
        let kept = state.withLock { state -> Bool in
            guard !state.closed, state.idle.count < Self.maxIdle else { return false }
            state.idle.append(connection)
            return true
        }
        if !kept { connection.close() }
    }
}

/// A row a statement returned, with its columns by name (as SQLiteNIO's rows are read).
protocol SQLiteColumnReading {
    func column(_ name: String) -> SQLiteData?
}

extension SQLiteRow: SQLiteColumnReading {}

/// A row read by a ``SQLiteReadConnection``.
struct SQLiteReadRow: SQLiteColumnReading {
    let names: [String]
    let values: [SQLiteData]

    func column(_ name: String) -> SQLiteData? {
        names.firstIndex(of: name).map { values[$0] }
    }
}

/// An error SQLite reported to a reader.
struct SQLiteReadError: Error, CustomStringConvertible {
    let code: Int32
    let message: String

    var description: String { message }
}

/// One read-only SQLite connection (`query_only`) with its prepared statements; used by one
/// thread at a time (``SQLiteReaders`` hands it out), hence `@unchecked Sendable`.
final class SQLiteReadConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    /// Prepared statements by their text; a connection runs a handful of distinct statements.
    private var statements: [String: OpaquePointer] = [:]

    init(path: String) throws {
        var handle: OpaquePointer?
        // NOMUTEX: the pool never lets two threads use one connection at once.
        let opened = sqlite_nio_sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
        guard opened == SQLITE_OK, let handle else {
            let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "cannot open the database"
            sqlite_nio_sqlite3_close(handle)
            throw SQLiteReadError(code: opened, message: message)
        }
        self.handle = handle
        do {
            for pragma in ["PRAGMA busy_timeout=5000", "PRAGMA query_only=ON"] { _ = try query(pragma) }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Runs `sql` with `binds` and returns every row.
    func query(_ sql: String, _ binds: [SQLiteData] = []) throws -> [SQLiteReadRow] {
        guard let handle else { throw StoreError.writerClosed }
        let statement = try prepared(sql, on: handle)
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        for (offset, bind) in binds.enumerated() {
            let index = Int32(offset + 1)
            let result: Int32
            switch bind {
            case .integer(let value): result = sqlite_nio_sqlite3_bind_int64(statement, index, Int64(value))
            case .float(let value): result = sqlite_nio_sqlite3_bind_double(statement, index, value)
            case .text(let value): result = sqlite_nio_sqlite3_bind_text64(statement, index, value, UInt64(value.utf8.count), Self.transient, UInt8(SQLITE_UTF8))
            case .blob(let value):
                result = value.withUnsafeReadableBytes { sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), Self.transient) }
            case .null: result = sqlite_nio_sqlite3_bind_null(statement, index)
            }
            guard result == SQLITE_OK else { throw error(result, on: handle) }
        }
        let count = sqlite_nio_sqlite3_column_count(statement)
        let names = (0..<count).map { sqlite_nio_sqlite3_column_name(statement, $0).map { String(cString: $0) } ?? "" }
        var rows: [SQLiteReadRow] = []
        while true {
            let step = sqlite_nio_sqlite3_step(statement)
            if step == SQLITE_DONE { return rows }
            guard step == SQLITE_ROW else { throw error(step, on: handle) }
            rows.append(SQLiteReadRow(names: names, values: (0..<count).map { value(statement, $0) }))
        }
    }

    func close() {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        statements.removeAll()
        if let handle { sqlite_nio_sqlite3_close(handle) }
        handle = nil
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private func prepared(_ sql: String, on handle: OpaquePointer) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        let result = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard result == SQLITE_OK, let statement else { throw error(result, on: handle) }
        statements[sql] = statement
        return statement
    }

    private func value(_ statement: OpaquePointer, _ column: Int32) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, column)))
        case SQLITE_FLOAT: return .float(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else { return .null }
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self))
        case SQLITE_BLOB:
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            var buffer = ByteBufferAllocator().buffer(capacity: length)
            if let bytes = sqlite_nio_sqlite3_column_blob(statement, column) { buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: length)) }
            return .blob(buffer)
        default: return .null
        }
    }

    private func error(_ code: Int32, on handle: OpaquePointer) -> SQLiteReadError {
        SQLiteReadError(code: code, message: sqlite_nio_sqlite3_errmsg(handle).map { String(cString: $0) } ?? "SQLite error \(code)")
    }
}
