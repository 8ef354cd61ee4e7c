import DragomanCore
import Foundation
import SQLiteNIO

/// A user insert as the SQLite writer groups it: every insert waiting goes in with one
/// multi-row statement, which leaves out each row whose unique keys are already taken.
struct SQLiteUserInsert: GroupableWrite, InsertGroupStatements {
    let pending: PendingInsert

    init(record: UserRecord, uniqueKeys: [UniqueKey]) {
        pending = PendingInsert(record: record, uniqueKeys: uniqueKeys)
    }

    static func run(_ writes: [Self], on connection: SQLiteConnection) async throws -> [InsertOutcome] {
        try await InsertGroup.settle(writes.map(\.pending), with: Self.self, on: connection)
    }

    static func insertFree(_ writes: [PendingInsert], on connection: SQLiteConnection) async throws -> [UUID: Int64] {
        guard !writes.isEmpty else { return [:] }
        // The keys are settled by the WHERE clause; the only constraint left to fail is the
        // random uuid's. `OR IGNORE` means no row can abort the statement half-way, so SQLite
        // keeps no statement journal for it (a copy of every page it touches: 3–4 % of a
        // create's CPU). A row it ignored is missing from RETURNING and is answered as a
        // store error, as an aborted statement was.
        let row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        let sql = """
            INSERT OR IGNORE INTO users (uuid, realm, email_key, user_name_key, phone, document, created_at)
            SELECT column1, column2, column3, column4, column5, column6, column7
            FROM (VALUES \(Array(repeating: row, count: writes.count).joined(separator: ", ")))
            WHERE NOT (column8 AND EXISTS (SELECT 1 FROM users WHERE realm = column2 AND email_key = column3))
              AND NOT (column9 AND EXISTS (SELECT 1 FROM users WHERE realm = column2 AND user_name_key = column4))
              AND NOT (column10 AND EXISTS (SELECT 1 FROM users WHERE realm = column2 AND phone = column5))
            RETURNING serial, uuid
            """
        var binds: [SQLiteData] = []
        binds.reserveCapacity(writes.count * 10)
        for write in writes {
            let record = write.record
            let keys = record.keyColumns
            let checked = Set(write.held.map(\.key))
            binds += [
                .text(record.uuid.uuidString), .text(record.realm), keys.email.map(SQLiteData.text) ?? .null,
                keys.userName.map(SQLiteData.text) ?? .null, keys.phone.map(SQLiteData.text) ?? .null,
                .text(write.document), .float(record.createdAt.timeIntervalSince1970),
                .integer(checked.contains(.email) ? 1 : 0), .integer(checked.contains(.userName) ? 1 : 0),
                .integer(checked.contains(.phone) ? 1 : 0),
            ]
        }
        var serials: [UUID: Int64] = [:]
        for row in try await connection.query(sql, binds) {
            guard let serial = row.column("serial")?.integer, let uuid = row.column("uuid")?.string.flatMap(UUID.init(uuidString:)) else {
                throw StoreError.noSerial
            }
            serials[uuid] = Int64(serial)
        }
        return serials
    }

    static func existingHolder(of write: PendingInsert, on connection: SQLiteConnection) async throws -> InsertOutcome {
        let record = write.record
        for (key, value) in write.held {
            let rows = try await connection.query(
                "SELECT \(SQLiteUserStore.columns) FROM users WHERE realm = ? AND \(key.column) = ? ORDER BY serial LIMIT 1",
                [.text(record.realm), .text(value)]
            )
            if let row = rows.first { return .duplicate(existing: try SQLiteUserStore.user(from: row), key: key) }
        }
        throw StoreError.noSerial
    }

    static func markClaims(of writes: [PendingInsert], on connection: SQLiteConnection) async throws {
        let marked = writes.compactMap { write in write.record.mark.map { (write.record.uuid, $0) } }
        guard !marked.isEmpty else { return }
        let sql = """
            UPDATE idempotency SET user_uuid = column1
            FROM (VALUES \(Array(repeating: "(?, ?, ?, ?)", count: marked.count).joined(separator: ", ")))
            WHERE scope = column2 AND key = column3 AND token = column4 AND status IS NULL
            """
        _ = try await connection.query(sql, marked.flatMap { uuid, mark in
            [SQLiteData.text(uuid.uuidString), .text(mark.scope), .text(mark.key), .text(mark.token)]
        })
    }
}
