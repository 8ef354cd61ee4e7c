package import DragomanCore
import DragomanDialectKit
package import Foundation

/// A user insert waiting to be committed with others: the record, its stored document, and the
/// unique keys it holds with their column values, in the profile's order.
package struct PendingInsert: Sendable {
    package let record: UserRecord
    package let document: String
    package let held: [(key: UniqueKey, value: String)]

    package init(record: UserRecord, uniqueKeys: [UniqueKey]) {
        self.record = record
        self.document = StoredDocument(record).json()
        self.held = uniqueKeys.compactMap { key in record.keyValue(key).map { (key, $0) } }
    }
}

/// One engine's statements for a group of inserts, run inside the group's open transaction.
package protocol InsertGroupStatements {
    associatedtype Connection: Sendable
    /// Inserts every write whose keys are free in the database (PostgreSQL in one statement,
    /// SQLite with one prepared statement per write on its writer's thread); the serials of
    /// those that went in, by uuid.
    static func insertFree(_ writes: [PendingInsert], on connection: Connection) async throws -> [UUID: Int64]
    /// The user holding one of a refused write's keys (the first key in the profile's order).
    static func existingHolder(of write: PendingInsert, on connection: Connection) async throws -> InsertOutcome
    /// Marks the idempotency claims of the inserted users.
    static func markClaims(of writes: [PendingInsert], on connection: Connection) async throws
}

/// How a group of inserts committed together keeps each create's rules, in either engine: within
/// the group the first write to hold a key wins it and the database settles the rest (a write
/// whose key another user already holds is refused, and told who holds it); a write that lost a
/// key to an earlier one of the group is its duplicate if that one went in, and tried again if it
/// did not.
package enum InsertGroup {
    package static func settle<Statements: InsertGroupStatements>(
        _ writes: [PendingInsert],
        with statements: Statements.Type,
        on connection: Statements.Connection
    ) async throws -> [InsertOutcome] {
        var outcomes = [InsertOutcome?](repeating: nil, count: writes.count)
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
        let inserted = try await Statements.insertFree(candidates.map { writes[$0] }, on: connection)
        for index in candidates {
            let write = writes[index]
            if let serial = inserted[write.record.uuid] {
                outcomes[index] = .created(write.record.stored(serial: serial))
            } else {
                outcomes[index] = try await Statements.existingHolder(of: write, on: connection)
            }
        }
        try await Statements.markClaims(of: candidates.map { writes[$0] }.filter { inserted[$0.record.uuid] != nil }, on: connection)
        var retry: [Int] = []
        for loser in losers {
            if case .created(let winner)? = outcomes[loser.winner] {
                outcomes[loser.index] = .duplicate(existing: winner, key: loser.key)
            } else {
                retry.append(loser.index)
            }
        }
        if !retry.isEmpty {
            let again = try await settle(retry.map { writes[$0] }, with: statements, on: connection)
            for (index, outcome) in zip(retry, again) { outcomes[index] = outcome }
        }
        let settled = outcomes.compactMap { $0 }
        guard settled.count == writes.count else { throw StoreError.noSerial }
        return settled
    }
}
