package import DragomanCore
import DragomanDialectKit
package import Foundation
package import Logging
package import PostgresNIO

/// The PostgreSQL statements of a group of inserts (``InsertGroup``), on the group's connection.
package struct PostgresUserInsert: InsertGroupStatements {
    /// The group's connection, and the store's logger.
    package struct Connection: Sendable {
        package let connection: PostgresConnection
        package let logger: Logger
    }

    package static func insertFree(_ writes: [PendingInsert], on group: Connection) async throws -> [UUID: Int64] {
        guard !writes.isEmpty else { return [:] }
        // Absent key columns travel as '' (no key value is empty) and are stored as NULL.
        var uuids: [String] = []
        var realms: [String] = []
        var emails: [String] = []
        var userNames: [String] = []
        var phones: [String] = []
        var documents: [String] = []
        var created: [Double] = []
        var checkEmail: [Bool] = []
        var checkUserName: [Bool] = []
        var checkPhone: [Bool] = []
        for write in writes {
            let record = write.record
            let keys = record.keyColumns
            let checked = Set(write.held.map(\.key))
            uuids.append(record.uuid.text())
            realms.append(record.realm)
            emails.append(keys.email ?? "")
            userNames.append(keys.userName ?? "")
            phones.append(keys.phone ?? "")
            documents.append(write.document)
            created.append(record.createdAt.timeIntervalSince1970)
            checkEmail.append(checked.contains(.email))
            checkUserName.append(checked.contains(.userName))
            checkPhone.append(checked.contains(.phone))
        }
        let query: PostgresQuery = """
            INSERT INTO users (uuid, realm, email_key, user_name_key, phone, document, created_at)
            SELECT v.uuid, v.realm, NULLIF(v.email, ''), NULLIF(v.user_name, ''), NULLIF(v.phone, ''), v.document, v.created_at
            FROM unnest(\(uuids)::text[], \(realms)::text[], \(emails)::text[], \(userNames)::text[], \(phones)::text[],
                        \(documents)::text[], \(created)::float8[], \(checkEmail)::bool[], \(checkUserName)::bool[], \(checkPhone)::bool[])
                 AS v(uuid, realm, email, user_name, phone, document, created_at, check_email, check_user_name, check_phone)
            WHERE NOT (v.check_email AND EXISTS (SELECT 1 FROM users u WHERE u.realm = v.realm AND u.email_key = v.email))
              AND NOT (v.check_user_name AND EXISTS (SELECT 1 FROM users u WHERE u.realm = v.realm AND u.user_name_key = v.user_name))
              AND NOT (v.check_phone AND EXISTS (SELECT 1 FROM users u WHERE u.realm = v.realm AND u.phone = v.phone))
            RETURNING serial, uuid
            """
        var serials: [UUID: Int64] = [:]
        for try await (serial, uuid) in try await group.connection.query(query, logger: group.logger).decode((Int64, String).self) {
            guard let uuid = UUID(uuidString: uuid) else { throw StoreError.noSerial }
            serials[uuid] = serial
        }
        return serials
    }

    package static func existingHolder(of write: PendingInsert, on group: Connection) async throws -> InsertOutcome {
        let record = write.record
        for (key, value) in write.held {
            let query: PostgresQuery =
                "SELECT \(unescaped: PostgresStore.columns) FROM users WHERE realm = \(record.realm) AND \(unescaped: key.column) = \(value) ORDER BY serial LIMIT 1"
            if let existing = try await PostgresStore.users(query, on: group.connection, logger: group.logger).first {
                return .duplicate(existing: existing, key: key)
            }
        }
        throw StoreError.noSerial
    }

    package static func markClaims(of writes: [PendingInsert], on group: Connection) async throws {
        let marked = writes.compactMap { write in write.record.mark.map { (write.record.uuid.text(), $0) } }
        guard !marked.isEmpty else { return }
        let query: PostgresQuery = """
            UPDATE idempotency SET user_uuid = v.uuid
            FROM unnest(\(marked.map(\.0))::text[], \(marked.map(\.1.scope))::text[], \(marked.map(\.1.key))::text[], \(marked.map(\.1.token))::text[])
                 AS v(uuid, scope, key, token)
            WHERE idempotency.scope = v.scope AND idempotency.key = v.key AND idempotency.token = v.token AND idempotency.status IS NULL
            """
        try await group.connection.query(query, logger: group.logger)
    }
}
