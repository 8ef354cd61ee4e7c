import DragomanCore
import Foundation
import HTTPTypes
import Testing

@testable import Dragoman
@testable import DragomanDialectKit
@testable import DragomanSCIM

/// The Users endpoint over real HTTP: RFC 7644's create, read, replace, patch, delete, list
/// and search, with versions, errors and `application/scim+json`.
@Suite struct SCIMUsersTests {
    @Test func createIs201WithTheResourceItsLocationAndVersion() async throws {
        try await TestGateway().run { client in
            let reply = try await client.scim(.post, "/Users", SCIMSamples.barbara)
            #expect(reply.status == .created)
            #expect(reply.headers[.contentType] == SCIMPaths.mediaType)
            let user = reply.json
            let id = try #require(user["id"]?.string)
            #expect(UUID(uuidString: id) != nil)
            #expect(reply.headers[.location]?.hasSuffix("/scim/v2/Users/\(id)") == true)
            #expect(user["meta"]?["location"]?.string == reply.headers[.location])
            #expect(user["meta"]?["resourceType"]?.string == "User")
            #expect(user["meta"]?["version"]?.string == reply.headers[.eTag])
            #expect(reply.headers[.eTag]?.hasPrefix("W/\"") == true)
            #expect(user["userName"]?.string == "bjensen@example.com")
            #expect(user["externalId"]?.string == "701984")
            #expect(user["name"]?["givenName"]?.string == "Barbara")
            #expect(user["name"]?["middleName"]?.string == "Jane")
            #expect(user["emails"]?.array.count == 2)
            #expect(user["phoneNumbers"]?[0]?["value"]?.string == "+1 555 555 5555")
            #expect(user["title"]?.string == "Tour Guide")
            #expect(user[SCIMURN.enterpriseUser]?["department"]?.string == "Tour Operations")
            #expect(user["schemas"]?.array.contains(.string(SCIMURN.enterpriseUser)) == true)
        }
    }

    @Test func thePasswordIsNeverReturned() async throws {
        try await TestGateway().run { client in
            let created = try await client.scim(.post, "/Users", SCIMSamples.barbara)
            #expect(!created.text.contains("t1meMa$heen"))
            #expect(created.json["password"] == nil)
            let read = try await client.scim(.get, "/Users/\(created.json["id"]?.string ?? "")")
            #expect(read.json["password"] == nil)
        }
    }

    @Test func readReturnsWhatCreateReturned() async throws {
        try await TestGateway().run { client in
            let created = try await client.scim(.post, "/Users", SCIMSamples.barbara)
            let read = try await client.scim(.get, "/Users/\(created.json["id"]?.string ?? "")")
            #expect(read.status == .ok)
            #expect(read.json == created.json)
            #expect(read.headers[.eTag] == created.headers[.eTag])
        }
    }

    @Test func anUnknownIdIs404InSCIMsShape() async throws {
        try await TestGateway().run { client in
            for id in ["6f1c2a3b-4c5d-4e7f-8091-a2b3c4d5e6f7", "not-a-uuid"] {
                let reply = try await client.scim(.get, "/Users/\(id)")
                #expect(reply.status == .notFound)
                #expect(reply.json["schemas"] == .array([.string(SCIMURN.error)]))
                #expect(reply.json["status"]?.string == "404")
            }
        }
    }

