import DragomanCore
import DragomanTransport
import Foundation
import HTTPTypes
import Testing

@testable import Dragoman
@testable import DragomanDialectKit
@testable import DragomanSCIM

/// SCIM in front of a legacy backend: an identity provider deprovisioning a legacy service.
@Suite(.serialized) struct SCIMForwardingTests {
    static let create = #"{"userName":"ada","name":{"givenName":"Ada","familyName":"Lovelace"},"emails":[{"value":"ada@example.com","primary":true}]}"#
    static let deactivate = SCIMSamples.patch(#"[{"op":"replace","value":{"active":false}}]"#)

    @Test func deactivateDeleteDeletesTheBackendsUser() async throws {
        try await ForwardingTests.withPair(caller: .scim, backend: .voltMXAudience, adjust: { $0.deactivate = .delete }) { front, back in
            let id = try await front.scimCreate(Self.create)
            #expect(try await back.get("/api/v1/audience/1").status == .ok)
            let reply = try await front.scim(.patch, "/Users/\(id)", Self.deactivate)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.json["active"] == .bool(false))
            #expect(try await back.get("/api/v1/audience/1").status != .ok)
            #expect(try await front.scim(.get, "/Users/\(id)").status == .notFound)
        }
    }

    @Test func deactivateDisableSetsTheBackendsStatus() async throws {
        try await ForwardingTests.withPair(caller: .scim, backend: .voltMXAccessManagement) { front, back in
            let id = try await front.scimCreate(Self.create)
            let reply = try await front.scim(.patch, "/Users/\(id)", Self.deactivate)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(try await back.get("/api/v1/accessmgmt/users").text.contains(#""activeFlag":false"#))
            #expect(try await front.scim(.get, "/Users/\(id)").json["active"] == .bool(false))
        }
    }

    @Test func deactivateDisableOnABackendWithoutAStatusFollowsLostFields() async throws {
        try await ForwardingTests.withPair(caller: .scim, backend: .telnessConnect, lostFields: .reject) { front, _ in
            // The create carries what Telness cannot (userName): refused, naming it.
            let refused = try await front.scim(.post, "/Users", Self.create)
            #expect(refused.status == .badRequest)
            #expect(refused.json["detail"]?.string?.contains("userName cannot be carried to the backend") == true)
        }
    }

    @Test func theDeactivatePolicyIsReadFromTheConfiguration() throws {
        let yaml = """
            upstreams:
              legacy: {baseURL: "http://legacy.internal", dialect: telness-connect, deactivate: delete}
            """
        let configuration = try GatewayConfiguration(tree: ConfigTree.parse(yaml: yaml, source: "test"))
        #expect(configuration.upstreams["legacy"]?.deactivate == .delete)
        let wrong = yaml.replacingOccurrences(of: "deactivate: delete", with: "deactivate: archive")
        #expect(throws: ConfigurationError.self) { try GatewayConfiguration(tree: ConfigTree.parse(yaml: wrong, source: "test")) }
    }

    @Test func lostFieldsKeepKeepsWhatTheBackendCannotAndFiltersFindIt() async throws {
        try await ForwardingTests.withPair(caller: .scim, backend: .telnessConnect, lostFields: .keep) { front, back in
            let created = try await front.scim(.post, "/Users", SCIMSamples.barbara)
            #expect(created.status == .created, "\(created.text)")
            #expect(created.headers[HTTPField.Name("Dragoman-Dropped-Fields")!] == "password")
            let id = try #require(created.json["id"]?.string)
            let backend = try await back.get("/users").json["items"]?[0]
            #expect(backend?["name"]?.string == "Babs Jensen")
            #expect(backend?.keys.contains("externalId") == false)
            let read = try await front.scim(.get, "/Users/\(id)")
            #expect(read.json["userName"]?.string == "bjensen@example.com")
            #expect(read.json["externalId"]?.string == "701984")
            #expect(read.json["title"]?.string == "Tour Guide")
            #expect(read.json[SCIMURN.enterpriseUser]?["department"]?.string == "Tour Operations")
            let found = try await front.scim(.get, "/Users?filter=externalId%20eq%20%22701984%22")
            #expect(found.json["Resources"]?.array.compactMap { $0["id"]?.string } == [id])
            let patched = try await front.scim(.patch, "/Users/\(id)", SCIMSamples.patch(#"[{"op":"replace","path":"title","value":"Boss"}]"#))
            #expect(patched.status == .ok, "\(patched.text)")
            #expect(try await front.scim(.get, "/Users/\(id)").json["title"]?.string == "Boss")
        }
    }

    @Test func lostFieldsKeepWorksForTheLegacyDialectsToo() async throws {
        try await ForwardingTests.withPair(caller: .telnessConnect, backend: .voltMXAudience, lostFields: .keep) { front, _ in
            let created = try await front.post("/users", #"{"name":"Ada Lovelace","email":"ada@example.com","identity":"198001011234"}"#)
            #expect(created.status == .created, "\(created.text)")
            let id = try #require(created.json["userId"]?.string)
            #expect(try await front.get("/users/\(id)").json["identity"]?.string == "198001011234")
        }
    }
}
