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
        _ = try await transaction {
            try await connection.query(
                "INSERT INTO id_map (uuid, upstream, backend_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (upstream, backend_id) DO NOTHING",
                [.text(UUID().uuidString), .text(upstream), .text(backendID), .float(now.timeIntervalSince1970)]
            )
        }
        let rows = try await reader.query(
            "SELECT serial, uuid, backend_id, created_at FROM id_map WHERE upstream = ? AND backend_id = ?",
            [.text(upstream), .text(backendID)]
        )
        guard let mapped = rows.first.flatMap(Self.mappedID) else { throw StoreError.corruptRow }
        return mapped
    }

    public func mapped(upstream: String, serial: Int64) async throws -> MappedID? {
        let rows = try await reader.query(
            "SELECT serial, uuid, backend_id, created_at FROM id_map WHERE upstream = ? AND serial = ?",
            [.text(upstream), .integer(Int(serial))]
        )
        return rows.first.flatMap(Self.mappedID)
    }

    public func mapped(upstream: String, uuid: UUID) async throws -> MappedID? {
        let rows = try await reader.query(
            "SELECT serial, uuid, backend_id, created_at FROM id_map WHERE upstream = ? AND uuid = ?",
            [.text(upstream), .text(uuid.uuidString)]
        )
        return rows.first.flatMap(Self.mappedID)
    }

    static func mappedID(_ row: SQLiteRow) -> MappedID? {
        guard let serial = row.column("serial")?.integer, let uuid = row.column("uuid")?.string.flatMap(UUID.init(uuidString:)),
            let backendID = row.column("backend_id")?.string, let created = row.column("created_at")?.double
        else { return nil }
        return MappedID(serial: Int64(serial), uuid: uuid, backendID: backendID, createdAt: Date(timeIntervalSince1970: created))
    }
}
