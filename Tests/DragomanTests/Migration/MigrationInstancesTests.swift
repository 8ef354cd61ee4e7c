import DragomanCore
import DragomanTransport
import Foundation
import HummingbirdTesting
import Testing

@testable import Dragoman
@testable import DragomanDialectKit
@testable import DragomanStore

/// Two gateways on one PostgreSQL store, in a split: where a user lives is the same answer on
/// both, and one outbox serves both.
@Suite(.serialized) struct MigrationInstancesTests {
    @Test func twoInstancesOnOneStoreAgreeWhereAUserLivesAndShareTheOutbox() async throws {
        let location = TestPostgres.freshLocation()
        try await TestGateway(engine: .sqlite).run { old in
            try await TestGateway(engine: .sqlite).run { new in
                let old = Harness.upstream("old", port: old.port!, dialect: .telnessConnect)
                let new = Harness.upstream("new", port: new.port!, dialect: .scim)
                // The first places every new user on the candidate; the second none.
                var first = Harness.front(caller: .telnessConnect, old: old, new: new, plan: Harness.plan(.split) { $0.percent = 100 }, engine: .postgres)
                first.configuration.storeURL = location
                var second = Harness.front(caller: .telnessConnect, old: old, new: new, plan: Harness.plan(.split) { $0.percent = 0 }, engine: .postgres)
                second.configuration.storeURL = location
                let other = second
                try await first.run { a in
                    try await other.run { b in
                        let created = try await a.post("/users", #"{"name":"Ada Lovelace","email":"ada@example.com"}"#)
                        let id = try #require(created.json["userId"]?.string)
                        // Read, changed and listed through the other instance: still the candidate's user.
                        let read = try await b.get("/users/\(id)")
                        #expect(read.status == .ok, "\(read.text)")
                        #expect(read.json["userId"]?.string == id)
                        let renamed = try await b.json(.put, "/users/\(id)", #"{"name":"Augusta Lovelace"}"#)
                        #expect(renamed.status == .ok, "\(renamed.text)")
                        // The mirrored create and rename (to the old side) go through one shared outbox.
                        let state = try await Harness.waitFor(b, .telnessConnect, "the shared outbox to drain") {
                            Harness.pending($0) == 0 && $0["users"]?["old"]?["held"]?.int == 1
                        }
                        #expect(state["users"]?["new"]?["living"]?.int == 1)
                        #expect(state["outbox"]?["failed"]?.int == 0)
                        // Held by both sides, listed once, as the side it lives on has it.
                        let listed = try await b.get("/users")
                        #expect(listed.json["items"]?.array.count == 1, "\(listed.status) \(listed.text)")
                        #expect(listed.json["items"]?[0]?["userId"]?.string == id)
                        #expect(try await a.get("/users/\(id)").json["name"]?.string == "Augusta Lovelace")
                    }
                }
            }
        }
    }

    typealias Harness = MigrationHarness
}
