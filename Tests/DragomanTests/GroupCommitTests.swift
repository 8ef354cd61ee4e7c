import DragomanCore
import DragomanTransport
import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// The SQLite writer commits every write waiting in one transaction: writes grouped together
/// keep each create's rules (one holder per key, reads see only committed rows), and one
/// failing write never takes the others down.
@Suite struct GroupCommitTests {
    static func openStore() async throws -> SQLiteUserStore {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-group-\(UUID().uuidString)/s.sqlite").path
        return try await SQLiteUserStore.open(path: path, logger: .init(label: "test"))
    }

    /// Holds the writer in a transaction until `release` is yielded, so the next writes queue
    /// up and are committed as one group.
    static func holdWriter(_ store: SQLiteUserStore) async -> (task: Task<Void, any Error>, release: AsyncStream<Void>.Continuation) {
        let (held, heldSignal) = AsyncStream<Void>.makeStream()
        let (release, releaseSignal) = AsyncStream<Void>.makeStream()
        let task = Task {
            try await store.transaction { _ in
                heldSignal.yield()
                for await _ in release { break }
            }
        }
        for await _ in held { break }
        return (task, releaseSignal)
    }

    static func waitUntil(_ store: SQLiteUserStore, hasWaiting count: Int) async throws {
        for _ in 0..<2000 where store.writer.waiting < count { try await Task.sleep(for: .milliseconds(1)) }
        #expect(store.writer.waiting == count)
    }

    @Test func writesWaitingTogetherAreCommittedAsOneGroupAndAllSucceed() async throws {
        let store = try await Self.openStore()
        let (holder, release) = await Self.holdWriter(store)
        let inserts = (0..<50).map { index in
            Task { try await store.insert(StoreConformanceTests.record("u\(index)@example.com"), uniqueKeys: [.email]) }
        }
        try await Self.waitUntil(store, hasWaiting: 50)
        release.yield()
        try await holder.value
        var serials: Set<Int64> = []
        for insert in inserts {
            guard case .created(let user) = try await insert.value else {
                Issue.record("not created")
                continue
            }
            serials.insert(user.id.serial)
            #expect(try await store.user(.uuid(user.id.uuid)) == user)
        }
        try await store.close()
        #expect(serials.count == 50)
    }

    @Test func aGroupHoldingOneAddressTwiceCreatesOneAndNamesItToTheOther() async throws {
        let store = try await Self.openStore()
        let (holder, release) = await Self.holdWriter(store)
        let first = Task { try await store.insert(StoreConformanceTests.record("twice@example.com"), uniqueKeys: [.email]) }
        try await Self.waitUntil(store, hasWaiting: 1)
        let second = Task { try await store.insert(StoreConformanceTests.record("TWICE@example.com"), uniqueKeys: [.email]) }
        try await Self.waitUntil(store, hasWaiting: 2)
        release.yield()
        try await holder.value
        let winner = try await first.value
        let loser = try await second.value
        try await store.close()
        guard case .created(let created) = winner else {
            Issue.record("the first was not created")
            return
        }
        guard case .duplicate(let existing, let key) = loser else {
            Issue.record("the second was not refused")
            return
        }
        #expect(existing == created)
        #expect(key == .email)
    }

    @Test func aGroupMemberRefusedByTheDatabaseLeavesItsKeysToTheNextOne() async throws {
        let store = try await Self.openStore()
        _ = try await store.insert(StoreConformanceTests.record("taken@example.com", userName: "ada"), uniqueKeys: [.email, .userName])
        let (holder, release) = await Self.holdWriter(store)
        // The first holds a free address and a taken user name; the second wants the same
        // address with a free user name, and must get it once the first is refused.
        let first = Task { try await store.insert(StoreConformanceTests.record("shared@example.com", userName: "ada"), uniqueKeys: [.email, .userName]) }
        try await Self.waitUntil(store, hasWaiting: 1)
        let second = Task { try await store.insert(StoreConformanceTests.record("shared@example.com", userName: "grace"), uniqueKeys: [.email, .userName]) }
        try await Self.waitUntil(store, hasWaiting: 2)
        release.yield()
        try await holder.value
        let refused = try await first.value
        let created = try await second.value
        try await store.close()
        guard case .duplicate(let existing, let key) = refused else {
            Issue.record("the first was not refused")
            return
        }
        #expect(key == .userName)
        #expect(existing.profile.email == "taken@example.com")
        guard case .created(let user) = created else {
            Issue.record("the second was not created")
            return
        }
        #expect(user.profile.userName == "grace")
    }

