public import DragomanCore
import DragomanDialectKit
import Foundation
package import PostgresNIO

extension PostgresStore {
    /// Queued for the next group commit (``inserts``).
    public func insert(_ record: UserRecord, uniqueKeys: [UniqueKey]) async throws -> InsertOutcome {
        try await inserts.submit(PendingInsert(record: record, uniqueKeys: uniqueKeys))
    }

    /// Commits `writes` in one transaction: creates that share a unique value wait for each
    /// other across every instance sharing the schema (advisory locks), creates of different
    /// users run side by side, and the check and the insert are one step under the locks.
    package static func commitGroup(_ writes: [PendingInsert], client: PostgresClient, schema: String, logger: Logger) async throws -> [InsertOutcome] {
        try await client.withTransaction(logger: logger) { connection in
            try await lock(writes.flatMap { userLocks(realm: $0.record.realm, $0.held) }, schema: schema, on: connection, logger: logger)
            return try await InsertGroup.settle(writes, with: PostgresUserInsert.self, on: .init(connection: connection, logger: logger))
        }
    }

    public func user(_ lookup: UserLookup) async throws -> User? {
        let query: PostgresQuery =
            switch lookup {
            case .serial(let serial): "SELECT \(unescaped: Self.columns) FROM users WHERE serial = \(serial)"
            case .uuid(let uuid): "SELECT \(unescaped: Self.columns) FROM users WHERE uuid = \(uuid.text())"
            case .email(let realm, let address):
                "SELECT \(unescaped: Self.columns) FROM users WHERE realm = \(realm) AND email_key = \(EmailAddress.key(address)) ORDER BY serial LIMIT 1"
            }
        return try await client.withConnection { connection in try await users(query, on: connection).first }
    }

    package static let columns = "serial, uuid, realm, document"

    package func users(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [User] {
        try await Self.users(query, on: connection, logger: logger)
    }

    package static func users(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [User] {
        var users: [User] = []
        for try await (serial, uuid, realm, document) in try await connection.query(query, logger: logger).decode((Int64, String, String, String).self) {
            guard let uuid = UUID(uuidString: uuid) else { throw StoreError.corruptRow }
            users.append(try StoredDocument.user(serial: serial, uuid: uuid, realm: realm, document: document))
        }
        return users
    }
}
