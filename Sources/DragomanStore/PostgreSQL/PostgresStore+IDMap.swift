public import DragomanCore
import DragomanDialectKit
public import Foundation
import PostgresNIO

extension PostgresStore {
    public func map(upstream: String, backendID: String, now: Date) async throws -> MappedID {
        // Most maps are of users seen before (a list): one read, no write.
        if let known = try await mapped("\(unescaped: Self.selectMapped) WHERE l.upstream = \(upstream) AND l.backend_id = \(backendID)") { return known }
        // Minted and linked in one statement; an instance minting the same id at once makes no
        // second user (the unique indexes), and one linking it to a mirrored user first wins.
        try await client.query(
            """
            WITH minted AS (
                INSERT INTO id_map (uuid, upstream, backend_id, created_at)
                SELECT \(UUID.timeOrdered(at: now).text()), \(upstream), \(backendID), \(now.timeIntervalSince1970)
                WHERE NOT EXISTS (SELECT 1 FROM id_links WHERE upstream = \(upstream) AND backend_id = \(backendID))
                ON CONFLICT (upstream, backend_id) DO NOTHING
                RETURNING uuid, upstream, backend_id, created_at
            )
            INSERT INTO id_links (uuid, upstream, backend_id, created_at) SELECT uuid, upstream, backend_id, created_at FROM minted
            ON CONFLICT DO NOTHING
            """,
            logger: logger
        )
        if let mapped = try await mapped("\(unescaped: Self.selectMapped) WHERE l.upstream = \(upstream) AND l.backend_id = \(backendID)") { return mapped }
        // Minted before its link (never, since the links came in): linked now.
        try await client.query(
            """
            INSERT INTO id_links (uuid, upstream, backend_id, kept, created_at)
            SELECT uuid, upstream, backend_id, kept, created_at FROM id_map WHERE upstream = \(upstream) AND backend_id = \(backendID)
            ON CONFLICT DO NOTHING
            """, logger: logger)
        guard let mapped = try await mapped("\(unescaped: Self.selectMapped) WHERE l.upstream = \(upstream) AND l.backend_id = \(backendID)") else {
            throw StoreError.corruptRow
        }
        return mapped
    }

    public func mapped(upstream: String, serial: Int64) async throws -> MappedID? {
        try await mapped("\(unescaped: Self.selectMapped) WHERE l.upstream = \(upstream) AND m.serial = \(serial)")
    }

    public func mapped(upstream: String, uuid: UUID) async throws -> MappedID? {
        try await mapped("\(unescaped: Self.selectMapped) WHERE l.upstream = \(upstream) AND m.uuid = \(uuid.text())")
    }

    /// A mapping's columns: the caller's ids from `id_map`, the upstream's id and kept fields
    /// from its link.
    private static var selectMapped: String {
        "SELECT m.serial, m.uuid, l.backend_id, m.created_at, l.kept FROM id_links l JOIN id_map m ON m.uuid = l.uuid"
    }

    private func mapped(_ query: PostgresQuery) async throws -> MappedID? {
        let rows = try await client.query(query, logger: logger)
        for try await (serial, uuid, backendID, created, kept) in rows.decode((Int64, String, String, Double, String?).self) {
            guard let uuid = UUID(uuidString: uuid) else { throw StoreError.corruptRow }
            return MappedID(serial: serial, uuid: uuid, backendID: backendID, createdAt: Date(timeIntervalSince1970: created), kept: KeptFields.decode(kept))
        }
        return nil
    }

    public func keep(upstream: String, uuid: UUID, fields: [String: JSONValue]) async throws {
        try await client.query("UPDATE id_links SET kept = \(KeptFields.encode(fields)) WHERE upstream = \(upstream) AND uuid = \(uuid.text())", logger: logger)
    }

    public func link(uuid: UUID, upstream: String, backendID: String, now: Date) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                "DELETE FROM id_links WHERE upstream = \(upstream) AND (backend_id = \(backendID) OR uuid = \(uuid.text()))", logger: logger)
            try await connection.query(
                "INSERT INTO id_links (uuid, upstream, backend_id, created_at) VALUES (\(uuid.text()), \(upstream), \(backendID), \(now.timeIntervalSince1970))",
                logger: logger)
        }
    }

    public func identity(serial: Int64) async throws -> MappedIdentity? {
        try await identity("\(unescaped: Self.selectIdentity) WHERE m.serial = \(serial)")
    }

    public func identity(uuid: UUID) async throws -> MappedIdentity? {
        try await identity("\(unescaped: Self.selectIdentity) WHERE m.uuid = \(uuid.text())")
    }

    private static var selectIdentity: String {
        "SELECT m.serial, m.uuid, m.upstream, m.created_at, l.upstream, l.backend_id FROM id_map m LEFT JOIN id_links l ON l.uuid = m.uuid"
    }

    private func identity(_ query: PostgresQuery) async throws -> MappedIdentity? {
        var identity: MappedIdentity?
        let rows = try await client.query(query, logger: logger)
        for try await (serial, uuid, home, created, linked, backendID) in rows.decode((Int64, String, String, Double, String?, String?).self) {
            if identity == nil {
                guard let uuid = UUID(uuidString: uuid) else { throw StoreError.corruptRow }
                identity = MappedIdentity(serial: serial, uuid: uuid, home: home, createdAt: Date(timeIntervalSince1970: created), backends: [:])
            }
            if let linked, let backendID { identity?.backends[linked] = backendID }
        }
        return identity
    }

    public func homes(of uuids: [UUID]) async throws -> [UUID: String] {
        var homes: [UUID: String] = [:]
        guard !uuids.isEmpty else { return homes }
        let rows = try await client.query("SELECT uuid, upstream FROM id_map WHERE uuid = ANY(\(uuids.map { $0.text() }))", logger: logger)
        for try await (uuid, home) in rows.decode((String, String).self) {
            if let uuid = UUID(uuidString: uuid) { homes[uuid] = home }
        }
        return homes
    }

    public func residence() async throws -> [String: Residence] {
        var residence: [String: Residence] = [:]
        for try await (name, count) in try await client.query("SELECT upstream, COUNT(*) FROM id_map GROUP BY upstream", logger: logger).decode(
            (String, Int).self)
        {
            residence[name, default: Residence()].living = count
        }
        for try await (name, count) in try await client.query("SELECT upstream, COUNT(*) FROM id_links GROUP BY upstream", logger: logger).decode(
            (String, Int).self)
        {
            residence[name, default: Residence()].held = count
        }
        return residence
    }
}
