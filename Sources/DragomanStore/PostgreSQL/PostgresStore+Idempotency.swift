import DragomanCore
import DragomanDialectKit
public import Foundation
import NIOCore
package import PostgresNIO

extension PostgresStore {
    /// Claims a key with a share of one round trip when it is new (the claims that wait are
    /// inserted together, ``claimGroup(_:on:logger:)``), with one more when its record decides
    /// the answer (a replay, a mismatch, a request in flight or a stored user), and in a locked
    /// transaction only when a dead record is taken over.
    ///
    /// The claim's insert does nothing when the key has a row; the unique key makes it atomic
    /// across instances (of concurrent inserts one wins, the others wait for its commit and
    /// insert nothing). A key that has a row is read: an answer decided by a committed row was
    /// right at the moment of the read. A dead record (expired, or a lapsed or orphaned claim)
    /// is taken over under the key's advisory lock, which every takeover takes, reading the row
    /// again inside it.
    ///
    /// The claim's insert commits on ``records`` (no flush of its own); a takeover commits on
    /// the durable pool.
    public func claim(_ request: IdempotencyRequest, now: Date) async throws -> IdempotencyOutcome {
        let token = UUID.random().text()
        if try await claims.submit(ClaimAttempt(request: request, token: token, now: now)) {
            return .claimed(IdempotencyClaim(scope: request.scope, key: request.key, token: token))
        }
        if let record = try await idempotencyRecord(scope: request.scope, key: request.key, on: nil),
            let outcome = record.outcome(for: request, now: now)
        {
            return outcome
        }
        return try await client.withTransaction(logger: logger) { connection in
            // One takeover of a key at a time, across every instance sharing the schema.
            try await lock(["idempotency\u{1F}\(request.scope)\u{1F}\(request.key)"], on: connection)
            if let record = try await idempotencyRecord(scope: request.scope, key: request.key, on: connection),
                let outcome = record.outcome(for: request, now: now)
            {
                return outcome
            }
            let takeOver = """
                DO UPDATE SET fingerprint = excluded.fingerprint, token = excluded.token,
                    lease_until = excluded.lease_until, status = NULL, headers = NULL, body = NULL,
                    created_at = excluded.created_at, expires_at = NULL, owner = excluded.owner, user_uuid = NULL
                """
            try await connection.query(Self.claimInsert(request, token: token, now: now, onConflict: takeOver), logger: logger)
            return .claimed(IdempotencyClaim(scope: request.scope, key: request.key, token: token))
        }
    }

    /// The claim's row for `request`, and what to do when the key has one (`onConflict`, SQL
    /// of Dragoman's own, never a caller's text).
    private static func claimInsert(_ request: IdempotencyRequest, token: String, now: Date, onConflict: String) -> PostgresQuery {
        """
        INSERT INTO idempotency (scope, key, fingerprint, token, lease_until, created_at, owner)
        VALUES (\(request.scope), \(request.key), \(request.fingerprint), \(token), \(request.leaseUntil.timeIntervalSince1970),
            \(now.timeIntervalSince1970), \(request.owner))
        ON CONFLICT (scope, key) \(unescaped: onConflict)
        """
    }

    /// A key's record, read on `connection` (inside its transaction) or on any pooled one.
    private func idempotencyRecord(scope: String, key: String, on connection: PostgresConnection?) async throws -> IdempotencyRecord? {
        let query: PostgresQuery = """
            SELECT fingerprint, token, lease_until, status, headers, body, expires_at, owner, user_uuid FROM idempotency
            WHERE scope = \(scope) AND key = \(key)
            """
        let rows: PostgresRowSequence
        if let connection {
            rows = try await connection.query(query, logger: logger)
        } else {
            rows = try await records.query(query, logger: logger)
        }
        for try await (fingerprint, token, lease, status, headers, body, expires, owner, user) in rows.decode(
            (String, String, Double, Int32?, String?, ByteBuffer?, Double?, String?, String?).self
        ) {
            return IdempotencyRecord(
                fingerprint: fingerprint,
                token: token,
                response: status.map {
                    RecordedResponse(
                        status: Int($0), headers: RecordedResponse.headers(fromJSON: headers ?? "[]"), body: body.map { Array($0.readableBytesView) } ?? [])
                },
                leaseUntil: Date(timeIntervalSince1970: lease),
                expiresAt: expires.map(Date.init(timeIntervalSince1970:)),
                owner: owner,
                user: user.flatMap(UUID.init(uuidString:))
            )
        }
        return nil
    }