    @Test func aFailingWriteIsRolledBackAloneAndNeverSeenWhileTheOthersCommit() async throws {
        let store = try await Self.openStore()
        let good = StoreConformanceTests.record("good@example.com")
        let bad = StoreConformanceTests.record("bad@example.com")
        let (holder, release) = await Self.holdWriter(store)
        let (inserted, insertedSignal) = AsyncStream<Void>.makeStream()
        let (proceed, proceedSignal) = AsyncStream<Void>.makeStream()
        let attempts = NIOLockedValueBox(0)
        let goodInsert = Task { try await store.insert(good, uniqueKeys: [.email]) }
        try await Self.waitUntil(store, hasWaiting: 1)
        let badWrite = Task {
            try await store.transaction { connection in
                try connection.query(
                    "INSERT INTO users (uuid, realm, email_key, document, created_at) VALUES (?, ?, ?, ?, 0)",
                    [.text(bad.uuid.uuidString), .text(bad.realm), .text("bad@example.com"), .text(StoredDocument(bad).json())]
                )
                if attempts.withLockedValue({
                    $0 += 1
                    return $0
                }) == 1 {
                    insertedSignal.yield()
                    for await _ in proceed { break }
                }
                throw StoreError.corruptRow
            }
        }
        try await Self.waitUntil(store, hasWaiting: 2)
        release.yield()
        try await holder.value
        for await _ in inserted { break }
        // The bad row is written but its group is not committed: no reader sees it.
        let during = try await store.user(.uuid(bad.uuid))
        proceedSignal.yield()
        await #expect(throws: StoreError.self) { try await badWrite.value }
        guard case .created(let user) = try await goodInsert.value else {
            Issue.record("the good write failed with the bad one")
            return
        }
        let goodAfter = try await store.user(.uuid(user.id.uuid))
        let badAfter = try await store.user(.uuid(bad.uuid))
        try await store.close()
        #expect(during == nil)
        #expect(goodAfter?.profile.email == "good@example.com")
        #expect(badAfter == nil)
        #expect(attempts.withLockedValue { $0 } == 2)
    }

    @Test func idMappingsWaitingTogetherGetOneIDPerBackendID() async throws {
        let store = try await Self.openStore()
        let (holder, release) = await Self.holdWriter(store)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let maps = (0..<20).map { index in
            Task { try await store.map(upstream: index % 2 == 0 ? "a" : "b", backendID: "id-\(index % 4)", now: now) }
        }
        try await Self.waitUntil(store, hasWaiting: 20)
        release.yield()
        try await holder.value
        var byBackend: [String: Set<Int64>] = [:]
        for (index, map) in maps.enumerated() {
            let mapped = try await map.value
            #expect(mapped.backendID == "id-\(index % 4)")
            byBackend["\(index % 2)/\(mapped.backendID)", default: []].insert(mapped.serial)
        }
        try await store.close()
        #expect(byBackend.count == 4)
        #expect(byBackend.values.allSatisfy { $0.count == 1 })
    }

    @Test func writesAfterCloseAreRefused() async throws {
        let store = try await Self.openStore()
        try await store.close()
        await #expect(throws: StoreError.self) {
            _ = try await store.writer.write { _ in 1 }
        }
    }
}
