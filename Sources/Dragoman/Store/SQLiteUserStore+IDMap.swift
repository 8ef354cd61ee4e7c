import DragomanCore
public import Foundation
import SQLiteNIO

/// The ids a caller was given for a user that lives in a backend.
public struct MappedID: Sendable, Equatable {
    public var serial: Int64
    public var uuid: UUID
    public var backendID: String
    public var createdAt: Date
}

/// The durable map between the ids Dragoman gives callers and the backends' ids, so a later read
/// by the caller's id reaches the right backend user.
public protocol IDMapStore: Sendable {
    /// The caller-facing ids for `backendID`, minted on first sight.
    func map(upstream: String, backendID: String, now: Date) async throws -> MappedID
    func mapped(upstream: String, serial: Int64) async throws -> MappedID?
    func mapped(upstream: String, uuid: UUID) async throws -> MappedID?
}

extension SQLiteUserStore {
    public func map(upstream: String, backendID: String, now: Date) async throws -> MappedID {
        try await writer.write(SQLiteIDMapping(upstream: upstream, backendID: backendID, now: now))
    }

    public func mapped(upstream: String, serial: Int64) async throws -> MappedID? {
        let rows = try readers.read { reader in
            try reader.query("SELECT serial, uuid, backend_id, created_at FROM id_map WHERE upstream = ? AND serial = ?", [.text(upstream), .integer(Int(serial))])
        }
        return rows.first.flatMap(Self.mappedID)
    }

    public func mapped(upstream: String, uuid: UUID) async throws -> MappedID? {
        let rows = try readers.read { reader in
            try reader.query("SELECT serial, uuid, backend_id, created_at FROM id_map WHERE upstream = ? AND uuid = ?", [.text(upstream), .text(uuid.uuidString)])
        }
        return rows.first.flatMap(Self.mappedID)
    }

    static func mappedID(_ row: some SQLiteColumnReading) -> MappedID? {
        guard let serial = row.column("serial")?.integer, let uuid = row.column("uuid")?.string.flatMap(UUID.init(uuidString:)),
            let backendID = row.column("backend_id")?.string, let created = row.column("created_at")?.double
        else { return nil }
        return MappedID(serial: Int64(serial), uuid: uuid, backendID: backendID, createdAt: Date(timeIntervalSince1970: created))
    }
}

/// An id mapping as the SQLite writer groups it: every mapping waiting goes in with one
/// statement that returns the new ones; one more reads back the ids a backend already had.
struct SQLiteIDMapping: GroupableWrite {
    let upstream: String
    let backendID: String
    let now: Date

    static func run(_ writes: [Self], on connection: SQLiteConnection) async throws -> [MappedID] {
        var found: [String: MappedID] = [:]
        func keep(_ rows: [SQLiteRow]) throws {
            for row in rows {
                guard let mapped = SQLiteUserStore.mappedID(row), let upstream = row.column("upstream")?.string else { throw StoreError.corruptRow }
                found[upstream + "\u{0}" + mapped.backendID] = mapped
            }
        }
        // OR IGNORE (not ON CONFLICT on the backend's id alone) so that no row can abort the
        // statement and SQLite keeps no statement journal for it; the only other constraint
        // is the random uuid's. RETURNING gives the new mappings; the ids a backend had already
        // (a read of a user created before) are read after it, only when there are any.
        try keep(
            try await connection.query(
                "INSERT OR IGNORE INTO id_map (uuid, upstream, backend_id, created_at) VALUES \(rows("(?, ?, ?, ?)", writes.count)) RETURNING \(Self.columns)",
                writes.flatMap { [SQLiteData.text(UUID.random().uuidString), .text($0.upstream), .text($0.backendID), .float($0.now.timeIntervalSince1970)] }
            )
        )
        let seenBefore = writes.filter { found[$0.upstream + "\u{0}" + $0.backendID] == nil }
        if !seenBefore.isEmpty {
            try keep(
                try await connection.query(
                    "SELECT \(Self.columns) FROM id_map WHERE (upstream, backend_id) IN (VALUES \(rows("(?, ?)", seenBefore.count)))",
                    seenBefore.flatMap { [SQLiteData.text($0.upstream), .text($0.backendID)] }
                )
            )
        }
        return try writes.map { write in
            guard let mapped = found[write.upstream + "\u{0}" + write.backendID] else { throw StoreError.corruptRow }
            return mapped
        }
    }

    private static let columns = "serial, uuid, backend_id, created_at, upstream"

    private static func rows(_ row: String, _ count: Int) -> String {
        Array(repeating: row, count: count).joined(separator: ", ")
    }
}
