public import DragomanCore
import DragomanDialectKit
public import Foundation

extension SQLiteUserStore {
    /// The writer runs each write in its group's transaction (and alone again if the group
    /// fails), so a group and its members are stored together or not at all.
    public func insertGroup(_ group: Group) async throws {
        try await writer.write { connection in
            try connection.query(
                "INSERT INTO groups (uuid, display_name, display_key, external_id, extra, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                Self.groupBinds(group))
            try Self.writeMembers(group, on: connection)
        }
    }

    public func group(_ id: UUID) async throws -> Group? {
        try await readers.scan { reader in
            try Self.groups(from: reader.query("SELECT \(GroupRecord.columns) FROM groups WHERE uuid = ?", [.text(id.text())]), on: reader).first
        }
    }

    public func replaceGroup(_ group: Group) async throws -> Bool {
        try await writer.write { connection in
            let updated = try connection.query(
                "UPDATE groups SET display_name = ?, display_key = ?, external_id = ?, extra = ?, updated_at = ? WHERE uuid = ? RETURNING serial",
                [
                    .text(group.displayName), .text(GroupRecord.displayKey(group)), group.externalId.map(SQLiteValue.text) ?? .null,
                    .text(GroupRecord.extraJSON(group)), .float(group.updatedAt.timeIntervalSinceReferenceDate), .text(group.id.text()),
                ])
            guard !updated.isEmpty else { return false }
            try connection.query("DELETE FROM group_members WHERE group_uuid = ?", [.text(group.id.text())])
            try Self.writeMembers(group, on: connection)
            return true
        }
    }

    public func deleteGroup(_ id: UUID) async throws -> Bool {
        try await writer.write { connection in
            try !connection.query("DELETE FROM groups WHERE uuid = ? RETURNING serial", [.text(id.text())]).isEmpty
        }
    }

    public func listGroups(_ query: GroupListQuery) async throws -> GroupPage {
        var filter = ""
        var binds: [SQLiteValue] = []
        if let predicate = query.predicate {
            var sql = PredicateSQL(engine: .sqlite)
            filter = " WHERE " + sql.condition(predicate)
            binds = sql.binds.map { bind in
                switch bind {
                case .text(let text): .text(text)
                case .double(let number): .float(number)
                }
            }
        }
        let countBinds = binds
        let pageBinds = binds + [.integer(query.limit), .integer(query.offset)]
        let condition = filter
        return try await readers.scan { reader in
            let total = try reader.query("SELECT COUNT(*) AS total FROM groups" + condition, countBinds).first?.column("total")?.integer ?? 0
            let rows = try reader.query("SELECT \(GroupRecord.columns) FROM groups\(condition) ORDER BY serial LIMIT ? OFFSET ?", pageBinds)
            return GroupPage(groups: try Self.groups(from: rows, on: reader), total: total)
        }
    }

    public func groups(containing users: [UUID]) async throws -> [UUID: [GroupRef]] {
        guard !users.isEmpty else { return [:] }
        let binds = users.map { SQLiteValue.text($0.text()) }
        let marks = Array(repeating: "?", count: users.count).joined(separator: ", ")
        return try await readers.scan { reader in
            let rows = try reader.query(
                """
                SELECT m.user_uuid AS user_uuid, g.uuid AS uuid, g.display_name AS display_name FROM group_members m
                JOIN groups g ON g.uuid = m.group_uuid WHERE m.user_uuid IN (\(marks)) ORDER BY g.serial
                """, binds)
            var result: [UUID: [GroupRef]] = [:]
            for row in rows {
                guard let user = row.column("user_uuid")?.string.flatMap(UUID.init(uuidString:)),
                    let group = row.column("uuid")?.string.flatMap(UUID.init(uuidString:)), let name = row.column("display_name")?.string
                else { throw StoreError.corruptRow }
                result[user, default: []].append(GroupRef(id: group, displayName: name))
            }
            return result
        }
    }

    private static func groupBinds(_ group: Group) -> [SQLiteValue] {
        [
            .text(group.id.text()), .text(group.displayName), .text(GroupRecord.displayKey(group)), group.externalId.map(SQLiteValue.text) ?? .null,
            .text(GroupRecord.extraJSON(group)), .float(group.createdAt.timeIntervalSinceReferenceDate),
            .float(group.updatedAt.timeIntervalSinceReferenceDate),
        ]
    }

    private static func writeMembers(_ group: Group, on connection: SQLiteDatabaseConnection) throws {
        for (position, member) in group.members.enumerated() {
            try connection.query(
                "INSERT OR IGNORE INTO group_members (group_uuid, user_uuid, position) VALUES (?, ?, ?)",
                [.text(group.id.text()), .text(member.text()), .integer(position)])
        }
    }

    /// The groups of `rows`, each with its members that are still users, in order: the
    /// members of them all in one query.
    private static func groups(from rows: [SQLiteResultRow], on reader: SQLiteDatabaseConnection) throws -> [Group] {
        guard !rows.isEmpty else { return [] }
        let uuids = rows.compactMap { $0.column("uuid")?.string }
        let marks = Array(repeating: "?", count: uuids.count).joined(separator: ", ")
        var members: [String: [UUID]] = [:]
        for row in try reader.query(
            """
            SELECT m.group_uuid AS group_uuid, m.user_uuid AS user_uuid FROM group_members m JOIN users u ON u.uuid = m.user_uuid
            WHERE m.group_uuid IN (\(marks)) ORDER BY m.group_uuid, m.position
            """, uuids.map(SQLiteValue.text))
        {
            guard let group = row.column("group_uuid")?.string, let user = row.column("user_uuid")?.string.flatMap(UUID.init(uuidString:)) else { continue }
            members[group, default: []].append(user)
        }
        return try rows.map { row in
            guard let uuid = row.column("uuid")?.string, let name = row.column("display_name")?.string, let extra = row.column("extra")?.string,
                let created = row.column("created_at")?.double, let updated = row.column("updated_at")?.double
            else { throw StoreError.corruptRow }
            return try GroupRecord.group(
                uuid: uuid, displayName: name, externalId: row.column("external_id")?.string, extra: extra, createdAt: created, updatedAt: updated,
                members: members[uuid] ?? [])
        }
    }

}
