import DragomanCore
import Foundation
import Logging
import Testing

@testable import DragomanStore

/// The id map's links (one user with an id on two upstreams) and the migration outbox, on both
/// engines: the rules the live migration bridge relies on.
@Suite struct IDLinkAndOutboxStoreTests {
    @Test(arguments: StoreEngine.allCases)
    func aLinkedUserHasTheCallersIdsOnBothUpstreamsAndLivesWhereItWasMinted(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let old = try await store.map(upstream: "old", backendID: "7", now: Date())
            try await store.link(uuid: old.uuid, upstream: "new", backendID: "n-7", now: Date())
            let onNew = try #require(try await store.mapped(upstream: "new", uuid: old.uuid))
            #expect(onNew.serial == old.serial)
            #expect(onNew.backendID == "n-7")
            #expect(try await store.mapped(upstream: "new", serial: old.serial)?.uuid == old.uuid)
            // The candidate's list sees the linked id as the same user, not a new one.
            #expect(try await store.map(upstream: "new", backendID: "n-7", now: Date()).uuid == old.uuid)
            let identity = try #require(try await store.identity(serial: old.serial))
            #expect(identity.home == "old")
            #expect(identity.backends == ["old": "7", "new": "n-7"])
            #expect(try await store.identity(uuid: old.uuid) == identity)
            #expect(try await store.residence() == ["old": Residence(living: 1, held: 1), "new": Residence(living: 0, held: 1)])
            let livingOnNew = try await store.map(upstream: "new", backendID: "n-8", now: Date())
            #expect(try await store.homes(of: [old.uuid, livingOnNew.uuid, UUID()]) == [old.uuid: "old", livingOnNew.uuid: "new"])
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func relinkingReplacesTheUsersIdOnThatUpstream(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let user = try await store.map(upstream: "old", backendID: "1", now: Date())
            try await store.link(uuid: user.uuid, upstream: "new", backendID: "a", now: Date())
            try await store.link(uuid: user.uuid, upstream: "new", backendID: "b", now: Date())
            #expect(try await store.mapped(upstream: "new", uuid: user.uuid)?.backendID == "b")
            #expect(try await store.identity(uuid: user.uuid)?.backends["new"] == "b")
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func keptFieldsBelongToOneUpstreamsLink(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let user = try await store.map(upstream: "old", backendID: "1", now: Date())
            try await store.link(uuid: user.uuid, upstream: "new", backendID: "x", now: Date())
            try await store.keep(upstream: "old", uuid: user.uuid, fields: ["country": .string("SE")])
            #expect(try await store.mapped(upstream: "old", uuid: user.uuid)?.kept == ["country": .string("SE")])
            #expect(try await store.mapped(upstream: "new", uuid: user.uuid)?.kept == [:])
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func aBackfillsPositionIsKeptReplacedAndForgotten(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            #expect(try await store.backfillPosition(source: "old", target: "new") == nil)
            let at = Date(timeIntervalSince1970: 1_800_000_000)
            try await store.recordBackfill(source: "old", target: "new", position: BackfillPosition(position: "101", pages: 1, updatedAt: at))
            try await store.recordBackfill(source: "old", target: "new", position: BackfillPosition(position: "201", pages: 2, updatedAt: at))
            #expect(try await store.backfillPosition(source: "old", target: "new") == BackfillPosition(position: "201", pages: 2, updatedAt: at))
            #expect(try await store.backfillPosition(source: "new", target: "old") == nil)
            try await store.resetBackfill(source: "old", target: "new")
            #expect(try await store.backfillPosition(source: "old", target: "new") == nil)
        }
    }

    @Test func anIdMapFromBeforeTheLinksReadsTheSameAfterTheUpgrade() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-links-\(UUID()).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let uuid = UUID()
        do {
            let connection = try SQLiteDatabaseConnection(path: path, role: .writer)
            try SQLiteSchema.migrate(connection, through: 7, logger: Logger(label: "test"))
            try connection.query(
                "INSERT INTO id_map (uuid, upstream, backend_id, created_at, kept) VALUES (?, 'b', '42', 1700000000, '{\"country\":\"SE\"}')",
                [.text(uuid.uuidString)])
            connection.close()
        }
        let store = try await SQLiteUserStore.open(path: path, logger: Logger(label: "test"))
        let mapped = try #require(try await store.mapped(upstream: "b", uuid: uuid))
        #expect(mapped.backendID == "42")
        #expect(mapped.kept == ["country": .string("SE")])
        #expect(try await store.map(upstream: "b", backendID: "42", now: Date()).uuid == uuid)
        try await store.close()
    }

    static func entry(_ user: UUID, _ operation: String, upstream: String = "new", dialect: String = "voltmx-audience") -> NewOutboxEntry {
        NewOutboxEntry(dialect: dialect, upstream: upstream, user: user, operation: operation, payload: "{\"op\":\"\(operation)\"}")
    }

    @Test(arguments: StoreEngine.allCases)
    func theOutboxHandsOutOneEntryPerUserAtATimeInOrder(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let ada = UUID()
            let bob = UUID()
            let now = Date()
            let create = try await store.enqueue(Self.entry(ada, "create"), now: now)
            let update = try await store.enqueue(Self.entry(ada, "update"), now: now)
            let other = try await store.enqueue(Self.entry(bob, "create"), now: now)
            let first = try await store.claimOutbox(now: now, limit: 10, lease: 30, owner: "a")
            #expect(first.map(\.seq) == [create, other])
            #expect(first.first?.payload == "{\"op\":\"create\"}")
            // Leased: not handed out again, and Ada's update waits behind her create.
            #expect(try await store.claimOutbox(now: now, limit: 10, lease: 30, owner: "b").isEmpty)
            try await store.completeOutbox(seq: create)
            #expect(try await store.claimOutbox(now: now, limit: 10, lease: 30, owner: "b").map(\.seq) == [update])
            #expect(try await store.outboxCounts() == ["voltmx-audience": OutboxCounts(pending: 2)])
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func aLapsedLeaseHandsTheEntryOutAgain(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let now = Date()
            let seq = try await store.enqueue(Self.entry(UUID(), "create"), now: now)
            #expect(try await store.claimOutbox(now: now, limit: 1, lease: 5, owner: "dead").map(\.seq) == [seq])
            #expect(try await store.claimOutbox(now: now.addingTimeInterval(6), limit: 1, lease: 5, owner: "b").map(\.seq) == [seq])
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func aDeadInstancesLeasesCanBeReleasedAtOnce(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let now = Date()
            let seq = try await store.enqueue(Self.entry(UUID(), "create"), now: now)
            _ = try await store.claimOutbox(now: now, limit: 1, lease: 60, owner: "host/1/1")
            #expect(try await store.outboxLeaseOwners(now: now) == ["host/1/1"])
            try await store.releaseOutboxLeases(owner: "host/1/1")
            #expect(try await store.outboxLeaseOwners(now: now).isEmpty)
            #expect(try await store.claimOutbox(now: now, limit: 1, lease: 60, owner: "b").map(\.seq) == [seq])
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func aRetriedEntryWaitsForItsTimeAndAFailedOneStopsBlockingTheUser(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let ada = UUID()
            let now = Date()
            let create = try await store.enqueue(Self.entry(ada, "create"), now: now)
            let update = try await store.enqueue(Self.entry(ada, "update"), now: now)
            _ = try await store.claimOutbox(now: now, limit: 10, lease: 30, owner: "a")
            try await store.retryOutbox(seq: create, attempts: 1, next: now.addingTimeInterval(10), error: "503 from new")
            #expect(try await store.claimOutbox(now: now, limit: 10, lease: 30, owner: "a").isEmpty)
            let again = try await store.claimOutbox(now: now.addingTimeInterval(11), limit: 10, lease: 30, owner: "a")
            #expect(again.map(\.seq) == [create])
            #expect(again.first?.attempts == 1)
            #expect(again.first?.lastError == "503 from new")
            try await store.retryOutbox(seq: create, attempts: 2, next: nil, error: "gave up")
            #expect(try await store.claimOutbox(now: now.addingTimeInterval(11), limit: 10, lease: 30, owner: "a").map(\.seq) == [update])
            #expect(try await store.outboxCounts() == ["voltmx-audience": OutboxCounts(pending: 1, failed: 1)])
            let listed = try await store.outboxEntries(dialect: "voltmx-audience", limit: 10)
            #expect(listed.map(\.seq) == [create, update])
            #expect(listed.first?.failed == true)
            #expect(try await store.outboxEntries(dialect: "scim", limit: 10).isEmpty)
        }
    }
}