    /// With the answers that wait, in one statement on ``records`` (``completeGroup(_:on:logger:)``):
    /// the answer is not flushed before the caller hears it; if a crash loses it, the claim
    /// still names the user it created, and a retry is answered from that user.
    public func complete(_ claim: IdempotencyClaim, response: RecordedResponse, expiresAt: Date) async throws {
        try await completions.submit(Completion(claim: claim, response: response, expiresAt: expiresAt))
    }

    /// On ``records``: if a crash of the server loses the release, the claim is held until its
    /// lease passes, as when the release cannot reach the server at all.
    public func release(_ claim: IdempotencyClaim) async throws {
        try await records.query(
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
                OR (status IS NULL AND lease_until <= \(seconds - IdempotencyRecord.committedRetention)) RETURNING 1
            """,
            logger: logger
        )
        var count = 0
        for try await _ in rows { count += 1 }
        return count
    }

    /// Inserts the claims of `attempts` whose keys have no row, in one statement; whether each
    /// was claimed, in order. The rows go in in the order of their keys, as in every group of
    /// every instance, so two groups never wait for each other's keys in a cycle; of two
    /// attempts at one key in a group, the first is claimed.
    package static func claimGroup(_ attempts: [ClaimAttempt], on records: PostgresClient, logger: Logger) async throws -> [Bool] {
        // By key, then by arrival (so the first attempt at a key is the one inserted).
        let sorted = attempts.enumerated().sorted { a, b in
            (a.element.request.scope, a.element.request.key, a.offset) < (b.element.request.scope, b.element.request.key, b.offset)
        }.map(\.element)
        let query: PostgresQuery = """
            INSERT INTO idempotency (scope, key, fingerprint, token, lease_until, created_at, owner)
            SELECT v.scope, v.key, v.fingerprint, v.token, v.lease_until, v.created_at, v.owner
            FROM unnest(\(sorted.map(\.request.scope))::text[], \(sorted.map(\.request.key))::text[],
                        \(sorted.map(\.request.fingerprint))::text[], \(sorted.map(\.token))::text[],
                        \(sorted.map(\.request.leaseUntil.timeIntervalSince1970))::float8[],
                        \(sorted.map(\.now.timeIntervalSince1970))::float8[], \(sorted.map(\.request.owner))::text[])
                 WITH ORDINALITY AS v(scope, key, fingerprint, token, lease_until, created_at, owner, n)
            ORDER BY v.n
            ON CONFLICT (scope, key) DO NOTHING RETURNING token
            """
        var claimed: Set<String> = []
        for try await token in try await records.query(query, logger: logger).decode(String.self) { claimed.insert(token) }
        return attempts.map { claimed.contains($0.token) }
    }

    /// Records the answers of `completions` in one statement, each under its own claim's token.
    package static func completeGroup(_ completions: [Completion], on records: PostgresClient, logger: Logger) async throws -> [Void] {
        let sorted = completions.sorted { ($0.claim.scope, $0.claim.key) < ($1.claim.scope, $1.claim.key) }
        let query: PostgresQuery = """
            UPDATE idempotency SET status = v.status, headers = v.headers, body = v.body, expires_at = v.expires_at
            FROM unnest(\(sorted.map(\.claim.scope))::text[], \(sorted.map(\.claim.key))::text[], \(sorted.map(\.claim.token))::text[],
                        \(sorted.map { Int32($0.response.status) })::int4[], \(sorted.map(\.response.headersJSON))::text[],
                        \(sorted.map { ByteBuffer(bytes: $0.response.body) })::bytea[],
                        \(sorted.map(\.expiresAt.timeIntervalSince1970))::float8[])
                 AS v(scope, key, token, status, headers, body, expires_at)
            WHERE idempotency.scope = v.scope AND idempotency.key = v.key AND idempotency.token = v.token
            """
        try await records.query(query, logger: logger)
        return completions.map { _ in () }
    }
}

/// A claim of a key waiting for its group's insert (``PostgresStore/claimGroup(_:on:logger:)``).
package struct ClaimAttempt: Sendable {
    package let request: IdempotencyRequest
    /// The claim's token, new for this attempt.
    package let token: String
    package let now: Date
}

/// A recorded answer waiting for its group's update (``PostgresStore/completeGroup(_:on:logger:)``).
package struct Completion: Sendable {
    package let claim: IdempotencyClaim
    package let response: RecordedResponse
    package let expiresAt: Date
}
