import DragomanCore
import Foundation
import HTTPTypes
import Testing

@testable import Dragoman
@testable import DragomanDialectKit
@testable import DragomanSCIM

/// Groups over real HTTP (RFC 7643 §4.2), as Okta and Entra ID push them.
@Suite struct SCIMGroupsTests {
    static func group(_ name: String, members: [String] = [], externalId: String? = nil) -> String {
        let list = members.map { #"{"value":"\#($0)"}"# }.joined(separator: ",")
        let external = externalId.map { #","externalId":"\#($0)""# } ?? ""
        return #"{"schemas":["\#(SCIMURN.group)"],"displayName":"\#(name)","members":[\#(list)]\#(external)}"#
    }

    static func filter(_ text: String) -> String {
        "filter=" + text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    }

    @Test func createIs201WithMembersLocationAndVersion() async throws {
        try await TestGateway().run { client in
            let ada = try await client.scimCreate(SCIMSamples.user("ada"))
            let reply = try await client.scim(.post, "/Groups", Self.group("Engineers", members: [ada], externalId: "okta-1"))
            #expect(reply.status == .created)
            let id = try #require(reply.json["id"]?.string)
            #expect(reply.headers[.location]?.hasSuffix("/scim/v2/Groups/\(id)") == true)
            #expect(reply.headers[.eTag] == reply.json["meta"]?["version"]?.string)
            #expect(reply.json["displayName"]?.string == "Engineers")
            #expect(reply.json["externalId"]?.string == "okta-1")
            #expect(reply.json["members"]?[0]?["value"]?.string == ada)
            #expect(reply.json["members"]?[0]?["$ref"]?.string?.hasSuffix("/scim/v2/Users/\(ada)") == true)
            #expect(reply.json["meta"]?["resourceType"]?.string == "Group")
            #expect(try await client.scim(.get, "/Groups/\(id)").json == reply.json)
        }
    }

    @Test func aUsersGroupsAreReadOnlyAndShown() async throws {
        try await TestGateway().run { client in
            let ada = try await client.scimCreate(SCIMSamples.user("ada"))
            let group = try await client.scim(.post, "/Groups", Self.group("Engineers", members: [ada])).json["id"]?.string
            let user = try await client.scim(.get, "/Users/\(ada)")
            #expect(user.json["groups"]?[0]?["value"]?.string == group)
            #expect(user.json["groups"]?[0]?["display"]?.string == "Engineers")
            let ignored = try await client.scim(.put, "/Users/\(ada)", #"{"userName":"ada","groups":[]}"#)
            #expect(ignored.json["groups"]?.array.count == 1)
            let refused = try await client.scim(.patch, "/Users/\(ada)", SCIMSamples.patch(#"[{"op":"add","path":"groups","value":[{"value":"x"}]}]"#))
            #expect(refused.json["scimType"]?.string == "mutability")
        }
    }

    @Test func aMemberThatIsNoUserIs400NamingIt() async throws {
        try await TestGateway().run { client in
            let missing = "6f1c2a3b-4c5d-4e7f-8091-a2b3c4d5e6f7"
            let reply = try await client.scim(.post, "/Groups", Self.group("Ghosts", members: [missing]))
            #expect(reply.status == .badRequest)
            #expect(reply.json["scimType"]?.string == "invalidValue")
            #expect(reply.json["detail"]?.string?.contains(missing) == true)
            #expect(try await client.scim(.get, "/Groups").json["totalResults"]?.int == 0)
        }
    }

    @Test func aGroupWithoutADisplayNameIs400() async throws {
        try await TestGateway().run { client in
            let reply = try await client.scim(.post, "/Groups", #"{"schemas":["\#(SCIMURN.group)"]}"#)
            #expect(reply.status == .badRequest)
            #expect(reply.json["detail"]?.string == "displayName is required")
        }
    }

    @Test func entraAddsAndRemovesMembersByPatch() async throws {
        try await TestGateway().run { client in
            let ada = try await client.scimCreate(SCIMSamples.user("ada"))
            let bob = try await client.scimCreate(SCIMSamples.user("bob"))
            let id = try #require(try await client.scim(.post, "/Groups", Self.group("Sales")).json["id"]?.string)
            let add = SCIMSamples.patch(#"[{"op":"Add","path":"members","value":[{"value":"\#(ada)"},{"value":"\#(bob)"}]}]"#)
            #expect(try await client.scim(.patch, "/Groups/\(id)", add).json["members"]?.array.count == 2)
            let remove = SCIMSamples.patch(#"[{"op":"Remove","path":"members","value":[{"value":"\#(ada)"}]}]"#)
            let afterRemove = try await client.scim(.patch, "/Groups/\(id)", remove)
            #expect(afterRemove.json["members"]?.array.compactMap { $0["value"]?.string } == [bob])
            let byFilter = SCIMSamples.patch(#"[{"op":"remove","path":"members[value eq \"\#(bob)\"]"}]"#)
            #expect(try await client.scim(.patch, "/Groups/\(id)", byFilter).json["members"]?.array.isEmpty == true)
            let rename = SCIMSamples.patch(#"[{"op":"Replace","path":"displayName","value":"Sales EMEA"}]"#)
            #expect(try await client.scim(.patch, "/Groups/\(id)", rename).json["displayName"]?.string == "Sales EMEA")
        }
    }

    @Test func oktaReplacesAGroupWithPut() async throws {
        try await TestGateway().run { client in
            let ada = try await client.scimCreate(SCIMSamples.user("ada"))
            let id = try #require(try await client.scim(.post, "/Groups", Self.group("Ops", members: [ada])).json["id"]?.string)
            let reply = try await client.scim(.put, "/Groups/\(id)", Self.group("Operations"))
            #expect(reply.status == .ok)
            #expect(reply.json["displayName"]?.string == "Operations")
            #expect(reply.json["members"]?.array.isEmpty == true)
        }
    }

    @Test func listsFilterByDisplayNameExternalIdAndMember() async throws {
        try await TestGateway().run { client in
            let ada = try await client.scimCreate(SCIMSamples.user("ada"))
            _ = try await client.scim(.post, "/Groups", Self.group("Engineers", members: [ada], externalId: "e-1"))
            _ = try await client.scim(.post, "/Groups", Self.group("Sales", externalId: "s-1"))
            func names(_ filter: String) async throws -> [String] {
                try await client.scim(.get, "/Groups?\(Self.filter(filter))").json["Resources"]?.array.compactMap { $0["displayName"]?.string } ?? []
            }
            #expect(try await names(#"displayName eq "engineers""#) == ["Engineers"])
            #expect(try await names(#"externalId eq "s-1""#) == ["Sales"])
            #expect(try await names(#"members[value eq "\#(ada)"]"#) == ["Engineers"])
            #expect(try await names(#"not (members eq "\#(ada)")"#) == ["Sales"])
            #expect(try await names(#"displayName sw "S" or displayName ew "rs""#) == ["Engineers", "Sales"])
            let page = try await client.scim(.get, "/Groups?startIndex=2&count=1&excludedAttributes=members")
            #expect(page.json["totalResults"]?.int == 2)
            #expect(page.json["Resources"]?[0]?["displayName"]?.string == "Sales")
            #expect(page.json["Resources"]?[0]?["members"] == nil)
            let bad = try await client.scim(.get, "/Groups?\(Self.filter(#"title eq "x""#))")
            #expect(bad.json["scimType"]?.string == "invalidFilter")
        }
    }

    @Test func deletingAUserLeavesItsGroups() async throws {
        try await TestGateway().run { client in
            let ada = try await client.scimCreate(SCIMSamples.user("ada"))
            let id = try #require(try await client.scim(.post, "/Groups", Self.group("Engineers", members: [ada])).json["id"]?.string)
            #expect(try await client.scim(.delete, "/Users/\(ada)").status == .noContent)
            #expect(try await client.scim(.get, "/Groups/\(id)").json["members"]?.array.isEmpty == true)
        }
    }

    @Test func deleteIs204AndIfMatchIsChecked() async throws {
        try await TestGateway().run { client in
            let created = try await client.scim(.post, "/Groups", Self.group("Temp"))
            let id = try #require(created.json["id"]?.string)
            #expect(try await client.scim(.delete, "/Groups/\(id)", headers: [.ifMatch: #"W/"old""#]).status == .preconditionFailed)
            #expect(try await client.scim(.get, "/Groups/\(id)", headers: [.ifNoneMatch: created.headers[.eTag] ?? ""]).status == .notModified)
            #expect(try await client.scim(.delete, "/Groups/\(id)").status == .noContent)
            #expect(try await client.scim(.get, "/Groups/\(id)").status == .notFound)
        }
    }

    @Test func groupsNeedTheSameCredentialAsUsers() async throws {
        let key = "dgm_scimgroupkey_0123456789abcdefghij"
        let gateway = TestGateway { configuration in
            configuration.principals = [Principal(name: "idp", passwordHash: nil, apiKeyHashes: [APIKey.digest(key)])]
            configuration.dialects[.scim]?.auth.schemes = [.bearer]
        }
        try await gateway.run { client in
            let refused = try await client.scim(.get, "/Groups")
            #expect(refused.status == .unauthorized)
            let allowed = try await client.scim(.get, "/Groups", headers: [.authorization: "Bearer \(key)"])
            #expect(allowed.status == .ok)
        }
    }

    @Test func aSearchFromTheRootFindsUsersThenGroups() async throws {
        try await TestGateway().run { client in
            let ada = try await client.scimCreate(SCIMSamples.user("ada", externalId: "x-1"))
            let group = try #require(try await client.scim(.post, "/Groups", Self.group("Admins", externalId: "x-2")).json["id"]?.string)
            let all = try await client.scim(.post, "/.search", #"{"schemas":["\#(SCIMURN.searchRequest)"],"filter":"externalId sw \"x-\""}"#)
            #expect(all.json["totalResults"]?.int == 2)
            #expect(all.json["Resources"]?.array.compactMap { $0["id"]?.string } == [ada, group])
            let second = try await client.scim(.post, "/.search", #"{"startIndex":2,"count":1}"#)
            #expect(second.json["Resources"]?.array.compactMap { $0["id"]?.string } == [group])
            let usersOnly = try await client.scim(.post, "/.search", #"{"filter":"userName eq \"ada\""}"#)
            #expect(usersOnly.json["Resources"]?.array.compactMap { $0["id"]?.string } == [ada])
        }
    }

    @Test func tooManyJoiningMembersAreRefusedBeforeAnyIsLookedUp() async throws {
        try await TestGateway().run { client in
            let members = (0...SCIMGroups.maxJoining).map { _ in UUID().uuidString }
            let reply = try await client.scim(.post, "/Groups", Self.group("Everyone", members: members))
            #expect(reply.status == .badRequest)
            #expect(reply.json["scimType"]?.string == "tooMany")
        }
    }

    @Test func onlyJoiningMembersAreCheckedSoAGroupKeepsMembersAddedEarlier() async throws {
        try await TestGateway().run { client in
            let ada = try await client.scimCreate(SCIMSamples.user("ada"))
            let bob = try await client.scimCreate(SCIMSamples.user("bob"))
            let id = try #require(try await client.scim(.post, "/Groups", Self.group("Team", members: [ada])).json["id"]?.string)
            let add = SCIMSamples.patch(#"[{"op":"add","path":"members","value":[{"value":"\#(bob)"}]}]"#)
            let reply = try await client.scim(.patch, "/Groups/\(id)", add)
            #expect(reply.json["members"]?.array.compactMap { $0["value"]?.string } == [ada, bob])
        }
    }
}
