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

/// Update, delete and list hold the same promises on both engines.
@Suite struct StoreLifecycleTests {
    static func created(_ store: any GatewayStore, _ email: String, realm: String = Realm.shared, name: String = "Ada Lovelace") async throws -> User {
        var record = StoreConformanceTests.record(email, realm: realm)
        record.profile.displayName = name
        guard case .created(let user) = try await store.insert(record, uniqueKeys: [.email]) else { throw LifecycleTestError.notCreated }
        return user
    }

    @Test(arguments: StoreEngine.allCases)
    func anUpdateIsReadBackByEveryLookup(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            var user = try await Self.created(store, "ada@x.com")
            user.profile.email = "Ada.New@X.com"
            user.profile.phone = "+4712345678"
            user.updatedAt = Date(timeIntervalSince1970: 1_800_000_000)
            #expect(try await store.update(user, uniqueKeys: [.email]) == .updated(user))
            #expect(try await store.user(.uuid(user.id.uuid)) == user)
            #expect(try await store.user(.email(realm: Realm.shared, address: "ada.new@x.com")) == user)
            #expect(try await store.user(.email(realm: Realm.shared, address: "ada@x.com")) == nil)
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func anUpdateToAnotherUsersAddressIsADuplicateAndChangesNothing(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let ada = try await Self.created(store, "ada@x.com")
            var bob = try await Self.created(store, "bob@x.com")
            let before = bob
            bob.profile.email = "ADA@x.com"
            #expect(try await store.update(bob, uniqueKeys: [.email]) == .duplicate(existing: ada, key: .email))
            #expect(try await store.user(.uuid(bob.id.uuid)) == before)
            // Keeping one's own address is not a duplicate.
            var same = ada
            same.profile.displayName = "Ada King"
            #expect(try await store.update(same, uniqueKeys: [.email]) == .updated(same))
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func updatingOrDeletingAnUnknownUserSaysSo(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            var ghost = try await Self.created(store, "ghost@x.com")
            #expect(try await store.delete(ghost.id.uuid))
            #expect(try await store.delete(ghost.id.uuid) == false)
            ghost.profile.displayName = "Still here?"
            #expect(try await store.update(ghost, uniqueKeys: [.email]) == .notFound)
            #expect(try await store.user(.serial(ghost.id.serial)) == nil)
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func aDeletedUsersAddressIsFreeAgain(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let first = try await Self.created(store, "reuse@x.com")
            #expect(try await store.delete(first.id.uuid))
            let second = try await Self.created(store, "reuse@x.com")
            #expect(second.id != first.id)
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func cursorPagesStayStableWhileUsersAreAdded(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            var made: [User] = []
            for index in 0..<5 { made.append(try await Self.created(store, "u\(index)@x.com")) }
            let first = try await store.list(UserListQuery(limit: 2))
            #expect(first.users == Array(made[0..<2]))
            #expect(first.total == 5)
            #expect(first.hasMore)
            made.append(try await Self.created(store, "late@x.com"))
            let second = try await store.list(UserListQuery(afterSerial: first.users.last?.id.serial, limit: 2))
            #expect(second.users == Array(made[2..<4]))
            let third = try await store.list(UserListQuery(afterSerial: second.users.last?.id.serial, limit: 2))
            #expect(third.users == Array(made[4..<6]))
            #expect(third.hasMore == false)
            #expect(third.total == 6)
            let offset = try await store.list(UserListQuery(offset: 4, limit: 10))
            #expect(offset.users == Array(made[4..<6]))
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func listsFilterByRealmAndByTextCaseInsensitively(engine: StoreEngine) async throws {
        try await engine.withStore { store in
            let ada = try await Self.created(store, "ada@x.com", name: "Ada Lovelace")
            let grace = try await Self.created(store, "grace@navy.mil", realm: "ccc:1", name: "Grace Hopper")
            let percent = try await Self.created(store, "p@x.com", name: "100% Sure")
            #expect(try await store.list(UserListQuery(realms: ["ccc:1"], limit: 10)).users == [grace])
            #expect(try await store.list(UserListQuery(realms: [Realm.shared, "ccc:1"], limit: 10)).users == [ada, grace, percent])
            #expect(try await store.list(UserListQuery(text: "LOVE", limit: 10)).users == [ada])
            #expect(try await store.list(UserListQuery(text: "navy", limit: 10)).users == [grace])
            let wildcard = try await store.list(UserListQuery(text: "%", limit: 10))
            #expect(wildcard.users == [percent])
            #expect(wildcard.total == 1)
            #expect(try await store.list(UserListQuery(text: "_", limit: 10)).users.isEmpty)
        }
    }
}

enum LifecycleTestError: Error { case notCreated }
