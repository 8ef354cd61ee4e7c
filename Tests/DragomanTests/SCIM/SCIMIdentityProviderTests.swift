import DragomanCore
import Foundation
import HTTPTypes
import Testing

@testable import Dragoman
@testable import DragomanDialectKit
@testable import DragomanSCIM

/// The request sequences Okta and Microsoft Entra ID document for provisioning, replayed over
/// real HTTP: the existence check by filter, create, read, update, deactivate and delete.
@Suite struct SCIMIdentityProviderTests {
    static func filter(_ text: String) -> String {
        "filter=" + text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    }

    /// Okta's SCIM 2.0 guide: `GET /Users?filter=userName eq "…"&startIndex=1&count=100`,
    /// `POST /Users`, `GET /Users/{id}`, `PUT /Users/{id}` for profile changes, and
    /// `PATCH` with `replace` and no path to deactivate.
    @Test func oktaProvisionsUpdatesAndDeactivatesAUser() async throws {
        try await TestGateway().run { client in
            let lookup = try await client.scim(.get, "/Users?\(Self.filter(#"userName eq "isabella@okta.local""#))&startIndex=1&count=100")
            #expect(lookup.status == .ok)
            #expect(lookup.json["totalResults"]?.int == 0)
            #expect(lookup.json["Resources"]?.array.isEmpty == true)

            let create = """
                {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"isabella@okta.local",
                 "name":{"givenName":"Isabella","familyName":"Smith"},
                 "emails":[{"primary":true,"value":"isabella@okta.local","type":"work"}],
                 "displayName":"Isabella Smith","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],
                 "password":"1mz050nq","active":true}
                """
            let created = try await client.scim(.post, "/Users", create)
            #expect(created.status == .created)
            let id = try #require(created.json["id"]?.string)
            #expect(created.json["groups"] == nil)

            let found = try await client.scim(.get, "/Users?\(Self.filter(#"userName eq "isabella@okta.local""#))&startIndex=1&count=100")
            #expect(found.json["Resources"]?[0]?["id"]?.string == id)

            var replaced = created.json
            guard case .object(var members) = replaced else { return }
            members["name"] = .object(["givenName": .string("Bella"), "familyName": .string("Smith")])
            members["meta"] = nil
            replaced = .object(members)
            let put = try await client.scim(.put, "/Users/\(id)", String(decoding: WireJSON.bytes(replaced), as: UTF8.self))
            #expect(put.status == .ok)
            #expect(put.json["name"]?["givenName"]?.string == "Bella")
            #expect(put.json["externalId"]?.string == "00ujl29u0le5T6Aj10h7")

            let deactivate = #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}"#
            let patched = try await client.scim(.patch, "/Users/\(id)", deactivate)
            #expect(patched.status == .ok)
            #expect(patched.json["active"] == .bool(false))
            #expect(try await client.scim(.get, "/Users/\(id)").json["active"] == .bool(false))
        }
    }

    /// Entra ID's provisioning service: the existence check by `userName` (and by
    /// `externalId`), create with the enterprise extension, PATCH with capitalised operations,
    /// booleans as strings and enterprise attributes by their URN, deactivation by
    /// `active` "False", and delete.
    @Test func entraProvisionsUpdatesDeactivatesAndDeletesAUser() async throws {
        try await TestGateway().run { client in
            let lookup = try await client.scim(.get, "/Users?\(Self.filter(#"userName eq "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081""#))")
            #expect(lookup.json["totalResults"]?.int == 0)

            let create = """
                {"active":true,"emails":[{"primary":true,"type":"work","value":"Test_User_11bb6b94@testuser.com"}],
                 "externalId":"Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
                 "meta":{"resourceType":"User"},"name":{"familyName":"familyName","givenName":"givenName"},
                 "roles":[],"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                 "userName":"Test_User_dfeef4c5-5681-4387-b016-bdf221e82081"}
                """
            let created = try await client.scim(.post, "/Users", create)
            #expect(created.status == .created)
            let id = try #require(created.json["id"]?.string)

            let byExternalId = try await client.scim(.get, "/Users?\(Self.filter(#"externalId eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee""#))")
            #expect(byExternalId.json["Resources"]?[0]?["id"]?.string == id)

            let update = """
                {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
                  {"op":"Replace","path":"emails[type eq \\"work\\"].value","value":"updatedEmail@microsoft.com"},
                  {"op":"Replace","path":"name.familyName","value":"updatedFamilyName"},
                  {"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Sales"},
                  {"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"Test_User_Manager"}]}
                """
            let updated = try await client.scim(.patch, "/Users/\(id)", update)
            #expect(updated.status == .ok)
            #expect(updated.json["emails"]?[0]?["value"]?.string == "updatedEmail@microsoft.com")
            #expect(updated.json["name"]?["familyName"]?.string == "updatedFamilyName")
            #expect(updated.json[SCIMURN.enterpriseUser]?["department"]?.string == "Sales")
            #expect(updated.json[SCIMURN.enterpriseUser]?["manager"]?["value"]?.string == "Test_User_Manager")

            let disable = #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}"#
            let disabled = try await client.scim(.patch, "/Users/\(id)", disable)
            #expect(disabled.status == .ok)
            #expect(disabled.json["active"] == .bool(false))

            #expect(try await client.scim(.delete, "/Users/\(id)").status == .noContent)
            #expect(try await client.scim(.get, "/Users/\(id)").status == .notFound)
        }
    }

    /// Entra ID's check that a taken userName is refused with 409 and `uniqueness`.
    @Test func entraSeesATakenUserNameAsUniqueness() async throws {
        try await TestGateway().run { client in
            _ = try await client.scimCreate(SCIMSamples.user("Test_User_1"))
            let again = try await client.scim(.post, "/Users", SCIMSamples.user("test_user_1"))
            #expect(again.status == .conflict)
            #expect(again.json["scimType"]?.string == "uniqueness")
        }
    }
}
