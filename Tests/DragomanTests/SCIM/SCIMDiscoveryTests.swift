import DragomanCore
import Foundation
import HTTPTypes
import HummingbirdBcrypt
import Testing

@testable import Dragoman
@testable import DragomanDialectKit
@testable import DragomanSCIM

/// Discovery (RFC 7644 §4): what the service says it does, and that it does it.
@Suite struct SCIMDiscoveryTests {
    @Test func theServiceProviderConfigAdvertisesExactlyWhatWorks() async throws {
        try await TestGateway().run { client in
            let reply = try await client.scim(.get, "/ServiceProviderConfig")
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType] == SCIMPaths.mediaType)
            let config = reply.json
            #expect(config["schemas"] == .array([.string(SCIMURN.serviceProviderConfig)]))
            #expect(config["patch"]?["supported"] == .bool(true))
            #expect(config["filter"]?["supported"] == .bool(true))
            #expect(config["filter"]?["maxResults"]?.int == Int64(SCIMPaths.maxResults))
            #expect(config["etag"]?["supported"] == .bool(true))
            #expect(config["bulk"]?["supported"] == .bool(false))
            #expect(config["sort"]?["supported"] == .bool(false))
            #expect(config["changePassword"]?["supported"] == .bool(false))
            #expect(config["authenticationSchemes"]?.array.compactMap { $0["type"]?.string } == ["oauthbearertoken", "httpbasic"])
        }
    }

    @Test func resourceTypesListUsersWithTheEnterpriseExtensionAndGroups() async throws {
        try await TestGateway().run { client in
            let list = try await client.scim(.get, "/ResourceTypes")
            #expect(list.json["totalResults"]?.int == 2)
            let user = try #require(list.json["Resources"]?[0])
            #expect(user["endpoint"]?.string == "/Users")
            #expect(user["schemaExtensions"]?[0]?["schema"]?.string == SCIMURN.enterpriseUser)
            #expect(try await client.scim(.get, "/ResourceTypes/User").json == user)
            #expect(try await client.scim(.get, "/ResourceTypes/Group").json["endpoint"]?.string == "/Groups")
            #expect(try await client.scim(.get, "/ResourceTypes/Device").status == .notFound)
        }
    }

    @Test func schemasDescribeEveryAttributeTheUsersEndpointTakes() async throws {
        try await TestGateway().run { client in
            let list = try await client.scim(.get, "/Schemas")
            #expect(list.json["Resources"]?.array.compactMap { $0["id"]?.string } == [SCIMURN.user, SCIMURN.enterpriseUser, SCIMURN.group])
            let user = try await client.scim(.get, "/Schemas/\(SCIMURN.user)").json
            let attributes = user["attributes"]?.array ?? []
            let userName = try #require(attributes.first { $0["name"]?.string == "userName" })
            #expect(userName["required"] == .bool(true))
            #expect(userName["uniqueness"]?.string == "server")
            #expect(userName["caseExact"] == .bool(false))
            let password = try #require(attributes.first { $0["name"]?.string == "password" })
            #expect(password["returned"]?.string == "never")
            #expect(password["mutability"]?.string == "writeOnly")
            #expect(try await client.scim(.get, "/Schemas/urn:nope").status == .notFound)
        }
    }

    @Test func discoveryIsReadOnly() async throws {
        try await TestGateway().run { client in
            let reply = try await client.scim(.post, "/Schemas", "{}")
            #expect(reply.status == .methodNotAllowed)
            #expect(reply.headers[.allow] == "GET")
            #expect(reply.json["schemas"] == .array([.string(SCIMURN.error)]))
        }
    }

    @Test func anUnknownPathUnderTheSCIMRootIsASCIM404() async throws {
        try await TestGateway().run { client in
            let reply = try await client.scim(.get, "/Devices")
            #expect(reply.status == .notFound)
            #expect(reply.json["status"]?.string == "404")
        }
    }

    @Test func basicIsAcceptedWhenTheConfigurationListsIt() async throws {
        let hash = Bcrypt.hash("idp-password", cost: 4)
        let gateway = TestGateway { configuration in
            configuration.principals = [Principal(name: "idp", passwordHash: hash, apiKeyHashes: [])]
            configuration.dialects[.scim]?.auth.schemes = [.bearer, .basic]
        }
        try await gateway.run { client in
            let basic = "Basic " + Data("idp:idp-password".utf8).base64EncodedString()
            let allowed = try await client.scim(.get, "/Users", headers: [.authorization: basic])
            #expect(allowed.status == .ok)
            let wrong = try await client.scim(.get, "/Users", headers: [.authorization: "Basic " + Data("idp:nope".utf8).base64EncodedString()])
            #expect(wrong.status == .unauthorized)
            #expect(wrong.headers[values: .wwwAuthenticate].contains { $0.hasPrefix("Basic") })
        }
    }

    @Test func discoveryNeedsNoCredentialButUsersDo() async throws {
        let key = "dgm_scimtestkey_0123456789abcdefghij"
        let gateway = TestGateway { configuration in
            configuration.principals = [Principal(name: "idp", passwordHash: nil, apiKeyHashes: [APIKey.digest(key)])]
            configuration.dialects[.scim]?.auth.schemes = [.bearer]
        }
        try await gateway.run { client in
            #expect(try await client.scim(.get, "/ServiceProviderConfig").status == .ok)
            let refused = try await client.scim(.get, "/Users")
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            #expect(refused.json["schemas"] == .array([.string(SCIMURN.error)]))
            let wrong = try await client.scim(.get, "/Users", headers: [.authorization: "Bearer dgm_wrong"])
            #expect(wrong.status == .unauthorized)
            let allowed = try await client.scim(.get, "/Users", headers: [.authorization: "Bearer \(key)"])
            #expect(allowed.status == .ok)
        }
    }
}
