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

@Suite struct TelnessConnectTests {
    @Test func createIs201WithTheUser() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post("/users", Samples.telness)
            #expect(reply.status == .created)
            let user = reply.json
            #expect(UUID(uuidString: user["userId"]?.string ?? "") != nil)
            #expect(user["userId"]?.string == user["userId"]?.string?.lowercased())
            #expect(user["name"]?.string == "John Doe")
            #expect(user["email"]?.string == "john.doe@example.com")
            #expect(user["msisdn"]?.string == "+15551234567")
            #expect(user["identity"]?.string == "198001011234")
            #expect(user["metadata"] == .object(["team": .string("sales")]))
            #expect(user["customerIds"] == .array([]))
            #expect(user["createdAt"]?.string?.hasSuffix("Z") == true)
        }
    }

    @Test func readByUserIDReturnsTheSameUser() async throws {
        try await TestGateway().run { client in
            let created = try await client.post("/users", Samples.telness).json
            let id = try #require(created["userId"]?.string)
            let read = try await client.get("/users/\(id)")
            #expect(read.status == .ok)
            #expect(read.json == created)
        }
    }

    @Test func validationErrorsUseTheTelnessEnvelope() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post("/users", #"{"email":"not-an-email","msisdn":"5551234567","metadata":"x"}"#)
            #expect(reply.status == .badRequest)
            #expect(reply.json["code"]?.string == "VALIDATION_ERROR")
            #expect(reply.json["message"]?.string == "Validation failed for the request")
            #expect(reply.json["hint"] != nil)
            let details = reply.json["details"]?.array ?? []
            let byProperty = Dictionary(uniqueKeysWithValues: details.map { ($0["property"]?.string ?? "", $0["code"]?.string ?? "") })
            #expect(byProperty == ["name": "FIELD_REQUIRED", "email": "INVALID_FORMAT", "msisdn": "INVALID_FORMAT", "metadata": "INVALID_TYPE"])
        }
    }

    @Test func duplicateEmailIs409() async throws {
        try await TestGateway().run { client in
            _ = try await client.post("/users", Samples.telness)
            let reply = try await client.post("/users", #"{"name":"Jane Doe","email":"John.Doe@example.com"}"#)
            #expect(reply.status == .conflict)
            #expect(reply.json["code"]?.string == "USER_ALREADY_EXISTS")
            #expect(reply.json["details"]?[0]?["property"]?.string == "email")
        }
    }

    @Test func usersWithoutEmailAreNotDuplicates() async throws {
        try await TestGateway().run { client in
            let reply1 = try await client.post("/users", #"{"name":"Jane Doe"}"#)
            #expect(reply1.status == .created)
            let reply2 = try await client.post("/users", #"{"name":"Jane Doe"}"#)
            #expect(reply2.status == .created)
        }
    }

    @Test func unknownUserIs404() async throws {
        try await TestGateway().run { client in
            for id in [UUID().uuidString, "rid_hr-1", "nope"] {
                let reply = try await client.get("/users/\(id)")
                #expect(reply.status == .notFound)
                #expect(reply.json["code"]?.string == "NOT_FOUND")
            }
        }
    }

    @Test func unknownPropertiesAreIgnored() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post("/users", #"{"name":"Jane Doe","referenceId":"hr-1"}"#)
            #expect(reply.status == .created)
        }
    }
}
