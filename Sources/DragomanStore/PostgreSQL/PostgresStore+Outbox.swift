import DragomanCore
public import Foundation
import PostgresNIO

extension PostgresStore {
    public func enqueue(_ entry: NewOutboxEntry, now: Date) async throws -> Int64 {
        let rows = try await client.query(
            """
            INSERT INTO migration_outbox (dialect, upstream, user_uuid, operation, payload, state, attempts, next_at, lease_until, created_at)
            VALUES (\(entry.dialect), \(entry.upstream), \(entry.user.text()), \(entry.operation), \(entry.payload), \(OutboxColumns.pending), 0,
                \(now.timeIntervalSince1970), 0, \(now.timeIntervalSince1970))
            RETURNING seq
            """, logger: logger)
        for try await seq in rows.decode(Int64.self) { return seq }
        throw StoreError.corruptRow
    }

    public func claimOutbox(now: Date, limit: Int, lease: TimeInterval, owner: String) async throws -> [OutboxEntry] {
        // SKIP LOCKED: instances claiming at once take different entries; the lease keeps an
        // entry one instance's while it is applied.
        let time = now.timeIntervalSince1970
        let rows = try await client.query(
            """
            UPDATE migration_outbox SET lease_until = \(time + lease), owner = \(owner) WHERE seq IN (
                SELECT o.seq FROM migration_outbox o
                WHERE o.state = 'pending' AND o.next_at <= \(time) AND o.lease_until <= \(time)
                AND NOT EXISTS (
                    SELECT 1 FROM migration_outbox p
                    WHERE p.upstream = o.upstream AND p.user_uuid = o.user_uuid AND p.state = 'pending' AND p.seq < o.seq)
                ORDER BY o.seq LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING seq, dialect, upstream, user_uuid, operation, payload, attempts, state, last_error, created_at, next_at
            """, logger: logger)
        return try await entries(rows).sorted { $0.seq < $1.seq }
    }

    public func outboxLeaseOwners(now: Date) async throws -> [String] {
        var owners: [String] = []
        let rows = try await client.query(
            "SELECT DISTINCT owner FROM migration_outbox WHERE lease_until > \(now.timeIntervalSince1970) AND owner IS NOT NULL", logger: logger)
        for try await owner in rows.decode(String.self) { owners.append(owner) }
        return owners
    }

    public func releaseOutboxLeases(owner: String) async throws {
        try await client.query("UPDATE migration_outbox SET lease_until = 0, owner = NULL WHERE owner = \(owner)", logger: logger)
    }

    public func completeOutbox(seq: Int64) async throws {
        try await client.query("DELETE FROM migration_outbox WHERE seq = \(seq)", logger: logger)
    }

    public func retryOutbox(seq: Int64, attempts: Int, next: Date?, error: String) async throws {
        let state = next == nil ? OutboxColumns.failed : OutboxColumns.pending
        try await client.query(
            """
            UPDATE migration_outbox SET attempts = \(attempts), next_at = \((next ?? Date()).timeIntervalSince1970), lease_until = 0, owner = NULL,
                last_error = \(error), state = \(state) WHERE seq = \(seq)
            """, logger: logger)
    }

    public func outboxCounts() async throws -> [String: OutboxCounts] {
        var counts: [String: OutboxCounts] = [:]
        let rows = try await client.query("SELECT dialect, state, COUNT(*) FROM migration_outbox GROUP BY dialect, state", logger: logger)
        for try await (dialect, state, n) in rows.decode((String, String, Int).self) {
            if state == OutboxColumns.failed {
                counts[dialect, default: OutboxCounts()].failed = n
            } else {
                counts[dialect, default: OutboxCounts()].pending = n
            }
        }
        return counts
    }

    public func outboxEntries(dialect: String?, limit: Int) async throws -> [OutboxEntry] {
        let select = "SELECT seq, dialect, upstream, user_uuid, operation, payload, attempts, state, last_error, created_at, next_at FROM migration_outbox"
        let rows =
            if let dialect {
                try await client.query("\(unescaped: select) WHERE dialect = \(dialect) ORDER BY seq LIMIT \(limit)", logger: logger)
            } else {
                try await client.query("\(unescaped: select) ORDER BY seq LIMIT \(limit)", logger: logger)
            }
        return try await entries(rows)
    }

    private func entries(_ rows: PostgresRowSequence) async throws -> [OutboxEntry] {
        var entries: [OutboxEntry] = []
        for try await (seq, dialect, upstream, user, operation, payload, attempts, state, error, created, next) in rows.decode(
            (Int64, String, String, String, String, String, Int, String, String?, Double, Double).self)
        {
            guard let user = UUID(uuidString: user) else { throw StoreError.corruptRow }
            entries.append(
                OutboxEntry(
                    seq: seq, dialect: dialect, upstream: upstream, user: user, operation: operation, payload: payload, attempts: attempts,
                    failed: state == OutboxColumns.failed, lastError: error, createdAt: Date(timeIntervalSince1970: created),
                    nextAt: Date(timeIntervalSince1970: next)))
        }
        return entries
    }
}
