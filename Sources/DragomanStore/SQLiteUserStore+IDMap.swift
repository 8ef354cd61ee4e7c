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

/// A bridged user as the id map knows it: the caller's ids, the upstream it lives on (where it
/// was first created or seen), and its id on every upstream that holds it.
public struct MappedIdentity: Sendable, Equatable {
    public var serial: Int64
    public var uuid: UUID
    /// The upstream the user was created on or first seen by: where it lives in a split.
    public var home: String
    public var createdAt: Date
    /// The user's id on each upstream that holds it, by upstream name.
    public var backends: [String: String]
}

/// How many bridged users each upstream holds: those living there, and all it has an id for.
public struct Residence: Sendable, Equatable {
    public var living: Int
    public var held: Int

    public init(living: Int = 0, held: Int = 0) {
        self.living = living
        self.held = held
    }
}

/// The durable map between the ids Dragoman gives callers and the backends' ids, so a later read
/// by the caller's id reaches the right backend user. One user may have an id on several
/// upstreams (the live migration bridge keeps it on two); callers see one set of ids for it.
public protocol IDMapStore: Sendable {
    /// The caller-facing ids for `backendID`, minted on first sight.
    func map(upstream: String, backendID: String, now: Date) async throws -> MappedID
    func mapped(upstream: String, serial: Int64) async throws -> MappedID?
    func mapped(upstream: String, uuid: UUID) async throws -> MappedID?
    /// Replaces what is kept for the user `uuid` of `upstream`.
    func keep(upstream: String, uuid: UUID, fields: [String: JSONValue]) async throws
    /// Records that the user `uuid` is `backendID` on `upstream` too (a mirrored create),
    /// replacing any other link of that upstream's id or of the user on that upstream.
    func link(uuid: UUID, upstream: String, backendID: String, now: Date) async throws
    func identity(serial: Int64) async throws -> MappedIdentity?
    func identity(uuid: UUID) async throws -> MappedIdentity?
    /// By upstream name, how many users live there and how many it holds.
    func residence() async throws -> [String: Residence]
    /// Where each of these users lives (the upstream it was created on or first seen by).
    func homes(of uuids: [UUID]) async throws -> [UUID: String]
}

extension SQLiteUserStore {
    public func map(upstream: String, backendID: String, now: Date) async throws -> MappedID {
        // Most maps are of users seen before (a list): one read, no write.
        let known = try readers.read { reader in
            try reader.query("\(SQLiteIDMapping.select) WHERE l.upstream = ? AND l.backend_id = ?", [.text(upstream), .text(backendID)])
        }
        if let row = known.first, let mapped = Self.mappedID(row) { return mapped }
        return try await writer.write(SQLiteIDMapping(upstream: upstream, backendID: backendID, now: now))
    }

    public func mapped(upstream: String, serial: Int64) async throws -> MappedID? {
        let rows = try readers.read { reader in
            try reader.query("\(SQLiteIDMapping.select) WHERE l.upstream = ? AND m.serial = ?", [.text(upstream), .integer(Int(serial))])
        }
        return rows.first.flatMap(Self.mappedID)
    }

    public func mapped(upstream: String, uuid: UUID) async throws -> MappedID? {
        let rows = try readers.read { reader in
            try reader.query("\(SQLiteIDMapping.select) WHERE l.upstream = ? AND m.uuid = ?", [.text(upstream), .text(uuid.text())])
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
            _ = try connection.query(
                "UPDATE id_links SET kept = ? WHERE upstream = ? AND uuid = ?", [json.map(SQLiteValue.text) ?? .null, .text(upstream), .text(uuid.text())])
        }
    }

    public func link(uuid: UUID, upstream: String, backendID: String, now: Date) async throws {
        try await writer.write { connection in
            try connection.query(
                "DELETE FROM id_links WHERE upstream = ? AND (backend_id = ? OR uuid = ?)", [.text(upstream), .text(backendID), .text(uuid.text())])
            try connection.query(
                "INSERT INTO id_links (uuid, upstream, backend_id, created_at) VALUES (?, ?, ?, ?)",
                [.text(uuid.text()), .text(upstream), .text(backendID), .float(now.timeIntervalSince1970)])
        }
    }

    public func identity(serial: Int64) async throws -> MappedIdentity? {
        try identity(where: "m.serial = ?", .integer(Int(serial)))
    }

