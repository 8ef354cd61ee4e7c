public import Foundation
import NIOCore
import PostgresNIO

extension PostgresStore {
    public func claim(_ request: IdempotencyRequest, now: Date) async throws -> IdempotencyOutcome {
        try await client.withTransaction(logger: logger) { connection in
            // One claim of a key at a time, across every instance sharing the schema.
            try await lock(["idempotency\u{1F}\(request.scope)\u{1F}\(request.key)"], on: connection)
            let rows = try await connection.query(
                """
                SELECT fingerprint, token, lease_until, status, headers, body, expires_at, owner, user_uuid FROM idempotency
                WHERE scope = \(request.scope) AND key = \(request.key)
                """,
                logger: logger
            )
            for try await (fingerprint, token, lease, status, headers, body, expires, owner, user) in rows.decode(
                (String, String, Double, Int32?, String?, ByteBuffer?, Double?, String?, String?).self
            ) {
                let record = IdempotencyRecord(
                    fingerprint: fingerprint,
                    token: token,
                    response: status.map {
                        RecordedResponse(
                            status: Int($0),
                            headers: RecordedResponse.headers(fromJSON: headers ?? "[]"),
                            body: body.map { Array($0.readableBytesView) } ?? []
                        )
                    },
                    leaseUntil: Date(timeIntervalSince1970: lease),
                    expiresAt: expires.map(Date.init(timeIntervalSince1970:)),
                    owner: owner,
                    user: user.flatMap(UUID.init(uuidString:))
                )
                if let outcome = record.outcome(for: request, now: now) { return outcome }
            }
            let token = UUID().uuidString
            try await connection.query(
                """
                INSERT INTO idempotency (scope, key, fingerprint, token, lease_until, created_at, owner)
                VALUES (\(request.scope), \(request.key), \(request.fingerprint), \(token), \(request.leaseUntil.timeIntervalSince1970),
                    \(now.timeIntervalSince1970), \(request.owner))
                ON CONFLICT (scope, key) DO UPDATE SET fingerprint = excluded.fingerprint, token = excluded.token,
                    lease_until = excluded.lease_until, status = NULL, headers = NULL, body = NULL,
                    created_at = excluded.created_at, expires_at = NULL, owner = excluded.owner, user_uuid = NULL
                """,
                logger: logger
            )
            return .claimed(IdempotencyClaim(scope: request.scope, key: request.key, token: token))
        }
    }

    public func complete(_ claim: IdempotencyClaim, response: RecordedResponse, expiresAt: Date) async throws {
        try await client.query(
            """
            UPDATE idempotency SET status = \(Int32(response.status)), headers = \(response.headersJSON),
                body = \(ByteBuffer(bytes: response.body)), expires_at = \(expiresAt.timeIntervalSince1970)
            WHERE scope = \(claim.scope) AND key = \(claim.key) AND token = \(claim.token)
            """,
            logger: logger
        )
    }

    public func release(_ claim: IdempotencyClaim) async throws {
        try await client.query(
            "DELETE FROM idempotency WHERE scope = \(claim.scope) AND key = \(claim.key) AND token = \(claim.token) AND status IS NULL",
            logger: logger
        )
    }

    @discardableResult
    public func deleteExpiredIdempotencyRecords(now: Date) async throws -> Int {
        let seconds = now.timeIntervalSince1970
        let rows = try await client.query(
            """
            DELETE FROM idempotency WHERE (status IS NOT NULL AND expires_at <= \(seconds))
                OR (status IS NULL AND user_uuid IS NULL AND lease_until <= \(seconds))
                OR (status IS NULL AND lease_until <= \(seconds - IdempotentCreate.committedRetention)) RETURNING 1
            """,
            logger: logger
        )
        var count = 0
        for try await _ in rows { count += 1 }
        return count
    }
}
