import CSQLite
import DragomanDialectKit
import NIOCore

/// A row a statement returned, with its columns by name.
package struct SQLiteResultRow {
    package let names: [String]
    package let values: [SQLiteValue]

    package func column(_ name: String) -> SQLiteValue? {
        names.firstIndex(of: name).map { values[$0] }
    }
}

/// An error SQLite reported.
package struct SQLiteDatabaseError: Error, CustomStringConvertible {
    package let code: Int32
    package let message: String

    package var description: String { message }
}

/// One SQLite connection on the C API, with its statements prepared once; used synchronously by
/// one thread at a time, hence `@unchecked Sendable`: a reader is handed out by
/// ``SQLiteReaders``, the writer's lives on the ``SQLiteWriter``'s own thread.
///
/// It uses the system's SQLite through Dragoman's own `CSQLite` module (a system library
/// target), the only SQLite in the process, so there is one set of file locks.
package final class SQLiteDatabaseConnection: @unchecked Sendable {
    /// What the connection may do.
    package enum Role {
        /// `query_only`: for lookups and scans beside the writer.
        case reader
        /// The one connection that writes, with the store's pragmas (WAL, full sync).
        case writer

        /// What a connection in this role runs once it is open.
        package var pragmas: [String] {
            switch self {
            case .reader: ["PRAGMA busy_timeout=5000", "PRAGMA query_only=ON"]
            case .writer: SQLiteSchema.pragmas
            }
        }
    }

    /// A statement kept prepared, with its column names (read once, when it is prepared).
    private struct Prepared {
        package let statement: OpaquePointer
        package let names: [String]
    }

    /// The most statements kept prepared; one beyond them is prepared, run and finalized.
    package static let maxPrepared = 64

    private var handle: OpaquePointer?
    /// Prepared statements by their text.
    private var statements: [String: Prepared] = [:]

    package init(path: String, role: Role) throws {
        var handle: OpaquePointer?
        // NOMUTEX: a connection is never used by two threads at once.
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (role == .writer ? SQLITE_OPEN_CREATE : 0)
        let opened = sqlite3_open_v2(path, &handle, flags, nil)
        guard opened == SQLITE_OK, let handle else {
            let message = handle.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "cannot open the database"
            sqlite3_close(handle)
            throw SQLiteDatabaseError(code: opened, message: message)
        }
        self.handle = handle
        do {
            for pragma in role.pragmas { try query(pragma) }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Runs `sql` with `binds` and returns every row.
    @discardableResult
    package func query(_ sql: String, _ binds: [SQLiteValue] = []) throws -> [SQLiteResultRow] {
        guard let handle else { throw StoreError.writerClosed }
        let (statement, kept, names) = try prepared(sql, on: handle)
        defer {
            if kept {
                sqlite3_reset(statement)
                sqlite3_clear_bindings(statement)
            } else {
                sqlite3_finalize(statement)
            }
        }
        for (offset, bind) in binds.enumerated() {
            let index = Int32(offset + 1)
            let result: Int32
            switch bind {
            case .integer(let value): result = sqlite3_bind_int64(statement, index, Int64(value))
            case .float(let value): result = sqlite3_bind_double(statement, index, value)
            case .text(let value): result = sqlite3_bind_text64(statement, index, value, UInt64(value.utf8.count), Self.transient, UInt8(SQLITE_UTF8))
            case .blob(let value):
                result = value.withUnsafeReadableBytes { sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), Self.transient) }
            case .null: result = sqlite3_bind_null(statement, index)
            }
            guard result == SQLITE_OK else { throw error(result, on: handle) }
        }
        var rows: [SQLiteResultRow] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { return rows }
            guard step == SQLITE_ROW else { throw error(step, on: handle) }
            rows.append(SQLiteResultRow(names: names, values: names.indices.map { value(statement, Int32($0)) }))
        }
    }

    /// How many statements are kept prepared.
    package var preparedCount: Int { statements.count }

    package func close() {
        for prepared in statements.values { sqlite3_finalize(prepared.statement) }
        statements.removeAll()
        if let handle { sqlite3_close(handle) }
        handle = nil
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// The statement for `sql`, whether it is kept prepared for the next time, and its column
    /// names (known once prepared; a kept statement keeps them).
    private func prepared(_ sql: String, on handle: OpaquePointer) throws -> (OpaquePointer, kept: Bool, names: [String]) {
        if let prepared = statements[sql] { return (prepared.statement, true, prepared.names) }
        let keep = statements.count < Self.maxPrepared
        var statement: OpaquePointer?
        let result = sqlite3_prepare_v3(handle, sql, -1, keep ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0, &statement, nil)
        guard result == SQLITE_OK, let statement else { throw error(result, on: handle) }
        let names = (0..<sqlite3_column_count(statement)).map {
            sqlite3_column_name(statement, $0).map { String(cString: $0) } ?? ""
        }
        if keep { statements[sql] = Prepared(statement: statement, names: names) }
        return (statement, keep, names)
    }

    private func value(_ statement: OpaquePointer, _ column: Int32) -> SQLiteValue {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return .integer(Int(sqlite3_column_int64(statement, column)))
        case SQLITE_FLOAT: return .float(sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(statement, column) else { return .null }
            let length = Int(sqlite3_column_bytes(statement, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self))
        case SQLITE_BLOB:
            let length = Int(sqlite3_column_bytes(statement, column))
            var buffer = ByteBufferAllocator().buffer(capacity: length)
            if let bytes = sqlite3_column_blob(statement, column) { buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: length)) }
            return .blob(buffer)
        default: return .null
        }
    }

    private func error(_ code: Int32, on handle: OpaquePointer) -> SQLiteDatabaseError {
        SQLiteDatabaseError(code: code, message: sqlite3_errmsg(handle).map { String(cString: $0) } ?? "SQLite error \(code)")
    }
}
