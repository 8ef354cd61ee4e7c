import DragomanCore
import DragomanTransport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

extension TestClientProtocol {
    /// Sends `body` as JSON with `method`.
    func json(_ method: HTTPRequest.Method, _ uri: String, _ body: String) async throws -> Reply {
        try await send(uri, method: method, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
    }
}

/// Update, delete and list in each dialect's own shape, answered locally; every change seen in
/// every dialect.
@Suite struct LifecycleTests {
    /// The Telness id (UUID) of the user with `email`, found through the Telness list.
    static func telnessID(_ client: any TestClientProtocol, email: String) async throws -> String {
        let list = try await client.get("/users?filter=\(email)")
        return try #require(list.json["items"]?[0]?["userId"]?.string)
    }

    // MARK: Volt MX audience

    @Test func audienceModifyChangesTheMemberAndEveryDialectSeesIt() async throws {
        try await TestGateway().run { client in
            #expect(try await client.post("/api/v1/audience", Samples.audience).status == .ok)
            let modify = #"{"firstName":"Lata","lastName":"Ganesh","country":"India","email":"lata@voltmx.com","smsSubscription":false}"#
            let reply = try await client.json(.put, "/api/v1/audience/1", modify)
            #expect(reply.status == .ok)
            #expect(reply.json["id"]?.string == "1")
            #expect(reply.json["message"]?.string == "Details updated successfully")
            let read = try await client.get("/api/v1/audience/1")
            #expect(read.json["firstName"]?.string == "Lata")
            #expect(read.json["email"]?.string == "lata@voltmx.com")
            #expect(read.json["smsSubscription"] == .bool(false))
            #expect(read.json["voiceSubscription"] == .bool(true))
            let id = try await Self.telnessID(client, email: "lata@voltmx.com")
            let telness = try await client.get("/users/\(id)")
            #expect(telness.json["name"]?.string == "Lata Ganesh")
        }
    }

