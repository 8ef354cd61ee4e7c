public import DragomanCore
import DragomanDialectKit
public import Foundation
import PostgresNIO

extension PostgresStore {
    public func map(upstream: String, backendID: String, now: Date) async throws -> MappedID {
        try await client.query(
            """
            INSERT INTO id_map (uuid, upstream, backend_id, created_at)
            VALUES (\(UUID.timeOrdered(at: now).text()), \(upstream), \(backendID), \(now.timeIntervalSince1970))
            ON CONFLICT (upstream, backend_id) DO NOTHING
            """,
            logger: logger
        )
        guard
            let mapped = try await mapped(
                "SELECT serial, uuid, backend_id, created_at, kept FROM id_map WHERE upstream = \(upstream) AND backend_id = \(backendID)")
        else { throw StoreError.corruptRow }
        return mapped
    }

    public func mapped(upstream: String, serial: Int64) async throws -> MappedID? {
        try await mapped("SELECT serial, uuid, backend_id, created_at, kept FROM id_map WHERE upstream = \(upstream) AND serial = \(serial)")
    }

    public func mapped(upstream: String, uuid: UUID) async throws -> MappedID? {
        try await mapped("SELECT serial, uuid, backend_id, created_at, kept FROM id_map WHERE upstream = \(upstream) AND uuid = \(uuid.text())")
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
        try await client.query("UPDATE id_map SET kept = \(KeptFields.encode(fields)) WHERE upstream = \(upstream) AND uuid = \(uuid.text())", logger: logger)
    }
}
