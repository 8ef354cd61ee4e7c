import DragomanCore
import DragomanDialectKit
public import Foundation
import NIOCore

extension SQLiteUserStore {
    /// A key's record.
    package static let idempotencySelect =
        "SELECT fingerprint, token, lease_until, status, headers, body, expires_at, owner, user_uuid FROM idempotency WHERE scope = ? AND key = ?"

    public func claim(_ request: IdempotencyRequest, now: Date) async throws -> IdempotencyOutcome {
        // A key whose record already decides the answer (a replay, a mismatch, a request in
        // flight or one whose user is stored) is answered from committed rows, without waiting
        // for the writer: that answer was right at the moment of the read, which comes after
        // the request arrived. Only a new key, or a dead record to take over, needs the writer.
        let committed = try readers.read { reader in try reader.query(Self.idempotencySelect, [.text(request.scope), .text(request.key)]) }
        if let row = committed.first, let outcome = try Self.idempotencyRecord(row).outcome(for: request, now: now) { return outcome }
        return try await transaction { connection in
            let rows = try connection.query(Self.idempotencySelect, [.text(request.scope), .text(request.key)])
            if let row = rows.first {
                if let outcome = try Self.idempotencyRecord(row).outcome(for: request, now: now) { return outcome }
            }
            let token = UUID.random().text()
            try connection.query(
                """
                INSERT INTO idempotency (scope, key, fingerprint, token, lease_until, status, headers, body, created_at, expires_at, owner, user_uuid)
                VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL, ?, NULL, ?, NULL)
                ON CONFLICT (scope, key) DO UPDATE SET fingerprint = excluded.fingerprint, token = excluded.token,
                    lease_until = excluded.lease_until, status = NULL, headers = NULL, body = NULL,
                    created_at = excluded.created_at, expires_at = NULL, owner = excluded.owner, user_uuid = NULL
                """,
                [
                    .text(request.scope), .text(request.key), .text(request.fingerprint), .text(token),
                    .float(request.leaseUntil.timeIntervalSince1970), .float(now.timeIntervalSince1970), .text(request.owner),
                ]
            )
            return .claimed(IdempotencyClaim(scope: request.scope, key: request.key, token: token))
        }
    }

    public func complete(_ claim: IdempotencyClaim, response: RecordedResponse, expiresAt: Date) async throws {
        _ = try await transaction { connection in
            try connection.query(
                "UPDATE idempotency SET status = ?, headers = ?, body = ?, expires_at = ? WHERE scope = ? AND key = ? AND token = ?",
                [
                    .integer(response.status), .text(response.headersJSON), .blob(ByteBuffer(bytes: response.body)),
                    .float(expiresAt.timeIntervalSince1970), .text(claim.scope), .text(claim.key), .text(claim.token),
                ]
            )
        }
    }

    public func release(_ claim: IdempotencyClaim) async throws {
        _ = try await transaction { connection in
            try connection.query(
                "DELETE FROM idempotency WHERE scope = ? AND key = ? AND token = ? AND status IS NULL",
                [.text(claim.scope), .text(claim.key), .text(claim.token)]
            )
        }
    }

    @discardableResult
    public func deleteExpiredIdempotencyRecords(now: Date) async throws -> Int {
        try await transaction { connection in
            let rows = try connection.query(
                """
                DELETE FROM idempotency WHERE (status IS NOT NULL AND expires_at <= ?)
                    OR (status IS NULL AND user_uuid IS NULL AND lease_until <= ?) OR (status IS NULL AND lease_until <= ?) RETURNING key
                """,
                [
                    .float(now.timeIntervalSince1970), .float(now.timeIntervalSince1970),
                    .float(now.timeIntervalSince1970 - IdempotencyRecord.committedRetention),
                ]
            )
            return rows.count
        }
    }

    package static func idempotencyRecord(_ row: SQLiteResultRow) throws -> IdempotencyRecord {
        guard let fingerprint = row.column("fingerprint")?.string, let token = row.column("token")?.string,
            let lease = row.column("lease_until")?.double
        else { throw StoreError.corruptRow }
        var response: RecordedResponse?
        if let status = row.column("status")?.integer {
            let body = row.column("body")?.blob.map { Array($0.readableBytesView) } ?? []
            response = RecordedResponse(status: status, headers: RecordedResponse.headers(fromJSON: row.column("headers")?.string ?? "[]"), body: body)
        }
        return IdempotencyRecord(
            fingerprint: fingerprint,
            token: token,
            response: response,
            leaseUntil: Date(timeIntervalSince1970: lease),
            expiresAt: row.column("expires_at")?.double.map(Date.init(timeIntervalSince1970:)),
            owner: row.column("owner")?.string,
            user: row.column("user_uuid")?.string.flatMap(UUID.init(uuidString:))
        )
    }
}
