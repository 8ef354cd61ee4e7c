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
}
