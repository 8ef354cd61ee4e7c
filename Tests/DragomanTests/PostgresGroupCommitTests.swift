import DragomanCore
import DragomanTransport
import Foundation
import Logging
import PostgresNIO
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// PostgreSQL commits the inserts waiting in one instance as one group: a group keeps each
/// create's rules (one holder per key, against the database and within the group), and a
/// member the database refuses never takes the others down. On a real PostgreSQL server.
@Suite struct PostgresGroupCommitTests {
    static func record(_ email: String, uuid: UUID = UUID()) -> UserRecord {
        var profile = UserProfile()
        profile.email = email
        profile.displayName = "Ada Lovelace"
        return UserRecord(uuid: uuid, realm: Realm.shared, profile: profile, passwordHash: nil, createdAt: Date(timeIntervalSince1970: 1_700_000_000))
    }

    static func withStore(_ body: (PostgresStore) async throws -> Void) async throws {
        try await StoreEngine.postgres.withStore { store in try await body(try #require(store as? PostgresStore)) }
    }

    static func group(_ records: [UserRecord], in store: PostgresStore) async throws -> [InsertOutcome] {
        try await PostgresStore.commitGroup(
            records.map { PendingInsert(record: $0, uniqueKeys: [.email]) },
            client: store.client,
            schema: store.location.schema,
            logger: store.logger
        )
    }

    @Test func aGroupHoldingOneAddressTwiceCreatesOneAndNamesItToTheOther() async throws {
        try await Self.withStore { store in
            let outcomes = try await Self.group([Self.record("ada@x.com"), Self.record("bob@x.com"), Self.record("ADA@x.com")], in: store)
            guard outcomes.count == 3, case .created(let ada) = outcomes[0], case .created = outcomes[1] else {
                Issue.record("expected two creates, got \(outcomes)")
                return
            }
            #expect(outcomes[2] == .duplicate(existing: ada, key: .email))
            #expect(try await store.user(.email(realm: Realm.shared, address: "ada@x.com")) == ada)
        }
    }

    @Test func aGroupMemberWhoseAddressIsTakenIsToldItsHolderAndTheOthersGoIn() async throws {
        try await Self.withStore { store in
            guard case .created(let existing) = try await store.insert(Self.record("taken@x.com"), uniqueKeys: [.email]) else {
                Issue.record("not created")
                return
            }
            let outcomes = try await Self.group([Self.record("new@x.com"), Self.record("taken@x.com"), Self.record("other@x.com")], in: store)
            #expect(outcomes.count == 3)
            #expect(outcomes[1] == .duplicate(existing: existing, key: .email))
            for index in [0, 2] {
                guard case .created(let user) = outcomes[index] else {
                    Issue.record("member \(index) not created: \(outcomes[index])")
                    continue
                }
                #expect(try await store.user(.serial(user.id.serial)) == user)
            }
        }
    }

    @Test func aMemberTheDatabaseRefusesIsRolledBackAloneWhileTheOthersCommit() async throws {
        try await Self.withStore { store in
            guard case .created(let first) = try await store.insert(Self.record("first@x.com"), uniqueKeys: [.email]) else {
                Issue.record("not created")
                return
            }
            // A second user under the first one's uuid breaks the table's UNIQUE constraint: its
            // group fails and is rerun member by member.
            let clash = Self.record("clash@x.com", uuid: first.id.uuid)
            let outcomes = try await withThrowingTaskGroup(of: (Int, Result<InsertOutcome, any Error>).self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let record = index == 7 ? clash : Self.record("member\(index)@x.com")
                        do { return (index, .success(try await store.insert(record, uniqueKeys: [.email]))) } catch { return (index, .failure(error)) }
                    }
                }
                return try await group.reduce(into: [Int: Result<InsertOutcome, any Error>]()) { $0[$1.0] = $1.1 }
            }
            for (index, outcome) in outcomes {
                switch (index, outcome) {
                case (7, .success(let value)): Issue.record("the clashing insert was taken: \(value)")
                case (7, .failure): break
                case (_, .success(.created(let user))): #expect(try await store.user(.serial(user.id.serial)) == user)
                case (_, let other): Issue.record("member \(index): \(other)")
                }
            }
            #expect(try await store.user(.email(realm: Realm.shared, address: "clash@x.com")) == nil)
        }
    }

    @Test func manyConcurrentCreatesAreCommittedInGroupsWithDistinctSerials() async throws {
        try await Self.withStore { store in
            let users = try await withThrowingTaskGroup(of: User?.self) { group in
                for index in 0..<300 {
                    group.addTask {
                        if case .created(let user) = try await store.insert(Self.record("u\(index)@x.com"), uniqueKeys: [.email]) { return user }
                        return nil
                    }
                }
                return try await group.reduce(into: [User]()) { if let user = $1 { $0.append(user) } }
            }
            #expect(users.count == 300)
            #expect(Set(users.map(\.id.serial)).count == 300)
        }
    }

    @Test func insertsAfterCloseAreRefused() async throws {
        let store = try await PostgresStore.open(TestPostgres.freshLocation(), logger: Logger(label: "test"))
        try await store.close()
        await #expect(throws: StoreError.self) { try await store.insert(Self.record("late@x.com"), uniqueKeys: [.email]) }
    }
}

/// Idempotency records commit without a flush of their own; everything else waits for it.
@Suite struct PostgresRecordCommitTests {
    static func setting(_ client: PostgresClient, logger: Logger) async throws -> String? {
        for try await value in try await client.query("SHOW synchronous_commit", logger: logger).decode(String.self) { return value }
        return nil
    }

    @Test func idempotencyRecordsCommitAsynchronouslyAndUsersDurably() async throws {
        try await PostgresGroupCommitTests.withStore { store in
            let records = try await Self.setting(store.records, logger: store.logger)
            let users = try await Self.setting(store.client, logger: store.logger)
            #expect(records == "off")
            #expect(users == "on")
        }
    }

    @Test func theRecordsPoolIsAQuarterOfTheStoresConnections() throws {
        var location = try PostgresLocation(url: "postgres://u:p@127.0.0.1:5432/d")
        #expect(PostgresStore.recordConnections(location) == 5)
        location.maxConnections = 2
        #expect(PostgresStore.recordConnections(location) == 1)
    }
}