    public func identity(uuid: UUID) async throws -> MappedIdentity? {
        try identity(where: "m.uuid = ?", .text(uuid.text()))
    }

    private func identity(where condition: String, _ value: SQLiteValue) throws -> MappedIdentity? {
        let rows = try readers.read { reader in
            try reader.query(
                """
                SELECT m.serial AS serial, m.uuid AS uuid, m.upstream AS home, m.created_at AS created_at, l.upstream AS linked, l.backend_id AS backend_id
                FROM id_map m LEFT JOIN id_links l ON l.uuid = m.uuid WHERE \(condition)
                """, [value])
        }
        guard let first = rows.first, let serial = first.column("serial")?.integer,
            let uuid = first.column("uuid")?.string.flatMap(UUID.init(uuidString:)), let home = first.column("home")?.string,
            let created = first.column("created_at")?.double
        else { return nil }
        var backends: [String: String] = [:]
        for row in rows {
            if let upstream = row.column("linked")?.string, let id = row.column("backend_id")?.string { backends[upstream] = id }
        }
        return MappedIdentity(serial: Int64(serial), uuid: uuid, home: home, createdAt: Date(timeIntervalSince1970: created), backends: backends)
    }

    public func homes(of uuids: [UUID]) async throws -> [UUID: String] {
        var homes: [UUID: String] = [:]
        // In chunks: SQLite binds at most 32,766 values in one statement.
        for start in stride(from: 0, to: uuids.count, by: 500) {
            let chunk = uuids[start..<min(start + 500, uuids.count)]
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            let rows = try readers.read { reader in
                try reader.query("SELECT uuid, upstream FROM id_map WHERE uuid IN (\(marks))", chunk.map { .text($0.text()) })
            }
            for row in rows {
                if let uuid = row.column("uuid")?.string.flatMap(UUID.init(uuidString:)), let home = row.column("upstream")?.string { homes[uuid] = home }
            }
        }
        return homes
    }

    public func residence() async throws -> [String: Residence] {
        let (living, held) = try readers.read { reader in
            (
                try reader.query("SELECT upstream, COUNT(*) AS n FROM id_map GROUP BY upstream"),
                try reader.query("SELECT upstream, COUNT(*) AS n FROM id_links GROUP BY upstream")
            )
        }
        var residence: [String: Residence] = [:]
        for row in living {
            if let name = row.column("upstream")?.string, let count = row.column("n")?.integer { residence[name, default: Residence()].living = count }
        }
        for row in held {
            if let name = row.column("upstream")?.string, let count = row.column("n")?.integer { residence[name, default: Residence()].held = count }
        }
        return residence
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
            // Seen since the read before this write (another request, or an earlier write of
            // this group)?
            if let row = try connection.query("\(select) WHERE l.upstream = ? AND l.backend_id = ?", [.text(write.upstream), .text(write.backendID)]).first,
                let mapped = SQLiteUserStore.mappedID(row)
            {
                return mapped
            }
            // OR IGNORE so that no row can abort the statement and SQLite keeps no statement
            // journal for it: an id first mapped before its link was (never, since the links
            // came in) is linked below all the same.
            let uuid = UUID.timeOrdered(at: write.now).text()
            let time = SQLiteValue.float(write.now.timeIntervalSince1970)
            try connection.query(
                "INSERT OR IGNORE INTO id_map (uuid, upstream, backend_id, created_at) VALUES (?, ?, ?, ?)",
                [.text(uuid), .text(write.upstream), .text(write.backendID), time])
            try connection.query(
                "INSERT OR IGNORE INTO id_links (uuid, upstream, backend_id, kept, created_at) SELECT uuid, upstream, backend_id, kept, created_at FROM id_map WHERE upstream = ? AND backend_id = ?",
                [.text(write.upstream), .text(write.backendID)])
            guard let row = try connection.query("\(select) WHERE l.upstream = ? AND l.backend_id = ?", [.text(write.upstream), .text(write.backendID)]).first,
                let mapped = SQLiteUserStore.mappedID(row)
            else { throw StoreError.corruptRow }
            return mapped
        }
    }

    /// A mapping's columns: the caller's ids from `id_map`, the upstream's id and kept fields
    /// from its link.
    package static let select =
        "SELECT m.serial AS serial, m.uuid AS uuid, l.backend_id AS backend_id, m.created_at AS created_at, l.kept AS kept FROM id_links l JOIN id_map m ON m.uuid = l.uuid"
}
