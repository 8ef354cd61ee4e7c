package import DragomanCore
import DragomanDialectKit
package import Foundation

/// A user insert as the SQLite writer groups it: the inserts waiting are settled together
/// (``InsertGroup``), each with one prepared statement that leaves the row out when one of its
/// unique keys is already taken.
package struct SQLiteUserInsert: GroupableWrite, InsertGroupStatements {
    package let pending: PendingInsert

    package init(record: UserRecord, uniqueKeys: [UniqueKey]) {
        pending = PendingInsert(record: record, uniqueKeys: uniqueKeys)
    }

    package static func run(_ writes: [Self], on connection: SQLiteDatabaseConnection) async throws -> [InsertOutcome] {
        try await InsertGroup.settle(writes.map(\.pending), with: Self.self, on: connection)
    }

    /// One user, unless a key it checks is held. The keys are settled by the WHERE clause; the
    /// only constraint left to fail is the random uuid's. `OR IGNORE` means no row can abort
    /// the statement half-way, so SQLite keeps no statement journal for it (a copy of every
    /// page it touches: 3–4 % of a create's CPU). A row it ignored returns no serial and is
    /// answered as a store error, as an aborted statement was.
    private static let insertOne = """
        INSERT OR IGNORE INTO users (uuid, realm, email_key, user_name_key, phone, document, created_at)
        SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
        WHERE NOT (?8 AND EXISTS (SELECT 1 FROM users WHERE realm = ?2 AND email_key = ?3))
          AND NOT (?9 AND EXISTS (SELECT 1 FROM users WHERE realm = ?2 AND user_name_key = ?4))
          AND NOT (?10 AND EXISTS (SELECT 1 FROM users WHERE realm = ?2 AND phone = ?5))
        RETURNING serial
        """

    package static func insertFree(_ writes: [PendingInsert], on connection: SQLiteDatabaseConnection) async throws -> [UUID: Int64] {
        var serials: [UUID: Int64] = [:]
        for write in writes {
            let record = write.record
            let keys = record.keyColumns
            let checked = write.held.map(\.key)
            let rows = try connection.query(
                insertOne,
                [
                    .text(record.uuid.text()), .text(record.realm), keys.email.map(SQLiteValue.text) ?? .null,
                    keys.userName.map(SQLiteValue.text) ?? .null, keys.phone.map(SQLiteValue.text) ?? .null,
                    .text(write.document), .float(record.createdAt.timeIntervalSince1970),
                    .integer(checked.contains(.email) ? 1 : 0), .integer(checked.contains(.userName) ? 1 : 0),
                    .integer(checked.contains(.phone) ? 1 : 0),
                ])
            guard let row = rows.first else { continue }
            guard let serial = row.column("serial")?.integer else { throw StoreError.noSerial }
            serials[record.uuid] = Int64(serial)
        }
        return serials
    }

    package static func existingHolder(of write: PendingInsert, on connection: SQLiteDatabaseConnection) async throws -> InsertOutcome {
        let record = write.record
        for (key, value) in write.held {
            let rows = try connection.query(
                "SELECT \(SQLiteUserStore.columns) FROM users WHERE realm = ? AND \(key.column) = ? ORDER BY serial LIMIT 1",
                [.text(record.realm), .text(value)]
            )
            if let row = rows.first { return .duplicate(existing: try SQLiteUserStore.user(from: row), key: key) }
        }
        throw StoreError.noSerial
    }

    package static func markClaims(of writes: [PendingInsert], on connection: SQLiteDatabaseConnection) async throws {
        for write in writes {
            guard let mark = write.record.mark else { continue }
            try connection.query(
                "UPDATE idempotency SET user_uuid = ? WHERE scope = ? AND key = ? AND token = ? AND status IS NULL",
                [.text(write.record.uuid.text()), .text(mark.scope), .text(mark.key), .text(mark.token)]
            )
        }
    }
}
