public import DragomanCore
import DragomanDialectKit
public import Foundation
import PostgresNIO

extension PostgresStore {
    /// Under the same advisory locks as creates, so an update and a create (or two updates)
    /// claiming one value wait for each other, across every instance.
    public func update(_ user: User, uniqueKeys: [UniqueKey]) async throws -> UpdateOutcome {
        let document = StoredDocument(user).json()
        let keys = user.keyColumns
        let uuid = user.id.uuid.text()
        return try await client.withTransaction(logger: logger) { connection in
            try await lock(Self.userLocks(realm: user.realm, uniqueKeys.compactMap { key in keys.value(key).map { (key, $0) } }), on: connection)
            for key in uniqueKeys {
                guard let value = keys.value(key) else { continue }
                let query: PostgresQuery = """
                    SELECT \(unescaped: Self.columns) FROM users
                    WHERE realm = \(user.realm) AND \(unescaped: key.column) = \(value) AND uuid <> \(uuid) ORDER BY serial LIMIT 1
                    """
                if let holder = try await users(query, on: connection).first { return .duplicate(existing: holder, key: key) }
            }
            let updated = try await first(
                """
                UPDATE users SET email_key = \(keys.email), user_name_key = \(keys.userName), phone = \(keys.phone), document = \(document)
                WHERE uuid = \(uuid) RETURNING serial
                """,
                as: Int64.self, on: connection
            )
            return updated == nil ? .notFound : .updated(user)
        }
    }

    public func delete(_ uuid: UUID) async throws -> Bool {
        try await client.withConnection { connection in
            try await first("DELETE FROM users WHERE uuid = \(uuid.text()) RETURNING serial", as: Int64.self, on: connection) != nil
        }
    }

    public func list(_ query: UserListQuery) async throws -> UserPage {
        var conditions: [String] = []
        var binds = PostgresBindings()
        if let realms = query.realms {
            binds.append(realms)
            conditions.append("realm = ANY($\(binds.count)::text[])")
        }
        if let text = query.text, !text.isEmpty {
            binds.append("%" + UserListText.escapedForLike(text.lowercased()) + "%")
            let placeholder = "$\(binds.count)"
            let fields = UserListText.documentPaths.map { path in
                let keys = path.dropFirst(2).split(separator: ".").map { "'\($0)'" }
                return "lower(COALESCE(document::jsonb #>> ARRAY[\(keys.joined(separator: ", "))], '')) LIKE \(placeholder) ESCAPE '\\'"
            }
            conditions.append("(" + fields.joined(separator: " OR ") + ")")
        }
        for (path, value) in UserListText.equalities(query) {
            binds.append(value)
            let keys = path.dropFirst(2).split(separator: ".").map { "'\($0)'" }
            conditions.append("document::jsonb #>> ARRAY[\(keys.joined(separator: ", "))] = $\(binds.count)")
        }
        if let predicate = query.predicate {
            var filter = PredicateSQL(engine: .postgres, bindOffset: binds.count)
            conditions.append(filter.condition(predicate))
            for bind in filter.binds {
                switch bind {
                case .text(let text): binds.append(text)
                case .double(let number): binds.append(number)
                }
            }
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let countBinds = binds
        var pageConditions = conditions
        if let after = query.afterSerial {
            binds.append(after)
            pageConditions.append("serial > $\(binds.count)")
        }
        binds.append(query.limit + 1)
        let limit = "$\(binds.count)"
        binds.append(query.offset)
        let offset = "$\(binds.count)"
        let pageFilter = pageConditions.isEmpty ? "" : " WHERE " + pageConditions.joined(separator: " AND ")
        return try await client.withConnection { connection in
            let total = try await first(PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM users" + filter, binds: countBinds), as: Int64.self, on: connection) ?? 0
            let rows = try await users(
                PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM users\(pageFilter) ORDER BY serial LIMIT \(limit) OFFSET \(offset)", binds: binds),
                on: connection
            )
            return UserPage(users: Array(rows.prefix(query.limit)), total: Int(total), hasMore: rows.count > query.limit)
        }
    }
}
