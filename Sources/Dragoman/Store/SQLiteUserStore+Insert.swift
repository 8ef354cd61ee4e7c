import DragomanCore
import Foundation
import SQLiteNIO

/// A user insert as the SQLite writer groups it: every insert waiting goes in with one
/// multi-row statement, which leaves out each row whose unique keys are already taken.
struct SQLiteUserInsert: GroupableWrite {
    let record: UserRecord
    let document: String
    /// The unique keys the record holds, with their column values, in the profile's order.
    let held: [(key: UniqueKey, value: String)]

    init(record: UserRecord, uniqueKeys: [UniqueKey]) throws {
        self.record = record
        self.document = try StoredDocument(record).json()
        self.held = uniqueKeys.compactMap { key in record.keyValue(key).map { (key, $0) } }
    }

    static func run(_ writes: [Self], on connection: SQLiteConnection) async throws -> [InsertOutcome] {
        var outcomes = [InsertOutcome?](repeating: nil, count: writes.count)
        // Within the group the first to hold a key wins it; a later one waits to hear whether the
        // winner went in.
        var holders: [String: Int] = [:]
        var losers: [(index: Int, winner: Int, key: UniqueKey)] = []
        var candidates: [Int] = []
        for (index, write) in writes.enumerated() {
            let claims = write.held.map { (key: $0.key, slot: "\(write.record.realm)\u{0}\($0.key.column)\u{0}\($0.value)") }
            if let taken = claims.first(where: { holders[$0.slot] != nil }), let winner = holders[taken.slot] {
                losers.append((index, winner, taken.key))
                continue
            }
            for claim in claims { holders[claim.slot] = index }
            candidates.append(index)
        }
        let inserted = try await insertFree(candidates.map { writes[$0] }, on: connection)
        for index in candidates {
            let write = writes[index]
            if let serial = inserted[write.record.uuid] {
                outcomes[index] = .created(write.record.stored(serial: serial))
            } else {
                outcomes[index] = try await write.existingHolder(on: connection)
            }
        }
        try await markClaims(of: candidates.map { writes[$0] }.filter { inserted[$0.record.uuid] != nil }, on: connection)
        // A loser whose winner went in is its duplicate; one whose winner did not is tried again.
        var retry: [Int] = []
        for loser in losers {
            if case .created(let winner)? = outcomes[loser.winner] {
                outcomes[loser.index] = .duplicate(existing: winner, key: loser.key)
            } else {
                retry.append(loser.index)
            }
        }
        if !retry.isEmpty {
            for (index, outcome) in zip(retry, try await run(retry.map { writes[$0] }, on: connection)) { outcomes[index] = outcome }
        }
        let settled = outcomes.compactMap { $0 }
        guard settled.count == writes.count else { throw StoreError.noSerial }
        return settled
    }

    /// Inserts every write whose keys are free in the database, in one statement; the serials
    /// of those that went in, by uuid.
    private static func insertFree(_ writes: [Self], on connection: SQLiteConnection) async throws -> [UUID: Int64] {
        guard !writes.isEmpty else { return [:] }
        let row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        let sql = """
            INSERT INTO users (uuid, realm, email_key, user_name_key, phone, document, created_at)
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

    /// The user holding one of this write's keys (the first key in the profile's order).
    private func existingHolder(on connection: SQLiteConnection) async throws -> InsertOutcome {
        for (key, value) in held {
            let rows = try await connection.query(
                "SELECT \(SQLiteUserStore.columns) FROM users WHERE realm = ? AND \(key.column) = ? ORDER BY serial LIMIT 1",
                [.text(record.realm), .text(value)]
            )
            if let row = rows.first { return .duplicate(existing: try SQLiteUserStore.user(from: row), key: key) }
        }
        throw StoreError.noSerial
    }

    /// Marks the idempotency claims of the inserted users, in one statement.
    private static func markClaims(of writes: [Self], on connection: SQLiteConnection) async throws {
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
