import DragomanCore
import DragomanTransport
import Foundation
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// A user created in one dialect is readable in every other, each showing its own id format.
@Suite struct CrossDialectTests {
    @Test func telnessUserIsReadableEverywhere() async throws {
        try await TestGateway().run { client in
            let created = try await client.post("/users", Samples.telness).json
            let uuid = try #require(created["userId"]?.string)
            let audience = try await client.get("/api/v1/audience/1").json
            #expect(audience["firstName"]?.string == "John")
            #expect(audience["lastName"]?.string == "Doe")
            #expect(audience["mobileNumber"]?.string == "+15551234567")
            let access = try await client.get("/api/v1/accessmgmt/users/1").json
            #expect(access["displayName"]?.string == "John Doe")
            let nForm = uuid.replacingOccurrences(of: "-", with: "")
            let ccc = try await client.get("\(Samples.cccPath)/single?ServiceUserGuid=\(nForm)").json["serviceUser"]
            #expect(ccc?["serviceUserGuid"]?.string == nForm)
            #expect(ccc?["firstName"]?.string == "John")
        }
    }

    @Test func cccUserIsReadableInTelnessAndVoltMX() async throws {
        try await TestGateway().run { client in
            let guid = try #require(try await client.post(Samples.cccPath, Samples.ccc).json["serviceUserGuid"]?.string)
            let dashed = try #require(ServiceStack.uuid(fromGUID: guid)).uuidString.lowercased()
            let telness = try await client.get("/users/\(dashed)")
            #expect(telness.status == .ok)
            #expect(telness.json["name"]?.string == "Ada Lovelace")
            #expect(telness.json["email"]?.string == "ada@example.com")
            let audience = try await client.get("/api/v1/audience/1")
            #expect(audience.json["email"]?.string == "ada@example.com")
            #expect(audience.json["id"] == .integer(1))
        }
    }

    @Test func voltMXUserIsReadableInTelness() async throws {
        try await TestGateway().run { client in
            _ = try await client.post("/api/v1/accessmgmt/users", Samples.accessManagement)
            let access = try await client.get("/api/v1/accessmgmt/users/1").json
            #expect(access["id"] == .integer(1))
            let audience = try await client.get("/api/v1/audience/1").json
            #expect(audience["email"]?.string == "sampleuser@voltmx.com")
            #expect(audience["mobileNumber"]?.string == "+911235551234")
        }
    }

    @Test func emailIsUniqueAcrossVoltMXAndTelness() async throws {
        try await TestGateway().run { client in
            _ = try await client.post("/users", Samples.telness)
            let reply = try await client.post("/api/v1/audience", Samples.audience(email: "john.doe@example.com"))
            #expect(reply.status == .badRequest)
            #expect(reply.json["id"]?.string == "1")
        }
    }
}
