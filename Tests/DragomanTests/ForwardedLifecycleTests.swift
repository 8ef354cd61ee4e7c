import DragomanCore
import DragomanTransport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanSCIM
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// Updates and deletes forwarded to a backend in its own dialect, through the id map: a second
/// Dragoman, answering locally, is the backend.
/// Serialized: each test runs two gateways, and all sixteen pairs at once (two stores each, on
/// PostgreSQL a pool each) starve a 2-core machine until test connections time out.
@Suite(.serialized) struct ForwardedLifecycleTests {
    /// How a caller renames a user (given name Augusta), and how its read shows the given name.
    struct Renamer {
        let id: DialectID

        func rename(_ client: any TestClientProtocol, id: String) async throws -> Reply {
            switch self.id {
            case .voltMXAudience: try await client.json(.put, "/api/v1/audience/\(id)", #"{"firstName":"Augusta"}"#)
            case .voltMXAccessManagement: try await client.json(.post, "/api/v1/accessmgmt/users/\(id)/modify", #"{"displayName":"Augusta Lovelace"}"#)
            case .telnessConnect: try await client.json(.put, "/users/\(id)", #"{"name":"Augusta Lovelace"}"#)
            case .scim:
                try await client.json(
                    .patch, "/scim/v2/Users/\(id)",
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"name.givenName","value":"Augusta"}]}"#)
            default: try await client.json(.put, "\(Samples.cccPath)?ServiceUserGuid=\(id)", #"{"firstName":"Augusta"}"#)
            }
        }

        func givenName(_ reply: Reply) -> String? {
            switch id {
            case .voltMXAudience: reply.json["firstName"]?.string
            case .voltMXAccessManagement: reply.json["displayName"]?.string.map { String($0.prefix { $0 != " " }) }
            case .telnessConnect: reply.json["name"]?.string.map { String($0.prefix { $0 != " " }) }
            case .scim: reply.json["name"]?["givenName"]?.string
            default: reply.json["serviceUser"]?["firstName"]?.string
            }
        }
    }

    @Test(arguments: DialectRegistry.standard.ids, DialectRegistry.standard.ids)
    func everyPairForwardsAnUpdateThatTheBackendKeeps(caller: DialectID, backend: DialectID) async throws {
        try await ForwardingTests.withPair(caller: caller, backend: backend) { front, _ in
            let speaker = ForwardingTests.Caller(id: caller)
            let created = try await speaker.create(front, email: "ada@example.com")
            let id = try #require(speaker.createdID(created))
            let renamed = try await Renamer(id: caller).rename(front, id: id)
            #expect(renamed.status == .ok, "\(renamed.text)")
            // The front keeps no copy: this read is the backend's answer.
            let read = try await speaker.read(front, id: id)
            #expect(Renamer(id: caller).givenName(read) == "Augusta", "\(read.text)")
            #expect(speaker.email(read) == "ada@example.com")
        }
    }

    @Test func anUpdateTheBackendRefusesComesBackInTheCallersShape() async throws {
        try await ForwardingTests.withPair(caller: .telnessConnect, backend: .voltMXAudience) { front, back in
            let created = try await front.post("/users", #"{"name":"Ada Lovelace","email":"ada@example.com"}"#)
            let id = try #require(created.json["userId"]?.string)
            #expect(try await back.post("/api/v1/audience", Samples.audience(email: "taken@example.com")).status == .ok)
            let duplicate = try await front.json(.put, "/users/\(id)", #"{"email":"taken@example.com"}"#)
            #expect(duplicate.status == .conflict)
            #expect(duplicate.json["code"]?.string == "USER_ALREADY_EXISTS")
            let invalid = try await front.json(.put, "/users/\(id)", #"{"email":"not-an-address"}"#)
            #expect(invalid.status == .badRequest)
            #expect(invalid.json["details"]?[0]?["property"]?.string == "email")
        }
    }

    @Test func anUpdateOfAnIDTheFrontNeverGaveIsNotFoundInTheCallersShape() async throws {
        try await ForwardingTests.withPair(caller: .voltMXAccessManagement, backend: .telnessConnect) { front, _ in
            let reply = try await front.json(.post, "/api/v1/accessmgmt/users/42/modify", #"{"displayName":"Nobody"}"#)
            #expect(reply.status == .badRequest)
            #expect(reply.json["message"]?.string == "Invalid user ID provided or no user found with provided ID")
        }
    }

    @Test func aFieldTheBackendsUpdateCannotChangeIsRefusedOrDropped() async throws {
        // CCC's UpdateServiceUser has no address.
        try await ForwardingTests.withPair(caller: .telnessConnect, backend: .deliverySlipCCC, lostFields: .reject) { front, _ in
            let created = try await front.post("/users", #"{"name":"Ada Lovelace","email":"ada@example.com"}"#)
            let id = try #require(created.json["userId"]?.string)
            let refused = try await front.json(.put, "/users/\(id)", #"{"email":"new@example.com"}"#)
            #expect(refused.status == .badRequest)
            #expect(refused.json["details"]?[0]?["property"]?.string == "email")
        }
        try await ForwardingTests.withPair(caller: .telnessConnect, backend: .deliverySlipCCC, lostFields: .drop) { front, _ in
            let created = try await front.post("/users", #"{"name":"Ada Lovelace","email":"ada@example.com"}"#)
            let id = try #require(created.json["userId"]?.string)
            let dropped = try await front.json(.put, "/users/\(id)", #"{"name":"Augusta Lovelace","email":"new@example.com"}"#)
            #expect(dropped.status == .ok)
            #expect(dropped.json["email"]?.string == "ada@example.com")
            #expect(dropped.json["name"]?.string == "Augusta Lovelace")
        }
    }

    @Test func aForwardedDeleteRemovesTheBackendsUser() async throws {
        try await ForwardingTests.withPair(caller: .voltMXAudience, backend: .voltMXAudience) { front, back in
            let created = try await front.post("/api/v1/audience", Samples.audience(email: "ada@example.com"))
            let id = try #require(created.json["id"]?.string)
            let deleted = try await front.post("/api/v1/audience/\(id)/delete", "", contentType: nil)
            #expect(deleted.status == .ok)
            #expect(deleted.json["message"]?.string == "User deleted successfully")
            #expect(try await back.get("/api/v1/audience/1").status == .badRequest)
            #expect(try await front.get("/api/v1/audience/\(id)").status == .badRequest)
        }
    }

    @Test func theBackendsRefusalToDeleteAnActiveUserReachesTheCaller() async throws {
        try await ForwardingTests.withPair(caller: .voltMXAudience, backend: .voltMXAccessManagement) { front, _ in
            let created = try await front.post("/api/v1/audience", Samples.audience(email: "ada@example.com"))
            let id = try #require(created.json["id"]?.string)
            let refused = try await front.post("/api/v1/audience/\(id)/delete", "", contentType: nil)
            #expect(refused.status == .badRequest)
            #expect(refused.json["message"]?.string == "Delete is not allowed on active users")
        }
    }

    @Test func aDeleteToABackendWithoutOneIs501() async throws {
        try await ForwardingTests.withPair(caller: .voltMXAudience, backend: .telnessConnect) { front, _ in
            let created = try await front.post("/api/v1/audience", Samples.audience(email: "ada@example.com"))
            let id = try #require(created.json["id"]?.string)
            let reply = try await front.post("/api/v1/audience/\(id)/delete", "", contentType: nil)
            #expect(reply.status == .notImplemented)
            #expect(reply.json["message"]?.string?.contains("telness-connect") == true)
        }
    }

    // MARK: Lists

    @Test func aForwardedListReadsTheBackendsUsersAndMapsTheirIDs() async throws {
        try await ForwardingTests.withPair(caller: .telnessConnect, backend: .voltMXAccessManagement) { front, back in
            #expect(try await front.post("/users", #"{"name":"Ada Lovelace","email":"ada@example.com"}"#).status == .created)
            #expect(try await front.post("/users", #"{"name":"Grace Hopper","email":"grace@example.com"}"#).status == .created)
            // A user the front has never seen: minted an id on first sight.
            #expect(try await back.post("/api/v1/accessmgmt/users", Samples.accessManagement).status == .ok)
            let first = try await front.get("/users?limit=2")
            #expect(first.status == .ok, "\(first.text)")
            #expect(first.json["items"]?.arrayValue?.compactMap { $0["email"]?.string } == ["ada@example.com", "grace@example.com"])
            let cursor = try #require(first.json["pagination"]?["nextCursor"]?.string)
            let second = try await front.get("/users?limit=2&cursor=\(cursor)")
            #expect(second.json["items"]?.arrayValue?.compactMap { $0["email"]?.string } == ["sampleuser@voltmx.com"])
            let minted = try #require(second.json["items"]?[0]?["userId"]?.string)
            #expect(try await front.get("/users/\(minted)").json["email"]?.string == "sampleuser@voltmx.com")
            let again = try await front.get("/users?filter=SAMPLEUSER")
            #expect(again.json["items"]?[0]?["userId"]?.string == minted)
        }
    }

    @Test func aForwardedListFollowsTheBackendsOwnPages() async throws {
        try await ForwardingTests.withPair(caller: .voltMXAccessManagement, backend: .deliverySlipCCC) { front, _ in
            for name in ["ada", "bob", "eve"] {
                let body =
                    #"{"userName":"\#(name)","email":"\#(name)@example.com","password":"Pw123456","displayName":"\#(name.capitalized) Lovelace","selectedPermissionIds":["3"]}"#
                #expect(try await front.post("/api/v1/accessmgmt/users", body).status == .ok)
            }
            let list = try await front.get("/api/v1/accessmgmt/users?pageSize=2&pageNumber=2")
            #expect(list.status == .ok, "\(list.text)")
            #expect(list.json["total"] == .integer(3))
            #expect(list.json["users"]?.arrayValue?.compactMap { $0["email"]?.string } == ["eve@example.com"])
        }
        try await ForwardingTests.withPair(caller: .deliverySlipCCC, backend: .telnessConnect) { front, _ in
            #expect(try await front.post(Samples.cccPath, Samples.ccc).status == .ok)
            let list = try await front.get("\(Samples.cccPath)?Token=lovelace")
            #expect(list.json["totalItems"] == .integer(1))
        }
    }

    @Test func aForwardedListToABackendWithoutOneIs501() async throws {
        try await ForwardingTests.withPair(caller: .telnessConnect, backend: .voltMXAudience) { front, _ in
            let reply = try await front.get("/users")
            #expect(reply.status == .notImplemented)
            #expect(reply.json["code"]?.string == "NOT_IMPLEMENTED")
        }
    }
}
