public import DragomanCore
import DragomanDialectKit
public import Foundation

/// The ids a caller was given for a user that lives in a backend.
public struct MappedID: Sendable, Equatable {
    public var serial: Int64
    public var uuid: UUID
    public var backendID: String
    public var createdAt: Date
    /// The canonical fields kept for the user because its backend cannot (`lostFields: keep`),
    /// by field name, as JSON.
    public var kept: [String: JSONValue] = [:]
}

/// The durable map between the ids Dragoman gives callers and the backends' ids, so a later read
/// by the caller's id reaches the right backend user.
public protocol IDMapStore: Sendable {
    /// The caller-facing ids for `backendID`, minted on first sight.
    func map(upstream: String, backendID: String, now: Date) async throws -> MappedID
    func mapped(upstream: String, serial: Int64) async throws -> MappedID?
    func mapped(upstream: String, uuid: UUID) async throws -> MappedID?
    /// Replaces what is kept for the user `uuid` of `upstream`.
    func keep(upstream: String, uuid: UUID, fields: [String: JSONValue]) async throws
}

extension SQLiteUserStore {
    public func map(upstream: String, backendID: String, now: Date) async throws -> MappedID {
        try await writer.write(SQLiteIDMapping(upstream: upstream, backendID: backendID, now: now))
    }

    public func mapped(upstream: String, serial: Int64) async throws -> MappedID? {
        let rows = try readers.read { reader in
            try reader.query(
                "SELECT \(SQLiteIDMapping.columns) FROM id_map WHERE upstream = ? AND serial = ?", [.text(upstream), .integer(Int(serial))])
        }
        return rows.first.flatMap(Self.mappedID)
    }

    public func mapped(upstream: String, uuid: UUID) async throws -> MappedID? {
        let rows = try readers.read { reader in
            try reader.query("SELECT \(SQLiteIDMapping.columns) FROM id_map WHERE upstream = ? AND uuid = ?", [.text(upstream), .text(uuid.text())])
        }
        return rows.first.flatMap(Self.mappedID)
    }

    package static func mappedID(_ row: SQLiteResultRow) -> MappedID? {
        guard let serial = row.column("serial")?.integer, let uuid = row.column("uuid")?.string.flatMap(UUID.init(uuidString:)),
            let backendID = row.column("backend_id")?.string, let created = row.column("created_at")?.double
        else { return nil }
        return MappedID(
            serial: Int64(serial), uuid: uuid, backendID: backendID, createdAt: Date(timeIntervalSince1970: created),
            kept: KeptFields.decode(row.column("kept")?.string))
    }

    public func keep(upstream: String, uuid: UUID, fields: [String: JSONValue]) async throws {
        let json = KeptFields.encode(fields)
        try await writer.write { connection in
            try connection.query(
                "UPDATE id_map SET kept = ? WHERE upstream = ? AND uuid = ?", [json.map(SQLiteValue.text) ?? .null, .text(upstream), .text(uuid.text())])
        }
    }
}

/// The kept fields' column: a JSON object, or NULL when none are kept.
package enum KeptFields {
    package static func encode(_ fields: [String: JSONValue]) -> String? {
        guard !fields.isEmpty else { return nil }
        var writer = JSONWriter(capacity: 128)
        writer.value(.object(fields))
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    package static func decode(_ text: String?) -> [String: JSONValue] {
        guard let text, case .object(let fields)? = try? StrictJSONParser.parse(Array(text.utf8), maxDepth: 64) else { return [:] }
        return fields
    }
}

/// An id mapping as the SQLite writer groups it: each mapping waiting is one prepared insert
/// that returns the new ids, and a read of the ids a backend already had when it returned none.
package struct SQLiteIDMapping: GroupableWrite {
    package let upstream: String
    package let backendID: String
    package let now: Date

    package static func run(_ writes: [Self], on connection: SQLiteDatabaseConnection) async throws -> [MappedID] {
        try writes.map { write in
            // OR IGNORE (not ON CONFLICT on the backend's id alone) so that no row can abort the
            // statement and SQLite keeps no statement journal for it; the only other constraint
            // is the random uuid's. An id the backend had already (a read of a user created
            // before, or an earlier write of this group) is read after it.
            let inserted = try connection.query(
                "INSERT OR IGNORE INTO id_map (uuid, upstream, backend_id, created_at) VALUES (?, ?, ?, ?) RETURNING \(columns)",
                [.text(UUID.timeOrdered(at: write.now).text()), .text(write.upstream), .text(write.backendID), .float(write.now.timeIntervalSince1970)]
            )
            let rows =
                try inserted.isEmpty
                ? connection.query("SELECT \(columns) FROM id_map WHERE upstream = ? AND backend_id = ?", [.text(write.upstream), .text(write.backendID)])
                : inserted
            guard let row = rows.first, let mapped = SQLiteUserStore.mappedID(row) else { throw StoreError.corruptRow }
            return mapped
        }
    }

    package static let columns = "serial, uuid, backend_id, created_at, kept"
}
