public import Foundation
import PostgresNIO

extension PostgresStore {
    public func backfillPosition(source: String, target: String) async throws -> BackfillPosition? {
        let rows = try await client.query(
            "SELECT position, pages, updated_at FROM backfill_progress WHERE source = \(source) AND target = \(target)", logger: logger)
        for try await (position, pages, updated) in rows.decode((String?, Int, Double).self) {
            return BackfillPosition(position: position, pages: pages, updatedAt: Date(timeIntervalSince1970: updated))
        }
        return nil
    }

    public func recordBackfill(source: String, target: String, position: BackfillPosition) async throws {
        try await client.query(
            """
            INSERT INTO backfill_progress (source, target, position, pages, updated_at)
            VALUES (\(source), \(target), \(position.position), \(position.pages), \(position.updatedAt.timeIntervalSince1970))
            ON CONFLICT (source, target) DO UPDATE SET position = excluded.position, pages = excluded.pages, updated_at = excluded.updated_at
            """, logger: logger)
    }

    public func resetBackfill(source: String, target: String) async throws {
        try await client.query("DELETE FROM backfill_progress WHERE source = \(source) AND target = \(target)", logger: logger)
    }
}