    @Test func audienceModifyKeepsTheRulesOfCreate() async throws {
        try await TestGateway().run { client in
            #expect(try await client.post("/api/v1/audience", Samples.audience).status == .ok)
            #expect(try await client.post("/api/v1/audience", Samples.audience(email: "other@voltmx.com")).status == .ok)
            let invalid = try await client.json(.put, "/api/v1/audience/1", #"{"email":"not-an-address","mobileNumber":"12"}"#)
            #expect(invalid.status == .badRequest)
            let attributes = invalid.json["errors"]?.arrayValue?.compactMap { $0["attribute"]?.string } ?? []
            #expect(Set(attributes) == ["email", "mobileNumber"])
            let duplicate = try await client.json(.put, "/api/v1/audience/1", #"{"email":"OTHER@voltmx.com"}"#)
            #expect(duplicate.status == .badRequest)
            #expect(duplicate.json["id"]?.string == "2")
            let unknown = try await client.json(.put, "/api/v1/audience/99", #"{"firstName":"Nobody"}"#)
            #expect(unknown.status == .badRequest)
            #expect(unknown.json["message"]?.string?.hasPrefix("Invalid Audience Member ID") == true)
            let unchanged = try await client.get("/api/v1/audience/1")
            #expect(unchanged.json["email"]?.string == "latha.ganesh@voltmx.com")
        }
    }

    @Test func audienceDeleteRemovesTheMemberFromEveryDialect() async throws {
        try await TestGateway().run { client in
            #expect(try await client.post("/api/v1/audience", Samples.audience).status == .ok)
            let id = try await Self.telnessID(client, email: "latha.ganesh@voltmx.com")
            let deleted = try await client.post("/api/v1/audience/1/delete", "", contentType: nil)
            #expect(deleted.status == .ok)
            #expect(deleted.json == .object(["id": .string("1"), "message": .string("User deleted successfully")]))
            #expect(try await client.get("/api/v1/audience/1").status == .badRequest)
            #expect(try await client.get("/users/\(id)").status == .notFound)
            let again = try await client.post("/kpns/api/v1/audience/1/delete", "", contentType: nil)
            #expect(again.status == .badRequest)
            // The address is free again.
            #expect(try await client.post("/api/v1/audience", Samples.audience).status == .ok)
        }
    }

    // MARK: Volt MX access management

    @Test func accessManagementListsEveryUserWithTheTotalAndPages() async throws {
        try await TestGateway().run { client in
            #expect(try await client.post("/api/v1/accessmgmt/users", Samples.accessManagement).status == .ok)
            #expect(try await client.post("/users", Samples.telness).status == .created)
            #expect(try await client.post("/api/v1/audience", Samples.audience).status == .ok)
            let all = try await client.get("/api/v1/accessmgmt/users")
            #expect(all.status == .ok)
            #expect(all.json["total"] == .integer(3))
            #expect(all.json["users"]?.arrayValue?.compactMap { $0["id"] } == [.integer(1), .integer(2), .integer(3)])
            #expect(all.json["users"]?[0]?["userName"]?.string == "EngagementServicesUser")
            let page = try await client.get("/api/v1/accessmgmt/users?pageNumber=2&pageSize=2")
            #expect(page.json["total"] == .integer(3))
            #expect(page.json["users"]?.arrayValue?.compactMap { $0["id"] } == [.integer(3)])
            let bad = try await client.get("/api/v1/accessmgmt/users?pageSize=0")
            #expect(bad.status == .badRequest)
            #expect(bad.json["message"]?.string?.contains("pageSize") == true)
        }
    }

    @Test func accessManagementDeletesOnlyUsersThatAreNotActive() async throws {
        try await TestGateway().run { client in
            #expect(try await client.post("/api/v1/accessmgmt/users", Samples.accessManagement).status == .ok)
            let refused = try await client.post("/api/v1/accessmgmt/users/1/delete", "", contentType: nil)
            #expect(refused.status == .badRequest)
            #expect(refused.json["message"]?.string == "Delete is not allowed on active users")
            let modify = try await client.json(.post, "/api/v1/accessmgmt/users/1/modify", #"{"activeFlag":"false","displayName":"Retired"}"#)
            #expect(modify.status == .ok)
            #expect(modify.json["message"]?.string == "Details updated successfully")
            let read = try await client.get("/api/v1/accessmgmt/users/1")
            #expect(read.json["activeFlag"] == .bool(false))
            #expect(read.json["displayName"]?.string == "Retired")
            let deleted = try await client.post("/api/v1/accessmgmt/users/1/delete", "", contentType: nil)
            #expect(deleted.status == .ok)
            #expect(deleted.json["message"]?.string == "User deleted successfully ")
            #expect(deleted.json["id"]?.string == "1")
            let unknown = try await client.post("/api/v1/accessmgmt/users/1/delete", "", contentType: nil)
            #expect(unknown.json["message"]?.string == "Invalid user ID provided or no user found with provided ID")
        }
    }

    @Test func accessManagementModifyRefusesATakenUserName() async throws {
        try await TestGateway().run { client in
            #expect(try await client.post("/api/v1/accessmgmt/users", Samples.accessManagement).status == .ok)
            let second = Samples.accessManagement.replacingOccurrences(
                of: "EngagementServicesUser\",\n\"email\": \"sampleuser", with: "Second\",\n\"email\": \"second")
            #expect(try await client.post("/api/v1/accessmgmt/users", second).status == .ok)
            let taken = try await client.json(.post, "/api/v1/accessmgmt/users/2/modify", #"{"userName":"engagementservicesuser"}"#)
            #expect(taken.status == .badRequest)
            #expect(taken.json["message"]?.string == "User already exists with this user ID")
        }
    }

    // MARK: Telness

    @Test func telnessListPagesWithACursorWhileUsersAreAdded() async throws {
        try await TestGateway().run { client in
            for index in 0..<3 {
                #expect(try await client.post("/users", #"{"name":"User \#(index)","email":"u\#(index)@example.com"}"#).status == .created)
            }
            let first = try await client.get("/users?limit=2")
            #expect(first.status == .ok)
            #expect(first.json["items"]?.arrayValue?.compactMap { $0["email"]?.string } == ["u0@example.com", "u1@example.com"])
            let cursor = try #require(first.json["pagination"]?["nextCursor"]?.string)
            #expect(try await client.post("/users", #"{"name":"Late","email":"late@example.com"}"#).status == .created)
            let second = try await client.get("/users?limit=2&cursor=\(cursor)")
            #expect(second.json["items"]?.arrayValue?.compactMap { $0["email"]?.string } == ["u2@example.com", "late@example.com"])
            #expect(second.json["pagination"]?["nextCursor"] == .null)
        }
    }

    @Test func telnessListFiltersAndRefusesBadParameters() async throws {
        try await TestGateway().run { client in
            #expect(try await client.post("/users", Samples.telness).status == .created)
            #expect(try await client.post("/users", #"{"name":"Jane Roe","email":"jane@example.com"}"#).status == .created)
            let filtered = try await client.get("/users?filter=DOE")
            #expect(filtered.json["items"]?.arrayValue?.count == 1)
            let customers = try await client.get("/users?customerId=acme")
            #expect(customers.status == .ok)
            #expect(customers.json["items"] == .array([]))
            for bad in ["limit=0", "limit=1001", "limit=ten", "cursor=nonsense"] {
                let reply = try await client.get("/users?\(bad)")
                #expect(reply.status == .badRequest, "\(bad)")
                #expect(reply.json["details"]?[0]?["property"]?.string == String(bad.prefix { $0 != "=" }))
            }
        }
    }

    @Test func telnessPutChangesOnlyTheFieldsSent() async throws {
        try await TestGateway().run { client in
            let created = try await client.post("/users", Samples.telness)
            let id = try #require(created.json["userId"]?.string)
            let reply = try await client.json(.put, "/users/\(id)", #"{"name":"Johnny Doe"}"#)
            #expect(reply.status == .ok)
            #expect(reply.json["name"]?.string == "Johnny Doe")
            #expect(reply.json["email"]?.string == "john.doe@example.com")
            #expect(reply.json["metadata"]?["team"]?.string == "sales")
            #expect(reply.json["createdAt"] == created.json["createdAt"])
            let invalid = try await client.json(.put, "/users/\(id)", #"{"msisdn":"123"}"#)
            #expect(invalid.status == .badRequest)
            #expect(invalid.json["details"]?[0]?["property"]?.string == "msisdn")
            let unknown = try await client.json(.put, "/users/\(UUID().uuidString)", #"{"name":"Nobody"}"#)
            #expect(unknown.status == .notFound)
            #expect(try await client.post("/users", #"{"name":"Jane Roe","email":"jane@example.com"}"#).status == .created)
            let duplicate = try await client.json(.put, "/users/\(id)", #"{"email":"JANE@example.com"}"#)
            #expect(duplicate.status == .conflict)
            #expect(duplicate.json["code"]?.string == "USER_ALREADY_EXISTS")
        }
    }

    // MARK: CCC

    static let ccc = Samples.cccPath

    @Test func cccUpdateServiceUserChangesOnlyTheFieldsSent() async throws {
        try await TestGateway().run { client in
            let guid = try #require(try await client.post(Self.ccc, Samples.ccc).json["serviceUserGuid"]?.string)
            let body = #"{"firstName":"Augusta","password":"ignored","preRegister":true,"defaultSecure":"Always"}"#
            let reply = try await client.json(.put, "\(Self.ccc)?ServiceUserGuid=\(guid)", body)
            #expect(reply.status == .ok)
            let user = reply.json["serviceUser"]
            #expect(user?["firstName"]?.string == "Augusta")
            #expect(user?["lastName"]?.string == "Lovelace")
            #expect(user?["emailAddress"]?.string == "ada@example.com")
            #expect(user?["defaultSecure"]?.string == "Always")
            #expect(user?["blacklistMode"]?.string == "SecureOnly")
            let byEmail = try await client.json(.put, "\(Self.ccc)?EmailAddress=ada@example.com", #"{"language":"fr"}"#)
            #expect(byEmail.json["serviceUser"]?["language"]?.string == "fr")
        }
    }

    @Test func cccUpdateThroughThePredefinedRouteTakesItsIdentifiersFromTheBody() async throws {
        try await TestGateway().run { client in
            let guid = try #require(try await client.post(Self.ccc, Samples.ccc).json["serviceUserGuid"]?.string)
            let body = #"{"serviceGuid":"\#(Samples.service)","serviceUserGuid":"\#(guid)","lastName":"King"}"#
            let reply = try await client.json(.put, "/api/UpdateServiceUser", body)
            #expect(reply.status == .ok)
            #expect(reply.json["serviceUser"]?["lastName"]?.string == "King")
        }
    }

    @Test func cccUpdateErrorsAreServiceStacks() async throws {
        try await TestGateway().run { client in
            let guid = try #require(try await client.post(Self.ccc, Samples.ccc).json["serviceUserGuid"]?.string)
            let invalid = try await client.json(.put, "\(Self.ccc)?ServiceUserGuid=\(guid)", #"{"language":"xx","blacklistMode":"Sometimes"}"#)
            #expect(invalid.status == .badRequest)
            let fields = invalid.json["responseStatus"]?["errors"]?.arrayValue?.compactMap { $0["fieldName"]?.string } ?? []
            #expect(Set(fields) == ["Language", "BlacklistMode"])
            let otherService = "\(Samples.cccPath.replacingOccurrences(of: Samples.service, with: "11111111111111111111111111111111"))?ServiceUserGuid=\(guid)"
            let unknown = try await client.json(.put, otherService, #"{"firstName":"X"}"#)
            #expect(unknown.status == .notFound)
            let noTarget = try await client.json(.put, Self.ccc, #"{"firstName":"X"}"#)
            #expect(noTarget.status == .badRequest)
            #expect(noTarget.json["responseStatus"]?["errors"]?[0]?["fieldName"]?.string == "ServiceUserGuid")
        }
    }

    @Test func cccGetServiceUsersPagesTheServicesUsers() async throws {
        try await TestGateway().run { client in
            #expect(try await client.post(Self.ccc, Samples.ccc).status == .ok)
            #expect(try await client.post(Self.ccc, Samples.ccc.replacingOccurrences(of: "ada@", with: "bob@")).status == .ok)
            #expect(try await client.post("/users", Samples.telness).status == .created)
            let other = Samples.cccPath.replacingOccurrences(of: Samples.service, with: "11111111111111111111111111111111")
            #expect(try await client.post(other, Samples.ccc.replacingOccurrences(of: "ada@", with: "eve@")).status == .ok)
            let page = try await client.get("\(Self.ccc)?PageSize=2&Page=2")
            #expect(page.status == .ok)
            #expect(page.json["totalItems"] == .integer(3))
            #expect(page.json["totalPages"] == .integer(2))
            #expect(page.json["currentPage"] == .integer(2))
            #expect(page.json["pageSize"] == .integer(2))
            #expect(page.json["results"]?.arrayValue?.compactMap { $0["emailAddress"]?.string } == ["john.doe@example.com"])
            let guests = try await client.get("/api/GetServiceUsers?ServiceGuid=\(Samples.service)&ServiceUserGroupType=guest")
            #expect(guests.json["totalItems"] == .integer(2))
            let bad = try await client.get("\(Self.ccc)?PageSize=5000")
            #expect(bad.status == .badRequest)
            #expect(bad.json["responseStatus"]?["errors"]?[0]?["fieldName"]?.string == "PageSize")
        }
    }

    @Test func cccSearchServiceUsersFindsByTokenAcrossServices() async throws {
        try await TestGateway().run { client in
            #expect(try await client.post(Self.ccc, Samples.ccc).status == .ok)
            let other = Samples.cccPath.replacingOccurrences(of: Samples.service, with: "11111111111111111111111111111111")
            #expect(try await client.post(other, Samples.ccc.replacingOccurrences(of: "ada@", with: "ada.l@")).status == .ok)
            let all = try await client.get("/api/services/users?Token=LOVELACE")
            #expect(all.json["totalItems"] == .integer(2))
            let one = try await client.get("/api/SearchServiceUsers?Token=lovelace&ServiceGuid=\(Samples.service)")
            #expect(one.json["totalItems"] == .integer(1))
            let scoped = try await client.get("/api/services/users?Token=ada&CollectionGuid=\(Samples.service)")
            #expect(scoped.status == .badRequest)
            #expect(scoped.json["responseStatus"]?["errors"]?[0]?["fieldName"]?.string == "CollectionGuid")
        }
    }

    @Test func cccHasNoDeleteAsTheVendorDocumentsNone() async throws {
        try await TestGateway().run { client in
            let reply = try await client.send("/api/DeleteServiceUser", method: .delete, headers: [:], body: nil)
            #expect(reply.status == .methodNotAllowed)
            #expect(reply.json["responseStatus"]?["errorCode"]?.string == "NotImplementedException")
        }
    }

    // MARK: Across dialects

    @Test func aCCCUpdateOfAUserCreatedThroughTelnessShowsInTelness() async throws {
        try await TestGateway().run { client in
            let created = try await client.post("/users", Samples.telness)
            let id = try #require(created.json["userId"]?.string)
            let guid = id.replacingOccurrences(of: "-", with: "")
            let reply = try await client.json(.put, "\(Self.ccc)?ServiceUserGuid=\(guid)", #"{"firstName":"Jonathan"}"#)
            #expect(reply.status == .ok)
            let telness = try await client.get("/users/\(id)")
            #expect(telness.json["name"]?.string == "Jonathan Doe")
        }
    }

}
