public import DragomanCore
import DragomanDialectKit
public import Foundation

extension SQLiteUserStore {
    /// Runs in the writer's transaction, so the uniqueness check and the write are one step.
    public func update(_ user: User, uniqueKeys: [UniqueKey]) async throws -> UpdateOutcome {
        let document = StoredDocument(user).json()
        let keys = user.keyColumns
        let uuid = user.id.uuid.text()
        return try await writer.write { connection in
            guard try !connection.query("SELECT serial FROM users WHERE uuid = ?", [.text(uuid)]).isEmpty else { return .notFound }
            for key in uniqueKeys {
                guard let value = keys.value(key) else { continue }
                let holders = try connection.query(
                    "SELECT \(Self.columns) FROM users WHERE realm = ? AND \(key.column) = ? AND uuid <> ? ORDER BY serial LIMIT 1",
                    [.text(user.realm), .text(value), .text(uuid)]
                )
                if let holder = holders.first { return .duplicate(existing: try Self.user(from: holder), key: key) }
            }
            try connection.query(
                "UPDATE users SET email_key = ?, user_name_key = ?, phone = ?, document = ? WHERE uuid = ?",
                [
                    keys.email.map(SQLiteValue.text) ?? .null, keys.userName.map(SQLiteValue.text) ?? .null, keys.phone.map(SQLiteValue.text) ?? .null,
                    .text(document), .text(uuid),
                ]
            )
            return .updated(user)
        }
    }

    public func delete(_ uuid: UUID) async throws -> Bool {
        try await writer.write { connection in
            try !connection.query("DELETE FROM users WHERE uuid = ? RETURNING serial", [.text(uuid.text())]).isEmpty
        }
    }

    public func list(_ query: UserListQuery) async throws -> UserPage {
        var conditions: [String] = []
        var binds: [SQLiteValue] = []
        if let realms = query.realms {
            conditions.append("realm IN (\(realms.isEmpty ? "NULL" : Array(repeating: "?", count: realms.count).joined(separator: ", ")))")
            binds += realms.map(SQLiteValue.text)
        }
        if let text = query.text, !text.isEmpty {
            let pattern = "%" + UserListText.escapedForLike(text.lowercased()) + "%"
            let fields = UserListText.documentPaths.map { "lower(COALESCE(json_extract(document, '\($0)'), '')) LIKE ? ESCAPE '\\'" }
            conditions.append("(" + fields.joined(separator: " OR ") + ")")
            binds += Array(repeating: .text(pattern), count: fields.count)
        }
        for (path, value) in UserListText.equalities(query) {
            conditions.append("json_extract(document, '\(path)') = ?")
            binds.append(.text(value))
        }
        if let predicate = query.predicate {
            var filter = PredicateSQL(engine: .sqlite)
            conditions.append(filter.condition(predicate))
            binds += filter.binds.map { bind in
                switch bind {
                case .text(let text): .text(text)
                case .double(let number): .float(number)
                }
            }
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let countBinds = binds
        let total = try await readers.scan { reader in
            try reader.query("SELECT COUNT(*) AS total FROM users" + filter, countBinds).first?.column("total")?.integer ?? 0
        }
        var pageConditions = conditions
        var pageBinds = binds
        if let after = query.afterSerial {
            pageConditions.append("serial > ?")
            pageBinds.append(.integer(Int(after)))
        }
        let pageFilter = pageConditions.isEmpty ? "" : " WHERE " + pageConditions.joined(separator: " AND ")
        pageBinds += [.integer(query.limit + 1), .integer(query.offset)]
        let finalBinds = pageBinds
        let rows = try await readers.scan { reader in
            try reader.query("SELECT \(Self.columns) FROM users\(pageFilter) ORDER BY serial LIMIT ? OFFSET ?", finalBinds)
        }
        let users = try rows.prefix(query.limit).map(Self.user(from:))
        return UserPage(users: users, total: total, hasMore: rows.count > query.limit)
    }
}

/// What a list's text filter looks at, in the stored document, for both engines.
package enum UserListText {
    /// The profile's name fields, user name and email address (JSON paths in the document).
    package static let documentPaths = ["$.profile.givenName", "$.profile.familyName", "$.profile.displayName", "$.profile.userName", "$.profile.email"]

    /// The exact-match filters of `query`, as document paths and values.
    package static func equalities(_ query: UserListQuery) -> [(path: String, value: String)] {
        query.fieldEquals.map { match in ("$.profile." + match.field.storage.joined(separator: "."), match.value) }
    }

    /// `text` with LIKE's wildcards and the escape character escaped by `\`.
    package static func escapedForLike(_ text: String) -> String {
        var out = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
