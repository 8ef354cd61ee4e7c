import DragomanDialectKit
public import Foundation

/// Sessions in SQLite; every write goes through the store's writer and its group transaction, so it
/// never lands inside another task's transaction on the shared connection.
extension SQLiteUserStore {
    public func createSession(digest: String, record: SessionRecord) async throws {
        _ = try await transaction { connection in
            try connection.query(
                "INSERT INTO sessions (id_digest, principal, created_at, expires_at) VALUES (?, ?, ?, ?)",
                [.text(digest), .text(record.principal), .float(Date().timeIntervalSince1970), .float(record.expiresAt.timeIntervalSince1970)]
            )
        }
    }

    public func session(digest: String, now: Date) async throws -> SessionRecord? {
        let rows = try readers.read { reader in
            try reader.query(
                "SELECT principal, expires_at FROM sessions WHERE id_digest = ? AND expires_at > ?", [.text(digest), .float(now.timeIntervalSince1970)])
        }
        guard let row = rows.first, let principal = row.column("principal")?.string, let expires = row.column("expires_at")?.double else {
            return nil
        }
        return SessionRecord(principal: principal, expiresAt: Date(timeIntervalSince1970: expires))
    }

    public func deleteSession(digest: String) async throws {
        _ = try await transaction { connection in try connection.query("DELETE FROM sessions WHERE id_digest = ?", [.text(digest)]) }
    }

    @discardableResult
    public func deleteExpiredSessions(now: Date) async throws -> Int {
        try await transaction { connection in
            let rows = try connection.query(
                "DELETE FROM sessions WHERE expires_at <= ? RETURNING id_digest",
                [.float(now.timeIntervalSince1970)]
            )
            return rows.count
        }
    }
}
