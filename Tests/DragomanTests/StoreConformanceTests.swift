import DragomanCore
import DragomanTransport
import Foundation
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// One suite, both engines: every rule the store interface promises holds for SQLite and for
/// PostgreSQL alike.
@Suite struct StoreConformanceTests {
    static func record(_ email: String, realm: String = Realm.shared, userName: String? = nil) -> UserRecord {
        var profile = UserProfile()
        profile.email = email
        profile.userName = userName
        profile.displayName = "Ada Lovelace"
        return UserRecord(uuid: UUID(), realm: realm, profile: profile, passwordHash: "$2b$04$hash", createdAt: Date(timeIntervalSince1970: 1_700_000_000))
    }

    @Test(arguments: StoreEngine.allCases)
    func insertedUsersAreReadableBySerialUUIDAndEmail(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            guard case .created(let user) = try await store.insert(Self.record("Ada@Example.com"), uniqueKeys: [.email]) else {
                Issue.record("not created")
                return
            }
            #expect(try await store.user(.serial(user.id.serial)) == user)
            #expect(try await store.user(.uuid(user.id.uuid)) == user)
            #expect(try await store.user(.email(realm: Realm.shared, address: "ada@example.COM")) == user)
            #expect(try await store.user(.email(realm: "other", address: "ada@example.com")) == nil)
            #expect(try await store.user(.serial(user.id.serial + 1)) == nil)
            #expect(user.passwordHash == "$2b$04$hash")
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func duplicatesAreRefusedWithinARealmOnly(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let first = try await store.insert(Self.record("a@x.com", userName: "ada"), uniqueKeys: [.email, .userName])
            guard case .created(let existing) = first else {
                Issue.record("not created")
                return
            }
            let sameEmail = try await store.insert(Self.record("A@X.COM", userName: "other"), uniqueKeys: [.email, .userName])
            #expect(sameEmail == .duplicate(existing: existing, key: .email))
            let sameName = try await store.insert(Self.record("b@x.com", userName: "ADA"), uniqueKeys: [.email, .userName])
            #expect(sameName == .duplicate(existing: existing, key: .userName))
            let otherRealm = try await store.insert(Self.record("a@x.com", realm: "service-1"), uniqueKeys: [.email])
            guard case .created = otherRealm else {
                Issue.record("other realm refused")
                return
            }
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func concurrentInsertsOfOneUserStoreExactlyOne(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let outcomes = try await withThrowingTaskGroup(of: InsertOutcome.self) { group in
                for _ in 0..<16 { group.addTask { try await store.insert(Self.record("race@x.com"), uniqueKeys: [.email]) } }
                return try await group.reduce(into: [InsertOutcome]()) { $0.append($1) }
            }
            let created = outcomes.filter { if case .created = $0 { true } else { false } }
            #expect(created.count == 1)
            #expect(outcomes.count == 16)
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func concurrentInsertsSharingKeysCrosswiseKeepEveryKeyUniqueWithoutDeadlock(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let outcomes = try await withThrowingTaskGroup(of: InsertOutcome.self) { group in
                for index in 0..<24 {
                    let record = Self.record("e\(index % 4)@x.com", userName: "u\((index / 4 + index) % 4)")
                    group.addTask { try await store.insert(record, uniqueKeys: [.email, .userName]) }
                }
                return try await group.reduce(into: [InsertOutcome]()) { $0.append($1) }
            }
            let created = outcomes.compactMap { if case .created(let user) = $0 { user } else { nil } }
            #expect(!created.isEmpty)
            #expect(Set(created.compactMap(\.profile.email)).count == created.count)
            #expect(Set(created.compactMap(\.profile.userName)).count == created.count)
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func concurrentInsertsOfDifferentUsersAllSucceed(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let outcomes = try await withThrowingTaskGroup(of: InsertOutcome.self) { group in
                for index in 0..<16 { group.addTask { try await store.insert(Self.record("d\(index)@x.com"), uniqueKeys: [.email]) } }
                return try await group.reduce(into: [InsertOutcome]()) { $0.append($1) }
            }
            #expect(outcomes.allSatisfy { if case .created = $0 { true } else { false } })
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func serialsIncrease(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            var serials: [Int64] = []
            for index in 0..<3 {
                if case .created(let user) = try await store.insert(Self.record("u\(index)@x.com"), uniqueKeys: [.email]) { serials.append(user.id.serial) }
            }
            #expect(serials.count == 3)
            #expect(serials == serials.sorted() && Set(serials).count == 3)
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func sessionsExpireAndAreSwept(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let now = Date()
            try await store.createSession(digest: "live", record: SessionRecord(principal: "alice", expiresAt: now.addingTimeInterval(60)))
            try await store.createSession(digest: "old", record: SessionRecord(principal: "bob", expiresAt: now.addingTimeInterval(-1)))
            #expect(try await store.session(digest: "live", now: now)?.principal == "alice")
            #expect(try await store.session(digest: "old", now: now) == nil)
            #expect(try await store.deleteExpiredSessions(now: now) == 1)
            try await store.deleteSession(digest: "live")
            #expect(try await store.session(digest: "live", now: now) == nil)
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func idMapMintsOncePerBackendID(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let first = try await store.map(upstream: "b", backendID: "42", now: Date())
            let again = try await store.map(upstream: "b", backendID: "42", now: Date())
            let other = try await store.map(upstream: "c", backendID: "42", now: Date())
            #expect(first == again)
            #expect(other.uuid != first.uuid)
            #expect(try await store.mapped(upstream: "b", serial: first.serial) == first)
            #expect(try await store.mapped(upstream: "b", uuid: first.uuid) == first)
            #expect(try await store.mapped(upstream: "c", uuid: first.uuid) == nil)
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func idMapsMadeTogetherMixNewKnownAndRepeatedBackendIDs(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let known = try await store.map(upstream: "b", backendID: "1", now: Date())
            // Made at once, so that the SQLite writer groups them: one already mapped, one new
            // id twice, and new ones.
            let ids = ["1", "2", "2", "3", "4", "1"]
            let mapped = try await withThrowingTaskGroup(of: (Int, MappedID).self) { group in
                for (index, id) in ids.enumerated() {
                    group.addTask { (index, try await store.map(upstream: "b", backendID: id, now: Date())) }
                }
                return try await group.reduce(into: [Int: MappedID]()) { $0[$1.0] = $1.1 }
            }
            #expect(mapped[0] == known)
            #expect(mapped[5] == known)
            #expect(mapped[1] == mapped[2])
            for (index, id) in ids.enumerated() { #expect(mapped[index]?.backendID == id) }
            #expect(Set(mapped.values.map(\.serial)).count == 4)
            for value in mapped.values { #expect(try await store.mapped(upstream: "b", uuid: value.uuid) == value) }
        }
    }

    static func keyed(_ key: String = "k1", scope: String = "alice", fingerprint: String = "f1", lease: TimeInterval = 60) -> IdempotencyRequest {
        IdempotencyRequest(scope: scope, key: key, fingerprint: fingerprint, leaseUntil: Date().addingTimeInterval(lease))
    }

    static let answer = RecordedResponse(
        status: 201,
        headers: [.init(name: "Content-Type", value: "application/json"), .init(name: "X-Custom", value: "1")],
        body: Array(#"{"id":"1"}"#.utf8)
    )

    @Test(arguments: StoreEngine.allCases)
    func idempotencyClaimThenReplay(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            guard case .claimed(let claim) = try await store.claim(Self.keyed(), now: Date()) else {
                Issue.record("not claimed")
                return
            }
            #expect(try await store.claim(Self.keyed(), now: Date()) == .inFlight)
            #expect(try await store.claim(Self.keyed(fingerprint: "f2"), now: Date()) == .mismatch)
            try await store.complete(claim, response: Self.answer, expiresAt: Date().addingTimeInterval(60))
            #expect(try await store.claim(Self.keyed(), now: Date()) == .replay(Self.answer))
            #expect(try await store.claim(Self.keyed(fingerprint: "f2"), now: Date()) == .mismatch)
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func idempotencyKeysAreScopedPerPrincipal(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            guard case .claimed = try await store.claim(Self.keyed(scope: "alice"), now: Date()) else {
                Issue.record("alice")
                return
            }
            guard case .claimed = try await store.claim(Self.keyed(scope: "bob", fingerprint: "other"), now: Date()) else {
                Issue.record("bob")
                return
            }
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func releasedAndLapsedClaimsCanBeTakenOver(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            guard case .claimed(let claim) = try await store.claim(Self.keyed(), now: Date()) else {
                Issue.record("first")
                return
            }
            try await store.release(claim)
            guard case .claimed(let second) = try await store.claim(Self.keyed(lease: 1), now: Date()) else {
                Issue.record("after release")
                return
            }
            // The lease lapses (a crashed instance): the key is free again, and the old holder can no longer record.
            guard case .claimed(let third) = try await store.claim(Self.keyed(), now: Date().addingTimeInterval(2)) else {
                Issue.record("after lapse")
                return
            }
            try await store.complete(second, response: Self.answer, expiresAt: Date().addingTimeInterval(60))
            #expect(try await store.claim(Self.keyed(), now: Date()) == .inFlight)
            try await store.complete(third, response: Self.answer, expiresAt: Date().addingTimeInterval(60))
            #expect(try await store.claim(Self.keyed(), now: Date()) == .replay(Self.answer))
        }
    }

    /// The owner string of an instance that surely died: a finished child process of this one.
    static func deadOwner() async throws -> String {
        let child = try ChildProcess("/bin/true", arguments: [])
        _ = try await child.finished()
        return "\(InstanceIdentity.host)/\(child.pid)/"
    }

    @Test(arguments: StoreEngine.allCases)
    func anInsertMarksItsClaimSoARetryFindsTheUserEvenAfterTheLease(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            guard case .claimed(let claim) = try await store.claim(Self.keyed(lease: 1), now: Date()) else {
                Issue.record("claim")
                return
            }
            var record = Self.record("marked@example.com")
            record.mark = IdempotencyMark(scope: claim.scope, key: claim.key, token: claim.token)
            guard case .created(let user) = try await store.insert(record, uniqueKeys: [.email]) else {
                Issue.record("insert")
                return
            }
            // The instance dies here: no response is recorded. Long after the lease:
            let later = Date().addingTimeInterval(3600)
            #expect(try await store.claim(Self.keyed(), now: later) == .committed(claim, user: user.id.uuid))
            #expect(try await store.claim(Self.keyed(fingerprint: "other"), now: later) == .mismatch)
            // The sweep keeps it past the lease, so a late retry still finds it.
            #expect(try await store.deleteExpiredIdempotencyRecords(now: later) == 0)
            try await store.complete(claim, response: Self.answer, expiresAt: later.addingTimeInterval(60))
            #expect(try await store.claim(Self.keyed(), now: later) == .replay(Self.answer))
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func aFailedInsertLeavesItsClaimUnmarked(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            _ = try await store.insert(Self.record("taken@example.com"), uniqueKeys: [.email])
            guard case .claimed(let claim) = try await store.claim(Self.keyed(lease: 1), now: Date()) else {
                Issue.record("claim")
                return
            }
            var record = Self.record("taken@example.com")
            record.mark = IdempotencyMark(scope: claim.scope, key: claim.key, token: claim.token)
            guard case .duplicate = try await store.insert(record, uniqueKeys: [.email]) else {
                Issue.record("not a duplicate")
                return
            }
            guard case .claimed = try await store.claim(Self.keyed(), now: Date().addingTimeInterval(2)) else {
                Issue.record("not free after lease")
                return
            }
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func aClaimWhoseOwnerDiedIsFreeAtOnce(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            var request = Self.keyed(lease: 600)
            request.owner = try await Self.deadOwner()
            guard case .claimed = try await store.claim(request, now: Date()) else {
                Issue.record("claim")
                return
            }
            // Well within the lease, a live instance's claim of the same key wins at once.
            guard case .claimed = try await store.claim(Self.keyed(), now: Date()) else {
                Issue.record("dead owner's key still locked")
                return
            }
            #expect(try await store.claim(Self.keyed(), now: Date()) == .inFlight)
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func aClaimOfAnotherMachinesInstanceWaitsForItsLease(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            var request = Self.keyed(lease: 600)
            request.owner = "another-host.example/1/1"
            guard case .claimed = try await store.claim(request, now: Date()) else {
                Issue.record("claim")
                return
            }
            #expect(try await store.claim(Self.keyed(), now: Date()) == .inFlight)
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func expiredIdempotencyRecordsAreSweptAndReusable(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            guard case .claimed(let claim) = try await store.claim(Self.keyed(), now: Date()) else {
                Issue.record("claim")
                return
            }
            let expiry = Date().addingTimeInterval(10)
            try await store.complete(claim, response: Self.answer, expiresAt: expiry)
            guard case .claimed = try await store.claim(Self.keyed(fingerprint: "new"), now: expiry.addingTimeInterval(1)) else {
                Issue.record("expired key not reusable")
                return
            }
            guard case .claimed(let other) = try await store.claim(Self.keyed("k2"), now: Date()) else {
                Issue.record("k2")
                return
            }
            try await store.complete(other, response: Self.answer, expiresAt: expiry)
            #expect(try await store.deleteExpiredIdempotencyRecords(now: Date()) == 0)
            // k1's fresh claim has a 60 s lease, k2 expires with `expiry`: both go by then.
            #expect(try await store.deleteExpiredIdempotencyRecords(now: Date().addingTimeInterval(120)) == 2)
            guard case .claimed = try await store.claim(Self.keyed("k2", fingerprint: "changed"), now: Date()) else {
                Issue.record("swept")
                return
            }
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func concurrentClaimsOfOneKeyHaveOneWinner(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let outcomes = try await withThrowingTaskGroup(of: IdempotencyOutcome.self) { group in
                for _ in 0..<16 { group.addTask { try await store.claim(Self.keyed("race"), now: Date()) } }
                return try await group.reduce(into: [IdempotencyOutcome]()) { $0.append($1) }
            }
            #expect(outcomes.filter { if case .claimed = $0 { true } else { false } }.count == 1)
            #expect(outcomes.filter { $0 == .inFlight }.count == 15)
        }
    }

    /// A key whose record expired is taken over by exactly one of many concurrent claims; the
    /// others see the new claim in flight.
    @Test(arguments: StoreEngine.allCases)
    func concurrentClaimsOfAnExpiredKeyHaveOneWinner(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            guard case .claimed(let old) = try await store.claim(Self.keyed("stale"), now: Date()) else {
                Issue.record("claim")
                return
            }
            try await store.complete(old, response: Self.answer, expiresAt: Date().addingTimeInterval(-1))
            let outcomes = try await withThrowingTaskGroup(of: IdempotencyOutcome.self) { group in
                for _ in 0..<16 { group.addTask { try await store.claim(Self.keyed("stale"), now: Date()) } }
                return try await group.reduce(into: [IdempotencyOutcome]()) { $0.append($1) }
            }
            #expect(outcomes.filter { if case .claimed(let claim) = $0 { claim.token != old.token } else { false } }.count == 1)
            #expect(outcomes.filter { $0 == .inFlight }.count == 15)
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func recordedBodiesKeepEveryByte(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let bytes = (0..<512).map { UInt8($0 % 256) }
            let answer = RecordedResponse(status: 400, headers: [], body: bytes)
            guard case .claimed(let claim) = try await store.claim(Self.keyed(), now: Date()) else {
                Issue.record("claim")
                return
            }
            try await store.complete(claim, response: answer, expiresAt: Date().addingTimeInterval(60))
            guard case .replay(let replayed) = try await store.claim(Self.keyed(), now: Date()) else {
                Issue.record("replay")
                return
            }
            #expect(replayed.status == 400)
            #expect(replayed.body == bytes)
        }
    }

    @Test func postgresMigrationsRunOnceWhenInstancesStartTogether() async throws {
        let location = TestPostgres.freshLocation()
        let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
            for _ in 0..<3 { group.addTask { try await PostgresStore.open(location, logger: .init(label: "test")) } }
            return try await group.reduce(into: [PostgresStore]()) { $0.append($1) }
        }
        let outcome = try await stores[0].insert(Self.record("m@x.com"), uniqueKeys: [.email])
        guard case .created(let user) = outcome else {
            Issue.record("not created")
            return
        }
        #expect(try await stores[2].user(.uuid(user.id.uuid)) == user)
        for store in stores { try await store.close() }
    }

    @Test func anUnreachablePostgresFailsStartUpClearly() async throws {
        let location = try PostgresLocation(url: "postgres://nobody:pw@127.0.0.1:1/none?sslmode=disable")
        await #expect {
            try await PostgresStore.open(location, timeout: .seconds(1), logger: .init(label: "test"))
        } throws: { error in
            let text = String(describing: error)
            return error is StoreUnavailable && text.contains("127.0.0.1:1") && !text.contains("pw")
        }
    }

    @Test func sqliteStoreKeepsUsersAcrossReopening() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-reopen-\(UUID().uuidString)/s.sqlite").path
        let first = try await SQLiteUserStore.open(path: path, logger: .init(label: "test"))
        guard case .created(let user) = try await first.insert(Self.record("r@x.com"), uniqueKeys: [.email]) else {
            Issue.record("insert")
            return
        }
        try await first.close()
        let second = try await SQLiteUserStore.open(path: path, logger: .init(label: "test"))
        #expect(try await second.user(.serial(user.id.serial)) == user)
        try await second.close()
    }

    @Test func postgresURLsAreReadAndBadOnesNamed() throws {
        let location = try PostgresLocation(url: "postgres://app:p%40ss@db.example:6543/users?sslmode=require&schema=gw&maxConnections=8")
        #expect(location.host == "db.example")
        #expect(location.port == 6543)
        #expect(location.user == "app")
        #expect(location.password == "p@ss")
        #expect(location.database == "users")
        #expect(location.tls == .require)
        #expect(location.schema == "gw")
        #expect(location.maxConnections == 8)
        #expect(!location.redacted.contains("p@ss"))
        #expect(try PostgresLocation(url: "postgresql://app@localhost").database == "app")
        #expect(throws: PostgresLocationError.self) { try PostgresLocation(url: "mysql://app@localhost/db") }
        #expect(throws: PostgresLocationError.self) { try PostgresLocation(url: "postgres://localhost/db") }
        #expect(throws: PostgresLocationError.self) { try PostgresLocation(url: "postgres://a@h/db?schema=x;drop") }
        #expect(throws: PostgresLocationError.self) { try PostgresLocation(url: "postgres://a@h/db?sslmode=maybe") }
        #expect(throws: PostgresLocationError.self) { try PostgresLocation(url: "postgres://a@h/db?color=blue") }
    }
}
