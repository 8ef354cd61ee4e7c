public import DragomanCore
import Foundation
import PostgresNIO

extension PostgresStore {
    public func insert(_ record: UserRecord, uniqueKeys: [UniqueKey]) async throws -> InsertOutcome {
        let document = try StoredDocument(record).json()
        let keys = record.keyColumns
        return try await client.withTransaction(logger: logger) { connection in
            // Creates that share a unique value wait for each other, across every instance
            // sharing the schema; creates of different users run side by side.
            try await lock(uniqueKeys.compactMap { key in record.keyValue(key).map { "users\u{1F}\(record.realm)\u{1F}\(key.rawValue)\u{1F}\($0)" } }, on: connection)
            // One round trip in the common case: the row goes in unless a held key is taken (the
            // advisory locks keep the check and the insert one step).
            let held = uniqueKeys.compactMap { key in record.keyValue(key).map { (key, $0) } }
            var binds = PostgresBindings()
            binds.append(record.uuid.uuidString)
            binds.append(record.realm)
            binds.append(keys.email)
            binds.append(keys.userName)
            binds.append(keys.phone)
            binds.append(document)
            binds.append(record.createdAt.timeIntervalSince1970)
            var sql = """
                INSERT INTO users (uuid, realm, email_key, user_name_key, phone, document, created_at)
                SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::double precision
                """
            if !held.isEmpty {
                let taken = held.enumerated().map { index, held in
                    "EXISTS (SELECT 1 FROM users WHERE realm = $2 AND \(held.0.column) = $\(index + 8)::text)"
                }
                for (_, value) in held { binds.append(value) }
                sql += " WHERE NOT (" + taken.joined(separator: " OR ") + ")"
            }
            let serial = try await first(PostgresQuery(unsafeSQL: sql + " RETURNING serial", binds: binds), as: Int64.self, on: connection)
            guard let serial else {
                // Refused: which key, and who holds it (the first key in the profile's order).
                for (key, value) in held {
                    let query: PostgresQuery =
                        "SELECT \(unescaped: Self.columns) FROM users WHERE realm = \(record.realm) AND \(unescaped: key.column) = \(value) ORDER BY serial LIMIT 1"
                    if let existing = try await users(query, on: connection).first { return .duplicate(existing: existing, key: key) }
                }
                throw StoreError.noSerial
            }
            if let mark = record.mark {
                try await connection.query(
                    """
                    UPDATE idempotency SET user_uuid = \(record.uuid.uuidString)
                    WHERE scope = \(mark.scope) AND key = \(mark.key) AND token = \(mark.token) AND status IS NULL
                    """,
                    logger: logger
                )
            }
            return .created(record.stored(serial: serial))
        }
    }

    public func user(_ lookup: UserLookup) async throws -> User? {
        let query: PostgresQuery =
            switch lookup {
            case .serial(let serial): "SELECT \(unescaped: Self.columns) FROM users WHERE serial = \(serial)"
            case .uuid(let uuid): "SELECT \(unescaped: Self.columns) FROM users WHERE uuid = \(uuid.uuidString)"
            case .email(let realm, let address):
                "SELECT \(unescaped: Self.columns) FROM users WHERE realm = \(realm) AND email_key = \(EmailAddress.key(address)) ORDER BY serial LIMIT 1"
            }
        return try await client.withConnection { connection in try await users(query, on: connection).first }
    }

    static let columns = "serial, uuid, realm, document"

    func users(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [User] {
        var users: [User] = []
        for try await (serial, uuid, realm, document) in try await connection.query(query, logger: logger).decode((Int64, String, String, String).self) {
            guard let uuid = UUID(uuidString: uuid) else { throw StoreError.corruptRow }
            users.append(try StoredDocument.user(serial: serial, uuid: uuid, realm: realm, document: document))
        }
        return users
    }
}
