import DragomanDialectKit
public import Foundation
import PostgresNIO

extension PostgresStore {
    public func createSession(digest: String, record: SessionRecord) async throws {
        try await client.query(
            """
            INSERT INTO sessions (id_digest, principal, created_at, expires_at)
            VALUES (\(digest), \(record.principal), \(Date().timeIntervalSince1970), \(record.expiresAt.timeIntervalSince1970))
            """,
            logger: logger
        )
    }

    public func session(digest: String, now: Date) async throws -> SessionRecord? {
        let rows = try await client.query(
            "SELECT principal, expires_at FROM sessions WHERE id_digest = \(digest) AND expires_at > \(now.timeIntervalSince1970)",
            logger: logger
        )
        for try await (principal, expires) in rows.decode((String, Double).self) {
            return SessionRecord(principal: principal, expiresAt: Date(timeIntervalSince1970: expires))
        }
        return nil
    }

    public func deleteSession(digest: String) async throws {
        try await client.query("DELETE FROM sessions WHERE id_digest = \(digest)", logger: logger)
    }

    @discardableResult
    public func deleteExpiredSessions(now: Date) async throws -> Int {
        let rows = try await client.query("DELETE FROM sessions WHERE expires_at <= \(now.timeIntervalSince1970) RETURNING 1", logger: logger)
        var count = 0
        for try await _ in rows { count += 1 }
        return count
    }
}
