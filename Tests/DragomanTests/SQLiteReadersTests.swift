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

/// The SQLite store's readers: connections of a pool used on the caller's thread, with their
/// statements prepared once, that see only committed rows, open another connection rather
/// than wait, and refuse reads once closed.
@Suite struct SQLiteReadersTests {
    @Test func concurrentLookupsFromManyTasksEachFindTheirOwnUser() async throws {
        let store = try await GroupCommitTests.openStore()
        var users: [User] = []
        for index in 0..<40 {
            guard case .created(let user) = try await store.insert(StoreConformanceTests.record("r\(index)@example.com"), uniqueKeys: [.email]) else {
                Issue.record("not created")
                continue
            }
            users.append(user)
        }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for round in 0..<10 {
                for user in users {
                    group.addTask {
                        let lookup: UserLookup = round % 2 == 0 ? .serial(user.id.serial) : .uuid(user.id.uuid)
                        return try await store.user(lookup) == user
                    }
                }
            }
            for try await matched in group { #expect(matched) }
        }
        #expect(store.readers.idleCount <= SQLiteReaders.maxIdle)
        try await store.close()
    }

    @Test func aReadWhileEveryConnectionIsBusyOpensAnotherInsteadOfWaiting() async throws {
        let store = try await GroupCommitTests.openStore()
        guard case .created(let user) = try await store.insert(StoreConformanceTests.record("busy@example.com"), uniqueKeys: [.email]) else {
            Issue.record("not created")
            return
        }
        let depth = SQLiteReaders.maxIdle + 2
        func nested(_ level: Int) throws -> Int {
            try store.readers.read { reader in
                let found = try reader.query("SELECT serial FROM users WHERE uuid = ?", [.text(user.id.uuid.uuidString)]).first?.column("serial")?.integer
                #expect(found == Int(user.id.serial))
                return level == depth ? 1 : 1 + (try nested(level + 1))
            }
        }
        #expect(try nested(1) == depth)
        #expect(store.readers.idleCount == SQLiteReaders.maxIdle)
        try await store.close()
    }

    @Test func aStatementSQLiteRefusesIsAnErrorWithSQLitesMessage() async throws {
        let store = try await GroupCommitTests.openStore()
        #expect {
            try store.readers.read { try $0.query("SELECT missing FROM nowhere") }
        } throws: { error in
            (error as? SQLiteDatabaseError)?.message.contains("no such table") == true
        }
        // The pool still reads after the failure.
        #expect(try store.readers.read { try $0.query("SELECT 1 AS one") }.first?.column("one")?.integer == 1)
        try await store.close()
    }

    @Test func readersRefuseWritesEvenThroughTheirOwnStatements() async throws {
        let store = try await GroupCommitTests.openStore()
        #expect(throws: SQLiteDatabaseError.self) {
            try store.readers.read { try $0.query("DELETE FROM users") }
        }
        try await store.close()
    }

    @Test func statementsBeyondThePreparedLimitStillRunAndAreNotKept() async throws {
        let store = try await GroupCommitTests.openStore()
        let limit = SQLiteDatabaseConnection.maxPrepared
        try store.readers.read { (reader: SQLiteDatabaseConnection) throws in
            // Distinct texts, more than a connection keeps prepared; each answers its own value,
            // the first ones again from their kept statements, the last ones prepared afresh.
            for pass in 0..<2 {
                for value in 0..<(limit + 10) {
                    #expect(try reader.query("SELECT \(value) AS v").first?.column("v")?.integer == value, "pass \(pass)")
                }
            }
            #expect(reader.preparedCount <= limit)
        }
        try await store.close()
    }

    @Test func theWriterKeepsItsStatementsPreparedWithinTheLimit() async throws {
        let store = try await GroupCommitTests.openStore()
        for index in 0..<(SQLiteDatabaseConnection.maxPrepared + 5) {
            _ = try await store.transaction { connection in try connection.query("SELECT \(index) AS v") }
            guard case .created = try await store.insert(StoreConformanceTests.record("p\(index)@example.com"), uniqueKeys: [.email]) else {
                Issue.record("not created")
                continue
            }
        }
        let kept = try await store.transaction { connection in connection.preparedCount }
        #expect(kept <= SQLiteDatabaseConnection.maxPrepared)
        let last = "p\(SQLiteDatabaseConnection.maxPrepared + 4)@example.com"
        #expect(try await store.user(.email(realm: Realm.shared, address: last))?.profile.email == last)
        try await store.close()
    }

    @Test func aClosedStoreRefusesReads() async throws {
        let store = try await GroupCommitTests.openStore()
        try await store.close()
        await #expect(throws: StoreError.self) { try await store.user(.serial(1)) }
    }

    /// A key whose record decides the answer is answered from committed rows while the writer
    /// is busy; a new key waits for the writer, as every claim did before.
    @Test func replaysAndMismatchesAreAnsweredWithoutWaitingForTheWriter() async throws {
        let store = try await GroupCommitTests.openStore()
        guard case .claimed(let claim) = try await store.claim(StoreConformanceTests.keyed(), now: Date()) else {
            Issue.record("not claimed")
            return
        }
        try await store.complete(claim, response: StoreConformanceTests.answer, expiresAt: Date().addingTimeInterval(60))
        let (holder, release) = await GroupCommitTests.holdWriter(store)
        #expect(try await store.claim(StoreConformanceTests.keyed(), now: Date()) == .replay(StoreConformanceTests.answer))
        #expect(try await store.claim(StoreConformanceTests.keyed(fingerprint: "f2"), now: Date()) == .mismatch)
        let fresh = Task { try await store.claim(StoreConformanceTests.keyed("k2"), now: Date()) }
        try await GroupCommitTests.waitUntil(store, hasWaiting: 1)
        release.yield()
        try await holder.value
        guard case .claimed = try await fresh.value else {
            Issue.record("the new key was not claimed")
            return
        }
        try await store.close()
    }
}
