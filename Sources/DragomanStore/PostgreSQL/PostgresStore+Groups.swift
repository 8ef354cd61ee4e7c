public import DragomanCore
import DragomanDialectKit
public import Foundation
import PostgresNIO

extension PostgresStore {
    public func insertGroup(_ group: Group) async throws {
        let uuid = group.id.text()
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO groups (uuid, display_name, display_key, external_id, extra, created_at, updated_at)
                VALUES (\(uuid), \(group.displayName), \(GroupRecord.displayKey(group)), \(group.externalId), \(GroupRecord.extraJSON(group)),
                        \(group.createdAt.timeIntervalSinceReferenceDate), \(group.updatedAt.timeIntervalSinceReferenceDate))
                """, logger: logger)
            try await writeMembers(group, on: connection)
        }
    }

    public func group(_ id: UUID) async throws -> Group? {
        try await client.withConnection { connection in
            try await groups(
                PostgresQuery(unsafeSQL: "SELECT \(GroupRecord.columns) FROM groups WHERE uuid = $1", binds: Self.binds([id.text()])), on: connection
            )
            .first
        }
    }

    public func replaceGroup(_ group: Group) async throws -> Bool {
        let uuid = group.id.text()
        return try await client.withTransaction(logger: logger) { connection in
            let updated = try await first(
                """
                UPDATE groups SET display_name = \(group.displayName), display_key = \(GroupRecord.displayKey(group)), external_id = \(group.externalId),
                    extra = \(GroupRecord.extraJSON(group)), updated_at = \(group.updatedAt.timeIntervalSinceReferenceDate)
                WHERE uuid = \(uuid) RETURNING serial
                """, as: Int64.self, on: connection)
            guard updated != nil else { return false }
            try await connection.query("DELETE FROM group_members WHERE group_uuid = \(uuid)", logger: logger)
            try await writeMembers(group, on: connection)
            return true
        }
    }

    public func deleteGroup(_ id: UUID) async throws -> Bool {
        try await client.withConnection { connection in
            try await first("DELETE FROM groups WHERE uuid = \(id.text()) RETURNING serial", as: Int64.self, on: connection) != nil
        }
    }

    public func listGroups(_ query: GroupListQuery) async throws -> GroupPage {
        var filter = ""
        var binds = PostgresBindings()
        if let predicate = query.predicate {
            var sql = PredicateSQL(engine: .postgres)
            filter = " WHERE " + sql.condition(predicate)
            for bind in sql.binds {
                switch bind {
                case .text(let text): binds.append(text)
                case .double(let number): binds.append(number)
                }
            }
        }
        let countBinds = binds
        binds.append(query.limit)
        binds.append(query.offset)
        let page = "LIMIT $\(binds.count - 1) OFFSET $\(binds.count)"
        return try await client.withConnection { connection in
            let total =
                try await first(PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM groups" + filter, binds: countBinds), as: Int64.self, on: connection) ?? 0
            let groups = try await groups(
                PostgresQuery(unsafeSQL: "SELECT \(GroupRecord.columns) FROM groups\(filter) ORDER BY serial \(page)", binds: binds), on: connection)
            return GroupPage(groups: groups, total: Int(total))
        }
    }

    public func groups(containing users: [UUID]) async throws -> [UUID: [GroupRef]] {
        guard !users.isEmpty else { return [:] }
        let ids = users.map { $0.text() }
        return try await client.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT m.user_uuid, g.uuid, g.display_name FROM group_members m JOIN groups g ON g.uuid = m.group_uuid
                WHERE m.user_uuid = ANY(\(ids)::text[]) ORDER BY g.serial
                """, logger: logger)
            var result: [UUID: [GroupRef]] = [:]
            for try await (user, group, name) in rows.decode((String, String, String).self) {
                guard let user = UUID(uuidString: user), let group = UUID(uuidString: group) else { throw StoreError.corruptRow }
                result[user, default: []].append(GroupRef(id: group, displayName: name))
            }
            return result
        }
    }

    private func writeMembers(_ group: Group, on connection: PostgresConnection) async throws {
        let uuid = group.id.text()
        for (position, member) in group.members.enumerated() {
            try await connection.query(
                "INSERT INTO group_members (group_uuid, user_uuid, position) VALUES (\(uuid), \(member.text()), \(position)) ON CONFLICT DO NOTHING",
                logger: logger)
        }
    }

    private static func binds(_ values: [String]) -> PostgresBindings {
        var binds = PostgresBindings()
        for value in values { binds.append(value) }
        return binds
    }

    /// The groups `query` selects, each with its members that are still users, in order.
    private func groups(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [Group] {
        var rows: [(String, String, String?, String, Double, Double)] = []
        for try await (_, uuid, name, externalId, extra, created, updated) in try await connection.query(query, logger: logger).decode(
            (Int64, String, String, String?, String, Double, Double).self)
        {
            rows.append((uuid, name, externalId, extra, created, updated))
        }
        guard !rows.isEmpty else { return [] }
        // The members of them all in one query.
        var members: [String: [UUID]] = [:]
        let memberQuery: PostgresQuery = """
            SELECT m.group_uuid, m.user_uuid FROM group_members m JOIN users u ON u.uuid = m.user_uuid
            WHERE m.group_uuid = ANY(\(rows.map(\.0))::text[]) ORDER BY m.group_uuid, m.position
            """
        for try await (group, member) in try await connection.query(memberQuery, logger: logger).decode((String, String).self) {
            if let id = UUID(uuidString: member) { members[group, default: []].append(id) }
        }
        var groups: [Group] = []
        for (uuid, name, externalId, extra, created, updated) in rows {
            groups.append(
                try GroupRecord.group(
                    uuid: uuid, displayName: name, externalId: externalId, extra: extra, createdAt: created, updatedAt: updated, members: members[uuid] ?? []))
        }
        return groups
    }
}
