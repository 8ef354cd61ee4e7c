public import Foundation

/// Where a backfill from `source` to `target` stopped: the source list's position after the
/// last page it finished (`nil` with pages: it finished the whole list).
public struct BackfillPosition: Sendable, Equatable {
    public var position: String?
    public var pages: Int
    public var updatedAt: Date

    public init(position: String?, pages: Int, updatedAt: Date) {
        self.position = position
        self.pages = pages
        self.updatedAt = updatedAt
    }
}

/// The backfill's resumption point, kept in the store after each page, so that a backfill
/// killed at any moment continues where it stopped.
public protocol BackfillProgressStore: Sendable {
    func backfillPosition(source: String, target: String) async throws -> BackfillPosition?
    func recordBackfill(source: String, target: String, position: BackfillPosition) async throws
    /// Forgets it: the next backfill starts from the source list's beginning.
    func resetBackfill(source: String, target: String) async throws
}

extension SQLiteUserStore {
    public func backfillPosition(source: String, target: String) async throws -> BackfillPosition? {
        let rows = try readers.read { reader in
            try reader.query("SELECT position, pages, updated_at FROM backfill_progress WHERE source = ? AND target = ?", [.text(source), .text(target)])
        }
        guard let row = rows.first, let pages = row.column("pages")?.integer, let updated = row.column("updated_at")?.double else { return nil }
        return BackfillPosition(position: row.column("position")?.string, pages: pages, updatedAt: Date(timeIntervalSince1970: updated))
    }

    public func recordBackfill(source: String, target: String, position: BackfillPosition) async throws {
        try await writer.write { connection in
            _ = try connection.query(
                """
                INSERT INTO backfill_progress (source, target, position, pages, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (source, target) DO UPDATE SET position = excluded.position, pages = excluded.pages, updated_at = excluded.updated_at
                """,
                [
                    .text(source), .text(target), position.position.map(SQLiteValue.text) ?? .null, .integer(position.pages),
                    .float(position.updatedAt.timeIntervalSince1970),
                ])
        }
    }

    public func resetBackfill(source: String, target: String) async throws {
        try await writer.write { connection in
            _ = try connection.query("DELETE FROM backfill_progress WHERE source = ? AND target = ?", [.text(source), .text(target)])
        }
    }
}
