import DragomanCore
public import Foundation

extension SQLiteUserStore {
    public func enqueue(_ entry: NewOutboxEntry, now: Date) async throws -> Int64 {
        try await writer.write { connection in
            let rows = try connection.query(
                """
                INSERT INTO migration_outbox (dialect, upstream, user_uuid, operation, payload, state, attempts, next_at, lease_until, created_at)
                VALUES (?, ?, ?, ?, ?, ?, 0, ?, 0, ?) RETURNING seq
                """,
                [
                    .text(entry.dialect), .text(entry.upstream), .text(entry.user.text()), .text(entry.operation), .text(entry.payload),
                    .text(OutboxColumns.pending), .float(now.timeIntervalSince1970), .float(now.timeIntervalSince1970),
                ])
            guard let seq = rows.first?.column("seq")?.integer else { throw StoreError.corruptRow }
            return Int64(seq)
        }
    }

    public func claimOutbox(now: Date, limit: Int, lease: TimeInterval, owner: String) async throws -> [OutboxEntry] {
        try await writer.write { connection in
            let rows = try connection.query(
                """
                UPDATE migration_outbox SET lease_until = ?, owner = ? WHERE seq IN (
                    SELECT o.seq FROM migration_outbox o
                    WHERE o.state = 'pending' AND o.next_at <= ? AND o.lease_until <= ?
                    AND NOT EXISTS (
                        SELECT 1 FROM migration_outbox p
                        WHERE p.upstream = o.upstream AND p.user_uuid = o.user_uuid AND p.state = 'pending' AND p.seq < o.seq)
                    ORDER BY o.seq LIMIT ?)
                RETURNING \(OutboxColumns.list)
                """,
                [
                    .float(now.timeIntervalSince1970 + lease), .text(owner), .float(now.timeIntervalSince1970), .float(now.timeIntervalSince1970),
                    .integer(limit),
                ])
            return try rows.map(Self.outboxEntry).sorted { $0.seq < $1.seq }
        }
    }

    public func outboxLeaseOwners(now: Date) async throws -> [String] {
        let rows = try readers.read { reader in
            try reader.query("SELECT DISTINCT owner FROM migration_outbox WHERE lease_until > ? AND owner IS NOT NULL", [.float(now.timeIntervalSince1970)])
        }
        return rows.compactMap { $0.column("owner")?.string }
    }

    public func releaseOutboxLeases(owner: String) async throws {
        try await writer.write { connection in
            _ = try connection.query("UPDATE migration_outbox SET lease_until = 0, owner = NULL WHERE owner = ?", [.text(owner)])
        }
    }

    public func completeOutbox(seq: Int64) async throws {
        try await writer.write { connection in
            _ = try connection.query("DELETE FROM migration_outbox WHERE seq = ?", [.integer(Int(seq))])
        }
    }

    public func retryOutbox(seq: Int64, attempts: Int, next: Date?, error: String) async throws {
        try await writer.write { connection in
            _ = try connection.query(
                "UPDATE migration_outbox SET attempts = ?, next_at = ?, lease_until = 0, owner = NULL, last_error = ?, state = ? WHERE seq = ?",
                [
                    .integer(attempts), .float((next ?? Date()).timeIntervalSince1970), .text(error),
                    .text(next == nil ? OutboxColumns.failed : OutboxColumns.pending), .integer(Int(seq)),
                ])
        }
    }

    public func outboxCounts() async throws -> [String: OutboxCounts] {
        let rows = try readers.read { reader in
            try reader.query("SELECT dialect, state, COUNT(*) AS n FROM migration_outbox GROUP BY dialect, state")
        }
        var counts: [String: OutboxCounts] = [:]
        for row in rows {
            guard let dialect = row.column("dialect")?.string, let state = row.column("state")?.string, let n = row.column("n")?.integer else { continue }
            if state == OutboxColumns.failed {
                counts[dialect, default: OutboxCounts()].failed = n
            } else {
                counts[dialect, default: OutboxCounts()].pending = n
            }
        }
        return counts
    }

    public func outboxEntries(dialect: String?, limit: Int) async throws -> [OutboxEntry] {
        let rows = try readers.read { reader in
            if let dialect {
                try reader.query(
                    "SELECT \(OutboxColumns.list) FROM migration_outbox WHERE dialect = ? ORDER BY seq LIMIT ?", [.text(dialect), .integer(limit)])
            } else {
                try reader.query("SELECT \(OutboxColumns.list) FROM migration_outbox ORDER BY seq LIMIT ?", [.integer(limit)])
            }
        }
        return try rows.map(Self.outboxEntry)
    }

    private static func outboxEntry(_ row: SQLiteResultRow) throws -> OutboxEntry {
        guard let seq = row.column("seq")?.integer, let dialect = row.column("dialect")?.string, let upstream = row.column("upstream")?.string,
            let user = row.column("user_uuid")?.string.flatMap(UUID.init(uuidString:)), let operation = row.column("operation")?.string,
            let payload = row.column("payload")?.string, let attempts = row.column("attempts")?.integer, let state = row.column("state")?.string,
            let created = row.column("created_at")?.double, let next = row.column("next_at")?.double
        else { throw StoreError.corruptRow }
        return OutboxEntry(
            seq: Int64(seq), dialect: dialect, upstream: upstream, user: user, operation: operation, payload: payload, attempts: attempts,
            failed: state == OutboxColumns.failed, lastError: row.column("last_error")?.string, createdAt: Date(timeIntervalSince1970: created),
            nextAt: Date(timeIntervalSince1970: next))
    }
}
