import DragomanCore
import Foundation
import HTTPTypes
import Testing

@testable import Dragoman
@testable import DragomanDialectKit
@testable import DragomanSCIM

/// `dialects.scim.groupMapping`: SCIM group memberships carried to the members' own group ids,
/// which Volt MX access management shows as `selectedGroupIds`.
@Suite struct SCIMGroupMappingTests {
    static let yaml = """
        dialects:
          scim:
            groupMapping:
              field: groupIDs
              groups: {Engineers: 7, Sales: 9}
        """

    static func gateway() throws -> TestGateway {
        let mapping = try GatewayConfiguration(tree: ConfigTree.parse(yaml: yaml, source: "test")).dialectData[SCIMGroupMapping.self]
        return TestGateway { configuration in configuration.dialectData[SCIMGroupMapping.self] = mapping }
    }

    @Test func theMappingIsReadWithItsFieldAndValues() throws {
        let configuration = try GatewayConfiguration(tree: ConfigTree.parse(yaml: Self.yaml, source: "test"))
        let mapping = try #require(configuration.dialectData[SCIMGroupMapping.self])
        #expect(mapping.field == .groupIDs)
        #expect(mapping.values == ["engineers": "7", "sales": "9"])
    }

    @Test(arguments: [
        ("field: nope", "dialects.scim.groupMapping.field"),
        ("field: groupIDs\n      groups: {Engineers: seven}", "dialects.scim.groupMapping.groups.Engineers"),
        ("groups: {A: 1}", "dialects.scim.groupMapping.field"),
    ])
    func aWrongMappingIsRefusedNamingTheKey(_ body: String, _ key: String) {
        let yaml = "dialects:\n  scim:\n    groupMapping:\n      \(body)\n"
        #expect(throws: ConfigurationError.self) { try GatewayConfiguration(tree: ConfigTree.parse(yaml: yaml, source: "test")) }
        do {
            _ = try GatewayConfiguration(tree: ConfigTree.parse(yaml: yaml, source: "test"))
        } catch let error as ConfigurationError {
            #expect(error.key == key)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func membershipsSetTheMembersGroupIdsAndKeepTheOthers() async throws {
        try await Self.gateway().run { client in
            #expect(try await client.post("/api/v1/accessmgmt/users", Samples.accessManagement).status == .ok)
            let lookup = try await client.scim(.get, "/Users?filter=userName%20eq%20%22EngagementServicesUser%22")
            let id = try #require(lookup.json["Resources"]?[0]?["id"]?.string)
            let group = try await client.scim(.post, "/Groups", #"{"displayName":"engineers","members":[{"value":"\#(id)"}]}"#)
            #expect(group.status == .created, "\(group.text)")
            let groupID = try #require(group.json["id"]?.string)
            #expect(try await client.get("/api/v1/accessmgmt/users").text.contains(#""selectedGroupIds":[1,7]"#))
            let remove = SCIMSamples.patch(#"[{"op":"remove","path":"members[value eq \"\#(id)\"]"}]"#)
            #expect(try await client.scim(.patch, "/Groups/\(groupID)", remove).status == .ok)
            #expect(try await client.get("/api/v1/accessmgmt/users").text.contains(#""selectedGroupIds":[1]"#))
        }
    }

    @Test func renamingAndDeletingAGroupFollowTheMapping() async throws {
        try await Self.gateway().run { client in
            let id = try await client.scimCreate(SCIMSamples.user("ada"))
            let group = try await client.scim(.post, "/Groups", #"{"displayName":"Engineers","members":[{"value":"\#(id)"}]}"#)
            let groupID = try #require(group.json["id"]?.string)
            let renamed = try await client.scim(.patch, "/Groups/\(groupID)", SCIMSamples.patch(#"[{"op":"replace","path":"displayName","value":"Sales"}]"#))
            #expect(renamed.status == .ok)
            #expect(try await client.get("/api/v1/accessmgmt/users").text.contains(#""selectedGroupIds":[9]"#))
            #expect(try await client.scim(.delete, "/Groups/\(groupID)").status == .noContent)
            #expect(try await client.get("/api/v1/accessmgmt/users").text.contains(#""selectedGroupIds":[]"#))
        }
    }

    @Test func anotherDialectsFieldMayBeNamed() throws {
        let yaml = "dialects:\n  scim:\n    groupMapping:\n      field: groupGUID\n      groups: {Engineers: 5f1c2a3b4c5d6e7f8091a2b3c4d5e6f7}\n"
        let mapping = try #require(try GatewayConfiguration(tree: ConfigTree.parse(yaml: yaml, source: "test")).dialectData[SCIMGroupMapping.self])
        #expect(mapping.field.rawValue == "groupGUID")
    }

    @Test func aCCCUsersServiceGroupFollowsItsSCIMGroup() async throws {
        let group = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
        let yaml = "dialects:\n  scim:\n    groupMapping:\n      field: groupGUID\n      groups: {Engineers: \(group)}\n"
        let mapping = try GatewayConfiguration(tree: ConfigTree.parse(yaml: yaml, source: "test")).dialectData[SCIMGroupMapping.self]
        try await TestGateway { $0.dialectData[SCIMGroupMapping.self] = mapping }.run { client in
            let created = try await client.post(Samples.cccPath, Samples.ccc)
            let compact = try #require(created.json["serviceUserGuid"]?.string)
            let uuid = try #require(UUID(uuidString: String(compact.enumerated().flatMap { index, c in [8, 12, 16, 20].contains(index) ? ["-", c] : [c] })))
            let reply = try await client.scim(.post, "/Groups", #"{"displayName":"Engineers","members":[{"value":"\#(uuid.uuidString)"}]}"#)
            #expect(reply.status == .created, "\(reply.text)")
            let read = try await client.get("\(Samples.cccPath)/single?ServiceUserGuid=\(compact)")
            #expect(read.text.lowercased().contains(group), "\(read.text)")
        }
    }
}
