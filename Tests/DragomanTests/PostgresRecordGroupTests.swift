import DragomanTransport
import Foundation
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// PostgreSQL claims new idempotency keys, and records their answers, in groups: one statement
/// for all that wait. A group keeps each claim's rules (one claim per key, a key that has a row
/// is left to its record), each answer lands under its own claim only, and two groups never
/// wait for each other in a cycle. On a real PostgreSQL server.
@Suite struct PostgresRecordGroupTests {
    static func attempt(_ key: String, scope: String = "alice", fingerprint: String = "f1") -> ClaimAttempt {
        let now = Date()
        let request = IdempotencyRequest(scope: scope, key: key, fingerprint: fingerprint, leaseUntil: now.addingTimeInterval(60))
        return ClaimAttempt(request: request, token: UUID.random().text(), now: now)
    }

    /// On the records pool, or (`durablePool`) on the store's other pool, for two groups at once.
    static func claimGroup(_ attempts: [ClaimAttempt], in store: PostgresStore, durablePool: Bool = false) async throws -> [Bool] {
        try await PostgresStore.claimGroup(attempts, on: durablePool ? store.client : store.records, logger: store.logger)
    }

    static func answer(_ body: String) -> RecordedResponse {
        RecordedResponse(status: 201, headers: [.init(name: "Content-Type", value: "application/json")], body: Array(body.utf8))
    }

    @Test func aGroupClaimsEachNewKeyAndOnlyTheFirstOfTwoAttemptsAtOneKey() async throws {
        try await PostgresGroupCommitTests.withStore { store in
            let attempts = [Self.attempt("b"), Self.attempt("a"), Self.attempt("b", fingerprint: "f2"), Self.attempt("a", scope: "bob")]
            let claimed = try await Self.claimGroup(attempts, in: store)
            #expect(claimed == [true, true, false, true])
            // The key the third attempt lost is held by the first one's claim, still running.
            let retry = try await store.claim(Self.attempt("b").request, now: Date())
            #expect(retry == .inFlight)
            let other = try await store.claim(Self.attempt("b", fingerprint: "f2").request, now: Date())
            #expect(other == .mismatch)
        }
    }

    @Test func aKeyThatHasARowIsNotClaimedByAGroupAndItsRecordAnswers() async throws {
        try await PostgresGroupCommitTests.withStore { store in
            guard case .claimed(let claim) = try await store.claim(Self.attempt("k").request, now: Date()) else {
                Issue.record("the first claim was not claimed")
                return
            }
            try await store.complete(claim, response: Self.answer("{\"id\":1}"), expiresAt: Date().addingTimeInterval(60))
            let claimed = try await Self.claimGroup([Self.attempt("k"), Self.attempt("other")], in: store)
            #expect(claimed == [false, true])
            let retry = try await store.claim(Self.attempt("k").request, now: Date())
            #expect(retry == .replay(Self.answer("{\"id\":1}")))
        }
    }

    @Test func aCompletionGroupRecordsEachAnswerUnderItsOwnClaimOnly() async throws {
        try await PostgresGroupCommitTests.withStore { store in
            let attempts = [Self.attempt("one"), Self.attempt("two"), Self.attempt("three")]
            let claimed = try await Self.claimGroup(attempts, in: store)
            #expect(claimed == [true, true, true])
            let claims = attempts.map { IdempotencyClaim(scope: $0.request.scope, key: $0.request.key, token: $0.token) }
            var stale = claims[2]
            stale.token = UUID.random().text()
            let completions = [
                Completion(claim: claims[0], response: Self.answer("{\"id\":1}"), expiresAt: Date().addingTimeInterval(60)),
                Completion(claim: claims[1], response: Self.answer("{\"id\":2}"), expiresAt: Date().addingTimeInterval(60)),
                Completion(claim: stale, response: Self.answer("{\"id\":3}"), expiresAt: Date().addingTimeInterval(60)),
            ]
            _ = try await PostgresStore.completeGroup(completions, on: store.records, logger: store.logger)
            let first = try await store.claim(Self.attempt("one").request, now: Date())
            #expect(first == .replay(Self.answer("{\"id\":1}")))
            let second = try await store.claim(Self.attempt("two").request, now: Date())
            #expect(second == .replay(Self.answer("{\"id\":2}")))
            // A token that does not hold the key records nothing: its claim still runs.
            let third = try await store.claim(Self.attempt("three").request, now: Date())
            #expect(third == .inFlight)
        }
    }

    @Test func twoGroupsOfTheSameKeysInOppositeOrdersBothFinishWithOneClaimPerKey() async throws {
        try await PostgresGroupCommitTests.withStore { store in
            let keys = (0..<200).map { "key-" + String("00\($0)".suffix(3)) }
            // A transaction holds the middle key while both groups start, one on each pool, so
            // both are mid-way when it lets go: in the orders given, each would then hold keys
            // the other waits for (PostgreSQL would abort one as a deadlock).
            let (isHeld, held) = AsyncStream.makeStream(of: Void.self)
            let (released, release) = AsyncStream.makeStream(of: Void.self)
            async let blocker: Void = store.client.withConnection { connection in
                try await connection.query("BEGIN", logger: store.logger)
                try await connection.query(
                    "INSERT INTO idempotency (scope, key, fingerprint, token, lease_until, created_at) VALUES ('alice', \(keys[100]), 'f0', 'blocker', 0, 0)",
                    logger: store.logger
                )
                held.finish()
                for await _ in released { break }
                try await connection.query("ROLLBACK", logger: store.logger)
            }
            for await _ in isHeld {}
            async let forward = Self.claimGroup(keys.map { Self.attempt($0) }, in: store)
            async let backward = Self.claimGroup(keys.reversed().map { Self.attempt($0) }, in: store, durablePool: true)
            try await Self.waitForTwoLockWaits(in: store)
            release.finish()
            try await blocker
            let (first, second) = try await (forward, backward)
            for (index, claimed) in first.enumerated() {
                #expect(claimed != second[keys.count - 1 - index], "\(keys[index]) claimed by both groups or by neither")
            }
        }
    }

    /// Returns once two sessions of the test's server wait for a lock on an idempotency insert
    /// (or after 10 s, when the groups never had to wait).
    static func waitForTwoLockWaits(in store: PostgresStore) async throws {
        for _ in 0..<200 {
            let waiting = try await store.client.query(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO idempotency%'",
                logger: store.logger
            )
            for try await count in waiting.decode(Int64.self) where count >= 2 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test func concurrentKeyedClaimsThroughTheStoreEachGetTheirOwnKey() async throws {
        try await PostgresGroupCommitTests.withStore { store in
            let outcomes = try await withThrowingTaskGroup(of: IdempotencyOutcome.self) { group in
                for index in 0..<300 {
                    group.addTask { try await store.claim(Self.attempt("c\(index % 150)").request, now: Date()) }
                }
                return try await group.reduce(into: [IdempotencyOutcome]()) { $0.append($1) }
            }
            let claimed = outcomes.compactMap { outcome -> String? in
                if case .claimed(let claim) = outcome { return claim.key }
                return nil
            }
            #expect(claimed.count == 150)
            #expect(Set(claimed).count == 150)
            #expect(outcomes.filter { $0 == .inFlight }.count == 150)
        }
    }
}