    @Test func ifNoneMatchWithTheVersionIs304() async throws {
        try await TestGateway().run { client in
            let created = try await client.scim(.post, "/Users", SCIMSamples.barbara)
            let id = try #require(created.json["id"]?.string)
            let version = try #require(created.headers[.eTag])
            let same = try await client.scim(.get, "/Users/\(id)", headers: [.ifNoneMatch: version])
            #expect(same.status == .notModified)
            #expect(same.text.isEmpty)
            let other = try await client.scim(.get, "/Users/\(id)", headers: [.ifNoneMatch: #"W/"other""#])
            #expect(other.status == .ok)
        }
    }

    @Test func ifMatchWithAnOldVersionIs412AndChangesNothing() async throws {
        try await TestGateway().run { client in
            let created = try await client.scim(.post, "/Users", SCIMSamples.barbara)
            let id = try #require(created.json["id"]?.string)
            let patch = SCIMSamples.patch(#"[{"op":"replace","path":"title","value":"Boss"}]"#)
            let stale = try await client.scim(.patch, "/Users/\(id)", patch, headers: [.ifMatch: #"W/"stale""#])
            #expect(stale.status == .preconditionFailed)
            #expect(stale.json["status"]?.string == "412")
            let delete = try await client.scim(.delete, "/Users/\(id)", headers: [.ifMatch: #"W/"stale""#])
            #expect(delete.status == .preconditionFailed)
            #expect(try await client.scim(.get, "/Users/\(id)").json["title"]?.string == "Tour Guide")
            let current = try await client.scim(.patch, "/Users/\(id)", patch, headers: [.ifMatch: created.headers[.eTag] ?? ""])
            #expect(current.status == .ok)
            #expect(current.headers[.eTag] != created.headers[.eTag])
        }
    }

    @Test func putReplacesTheResourceAndRemovesWhatItLeavesOut() async throws {
        try await TestGateway().run { client in
            let id = try await client.scimCreate(SCIMSamples.barbara)
            let reply = try await client.scim(
                .put, "/Users/\(id)", #"{"schemas":["\#(SCIMURN.user)"],"userName":"bjensen@example.com","name":{"givenName":"Barbara"},"active":false}"#)
            #expect(reply.status == .ok)
            #expect(reply.json["active"] == .bool(false))
            #expect(reply.json["emails"] == nil)
            #expect(reply.json["externalId"] == nil)
            #expect(reply.json["title"] == nil)
            #expect(reply.json["name"]?["familyName"] == nil)
            #expect(reply.json[SCIMURN.enterpriseUser] == nil)
        }
    }

    @Test func putWithoutUserNameIs400NamingIt() async throws {
        try await TestGateway().run { client in
            let id = try await client.scimCreate(SCIMSamples.barbara)
            let reply = try await client.scim(.put, "/Users/\(id)", #"{"schemas":["\#(SCIMURN.user)"],"active":false}"#)
            #expect(reply.status == .badRequest)
            #expect(reply.json["scimType"]?.string == "invalidValue")
            #expect(reply.json["detail"]?.string?.contains("userName") == true)
        }
    }

    @Test func patchChangesOnlyWhatItNames() async throws {
        try await TestGateway().run { client in
            let id = try await client.scimCreate(SCIMSamples.barbara)
            let reply = try await client.scim(.patch, "/Users/\(id)", SCIMSamples.patch(#"[{"op":"replace","path":"name.givenName","value":"Babs"}]"#))
            #expect(reply.status == .ok)
            #expect(reply.json["name"]?["givenName"]?.string == "Babs")
            #expect(reply.json["name"]?["formatted"]?.string == "Babs Jensen")
            #expect(reply.json["emails"]?.array.count == 2)
            #expect(reply.json["title"]?.string == "Tour Guide")
            #expect(reply.json["externalId"]?.string == "701984")
        }
    }

    @Test func aPatchThatFailsChangesNothing() async throws {
        try await TestGateway().run { client in
            let id = try await client.scimCreate(SCIMSamples.barbara)
            let operations = #"[{"op":"replace","path":"title","value":"Boss"},{"op":"replace","path":"emails[value eq \"none@x\"].type","value":"home"}]"#
            let reply = try await client.scim(.patch, "/Users/\(id)", SCIMSamples.patch(operations))
            #expect(reply.status == .badRequest)
            #expect(reply.json["scimType"]?.string == "noTarget")
            #expect(try await client.scim(.get, "/Users/\(id)").json["title"]?.string == "Tour Guide")
        }
    }

    @Test func aTakenUserNameIs409UniquenessIgnoringCase() async throws {
        try await TestGateway().run { client in
            _ = try await client.scimCreate(SCIMSamples.user("Alice"))
            let reply = try await client.scim(.post, "/Users", SCIMSamples.user("ALICE"))
            #expect(reply.status == .conflict)
            #expect(reply.json["scimType"]?.string == "uniqueness")
            #expect(reply.json["status"]?.string == "409")
        }
    }

    @Test func aWrongTypeIs400NamingTheAttribute() async throws {
        try await TestGateway().run { client in
            let reply = try await client.scim(.post, "/Users", #"{"userName":"x","active":"maybe","name":{"givenName":7}}"#)
            #expect(reply.status == .badRequest)
            #expect(reply.json["scimType"]?.string == "invalidValue")
            let detail = reply.json["detail"]?.string ?? ""
            #expect(detail.contains("active must be a boolean"))
            #expect(detail.contains("name.givenName must be a string"))
        }
    }

    @Test func controlCharactersAreRefusedNamingTheAttributePath() async throws {
        try await TestGateway().run { client in
            let body = #"{"userName":"x","title":"a\u0007b","name":{"middleName":"\u200bq"},"custom":{"list":["ok","a\u0000"]}}"#
            let reply = try await client.scim(.post, "/Users", body)
            #expect(reply.status == .badRequest)
            let detail = reply.json["detail"]?.string ?? ""
            #expect(detail.contains("title must be text without control"))
            #expect(detail.contains("name.middleName must be text"))
            #expect(detail.contains("custom.list[1] must be text"))
            #expect(try await client.scim(.get, "/Users").json["totalResults"]?.int == 0)
        }
    }

    @Test func aMissingUserNameIs400() async throws {
        try await TestGateway().run { client in
            let reply = try await client.scim(.post, "/Users", #"{"schemas":["\#(SCIMURN.user)"],"displayName":"No Name"}"#)
            #expect(reply.status == .badRequest)
            #expect(reply.json["detail"]?.string == "userName is required")
        }
    }

    @Test func malformedJSONIs400InvalidSyntax() async throws {
        try await TestGateway().run { client in
            let reply = try await client.scim(.post, "/Users", #"{"userName": "#)
            #expect(reply.status == .badRequest)
            #expect(reply.json["scimType"]?.string == "invalidSyntax")
        }
    }

    @Test func plainJSONIsAcceptedAsWellAsSCIMJSON() async throws {
        try await TestGateway().run { client in
            let reply = try await client.scim(.post, "/Users", SCIMSamples.user("plain"), headers: [.contentType: "application/json"])
            #expect(reply.status == .created)
            #expect(reply.headers[.contentType] == SCIMPaths.mediaType)
        }
    }

    @Test func deleteIs204ThenTheUserIsGone() async throws {
        try await TestGateway().run { client in
            let id = try await client.scimCreate(SCIMSamples.user("gone"))
            #expect(try await client.scim(.delete, "/Users/\(id)").status == .noContent)
            #expect(try await client.scim(.get, "/Users/\(id)").status == .notFound)
            #expect(try await client.scim(.delete, "/Users/\(id)").status == .notFound)
        }
    }

    @Test func listPagesFromOneWithTotalsAndItemsPerPage() async throws {
        try await TestGateway().run { client in
            for index in 1...5 { _ = try await client.scimCreate(SCIMSamples.user("user\(index)")) }
            let page = try await client.scim(.get, "/Users?startIndex=2&count=2")
            #expect(page.status == .ok)
            #expect(page.json["schemas"] == .array([.string(SCIMURN.listResponse)]))
            #expect(page.json["totalResults"]?.int == 5)
            #expect(page.json["startIndex"]?.int == 2)
            #expect(page.json["itemsPerPage"]?.int == 2)
            #expect(page.json["Resources"]?.array.compactMap { $0["userName"]?.string } == ["user2", "user3"])
            let none = try await client.scim(.get, "/Users?count=0")
            #expect(none.json["totalResults"]?.int == 5)
            #expect(none.json["Resources"]?.array.isEmpty == true)
        }
    }

    @Test func aFilterOnUserNameMatchesIgnoringCase() async throws {
        try await TestGateway().run { client in
            _ = try await client.scimCreate(SCIMSamples.user("Alice@Example.com"))
            _ = try await client.scimCreate(SCIMSamples.user("bob@example.com"))
            let reply = try await client.scim(
                .get, "/Users?filter=" + "userName eq \"alice@example.COM\"".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            #expect(reply.json["totalResults"]?.int == 1)
            #expect(reply.json["Resources"]?[0]?["userName"]?.string == "Alice@Example.com")
        }
    }

    @Test func filtersCombineWithAndOrNotAndValueFilters() async throws {
        try await TestGateway().run { client in
            _ = try await client.scimCreate(SCIMSamples.user("a", externalId: "X-1", email: "a@one.example"))
            _ = try await client.scimCreate(SCIMSamples.user("b", externalId: "X-2", email: "b@two.example"))
            _ = try await client.scimCreate(SCIMSamples.user("c", email: "c@one.example"))
            func names(_ filter: String) async throws -> [String] {
                let reply = try await client.scim(.get, "/Users?filter=" + filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
                return reply.json["Resources"]?.array.compactMap { $0["userName"]?.string } ?? []
            }
            #expect(try await names(#"emails[value ew "@one.example"]"#) == ["a", "c"])
            #expect(try await names(#"externalId pr and emails.value co "one""#) == ["a"])
            #expect(try await names(#"not (externalId pr) or userName eq "b""#) == ["b", "c"])
            #expect(try await names(#"externalId eq "x-1""#) == [])
            #expect(try await names(#"externalId eq "X-1""#) == ["a"])
            #expect(try await names(#"userName gt "a" and userName le "c""#) == ["b", "c"])
            #expect(try await names(#"active eq true"#) == ["a", "b", "c"])
            #expect(try await names(#"meta.created gt "2000-01-01T00:00:00Z""#) == ["a", "b", "c"])
        }
    }

    @Test func filtersOnTheSCIMDataFindWhatTheClientSent() async throws {
        try await TestGateway().run { client in
            let barbara = try await client.scimCreate(SCIMSamples.barbara)
            _ = try await client.scimCreate(SCIMSamples.user("other", email: "o@example.com"))
            func ids(_ filter: String) async throws -> [String] {
                let reply = try await client.scim(.get, "/Users?filter=" + filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
                return reply.json["Resources"]?.array.compactMap { $0["id"]?.string } ?? []
            }
            #expect(try await ids(#"emails[type eq "home"]"#) == [barbara])
            #expect(try await ids(#"emails[type eq "work" and value ew "example.com"]"#).count == 2)
            #expect(try await ids(#"emails.type eq "home""#) == [barbara])
            #expect(try await ids(#"title eq "tour guide""#) == [barbara])
            #expect(try await ids(#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department co "Operations""#) == [barbara])
            #expect(try await ids(#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr"#) == [barbara])
            #expect(try await ids(#"addresses[locality eq "Hollywood" and primary eq true]"#) == [barbara])
            #expect(try await ids(#"not (title pr)"#).count == 1)
        }
    }

    @Test func aFilterThatDoesNotParseIs400InvalidFilter() async throws {
        try await TestGateway().run { client in
            let reply = try await client.scim(.get, "/Users?filter=" + "userName eq".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            #expect(reply.status == .badRequest)
            #expect(reply.json["scimType"]?.string == "invalidFilter")
            #expect(reply.json["detail"]?.string?.contains("Expected a value") == true)
        }
    }

    @Test func attributesAndExcludedAttributesShapeTheAnswer() async throws {
        try await TestGateway().run { client in
            let id = try await client.scimCreate(SCIMSamples.barbara)
            let only = try await client.scim(.get, "/Users/\(id)?attributes=userName,emails.value,\(SCIMURN.enterpriseUser):department")
            #expect(only.json.keys == ["id", "schemas", "userName", "emails", SCIMURN.enterpriseUser])
            #expect(only.json["emails"]?[0]?.keys == ["value"])
            #expect(only.json[SCIMURN.enterpriseUser]?.keys == ["department"])
            let without = try await client.scim(.get, "/Users?excludedAttributes=emails,meta,id")
            let resource = try #require(without.json["Resources"]?[0])
            #expect(resource["emails"] == nil)
            #expect(resource["meta"] == nil)
            #expect(resource["id"] != nil)
        }
    }

    @Test func searchByPOSTTakesItsQueryFromTheBody() async throws {
        try await TestGateway().run { client in
            _ = try await client.scimCreate(SCIMSamples.user("searched"))
            _ = try await client.scimCreate(SCIMSamples.user("other"))
            let body = #"{"schemas":["\#(SCIMURN.searchRequest)"],"filter":"userName sw \"sea\"","attributes":["userName"],"startIndex":1,"count":10}"#
            let reply = try await client.scim(.post, "/Users/.search", body)
            #expect(reply.status == .ok)
            #expect(reply.json["totalResults"]?.int == 1)
            #expect(reply.json["Resources"]?[0]?.keys == ["id", "schemas", "userName"])
        }
    }

    @Test func aUserCreatedThroughSCIMIsReadableInTheOtherDialects() async throws {
        try await TestGateway().run { client in
            let id = try await client.scimCreate(SCIMSamples.barbara)
            let telness = try await client.get("/users/\(id)")
            #expect(telness.status == .ok)
            #expect(telness.json["userId"]?.string == id)
            #expect(telness.json["email"]?.string == "bjensen@example.com")
            #expect(telness.json["name"]?.string == "Babs Jensen")
            #expect(telness.json["msisdn"]?.string == "+15555555555")
        }
    }

    @Test func aUserCreatedElsewhereIsReadableThroughSCIM() async throws {
        try await TestGateway().run { client in
            let created = try await client.post("/users", Samples.telness).json
            let id = try #require(created["userId"]?.string)
            let reply = try await client.scim(.get, "/Users/\(id)")
            #expect(reply.status == .ok)
            #expect(reply.json["id"]?.string == id)
            #expect(reply.json["displayName"]?.string == "John Doe")
            #expect(reply.json["emails"]?[0]?["value"]?.string == "john.doe@example.com")
            #expect(reply.json["active"] == .bool(true))
        }
    }

    @Test func deactivatingThroughSCIMIsWhatTheLegacyDialectsShowAsDisabled() async throws {
        try await TestGateway().run { client in
            let id = try await client.scimCreate(SCIMSamples.user("deactivated", email: "d@example.com"))
            let reply = try await client.scim(.patch, "/Users/\(id)", SCIMSamples.patch(#"[{"op":"replace","value":{"active":false}}]"#))
            #expect(reply.status == .ok)
            #expect(reply.json["active"] == .bool(false))
            let legacy = try await client.get("/api/v1/accessmgmt/users")
            #expect(legacy.text.contains(#""activeFlag":false"#))
            let inactive = try await client.scim(.get, "/Users?filter=active%20eq%20false")
            #expect(inactive.json["totalResults"]?.int == 1)
            let active = try await client.scim(.get, "/Users?filter=active%20eq%20true")
            #expect(active.json["totalResults"]?.int == 0)
        }
    }
}
