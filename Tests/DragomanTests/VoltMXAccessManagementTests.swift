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

@Suite struct VoltMXAccessManagementTests {
    @Test func vendorSampleIsCreated() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post("/api/v1/accessmgmt/users", Samples.accessManagement)
            #expect(reply.status == .ok)
            #expect(reply.json == .object(["id": .string("1"), "message": .string("Details added successfully")]))
        }
    }

    @Test func readShowsTheUserWithoutItsPassword() async throws {
        try await TestGateway().run { client in
            _ = try await client.post("/kpns/api/v1/accessmgmt/users", Samples.accessManagement)
            let reply = try await client.get("/api/v1/accessmgmt/users/1")
            #expect(reply.status == .ok)
            #expect(reply.json["userName"]?.string == "EngagementServicesUser")
            #expect(reply.json["activeFlag"] == .bool(true))
            #expect(reply.json["mobileNo"]?.string == "+911235551234")
            #expect(reply.json["selectedPermissionIds"] == .array([.integer(3), .integer(4), .integer(6)]))
            #expect(reply.json["selectedGroupIds"] == .array([.integer(1)]))
            #expect(reply.json["whatsappSubscription"] == .bool(true))
            #expect(!reply.text.contains("VoltMX@123"))
            #expect(!reply.json.keys.contains("password"))
        }
    }

    @Test func duplicateUserNameIsRefused() async throws {
        try await TestGateway().run { client in
            _ = try await client.post("/api/v1/accessmgmt/users", Samples.accessManagement)
            let other = Samples.accessManagement.replacingOccurrences(of: "sampleuser@voltmx.com", with: "other@voltmx.com")
            let reply = try await client.post("/api/v1/accessmgmt/users", other)
            #expect(reply.status == .badRequest)
            #expect(reply.json["message"]?.string == "User already exists with this user ID")
        }
    }

    @Test func duplicateEmailIsRefused() async throws {
        try await TestGateway().run { client in
            _ = try await client.post("/api/v1/accessmgmt/users", Samples.accessManagement)
            let other = Samples.accessManagement.replacingOccurrences(of: "\"EngagementServicesUser\",\n\"email\"", with: "\"Another\",\n\"email\"")
            #expect(other != Samples.accessManagement)
            let reply = try await client.post("/api/v1/accessmgmt/users", other)
            #expect(reply.status == .badRequest)
            #expect(reply.json["message"]?.string == "User already exists with this user ID")
        }
    }

    @Test func requiredFieldsAreAllReported() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post("/api/v1/accessmgmt/users", #"{"activeFlag":true}"#)
            #expect(reply.status == .badRequest)
            let attributes = Set(reply.json["errors"]?.array.compactMap { $0["attribute"]?.string } ?? [])
            #expect(attributes == ["userName", "email", "password", "displayName", "selectedPermissionIds"])
        }
    }

    @Test func passwordWithSpacesIsRefused() async throws {
        try await TestGateway().run { client in
            let body = Samples.accessManagement.replacingOccurrences(of: "VoltMX@123", with: "Volt MX 123")
            let reply = try await client.post("/api/v1/accessmgmt/users", body)
            #expect(reply.status == .badRequest)
            #expect(reply.json["errors"]?[0]?["attribute"]?.string == "password")
            #expect(!reply.text.contains("Volt MX 123"))
        }
    }

    @Test func idArraysMustHoldIDs() async throws {
        try await TestGateway().run { client in
            let body = Samples.accessManagement.replacingOccurrences(of: #"["3","4","6"]"#, with: #"["three"]"#)
            let reply = try await client.post("/api/v1/accessmgmt/users", body)
            #expect(reply.status == .badRequest)
            #expect(reply.json["message"]?.string == "Attribute ‘selectedPermissionIds’ should be a array of ids")
        }
    }

    @Test func hugeIDArraysAreRefused() async throws {
        try await TestGateway().run { client in
            let ids = (0..<1001).map(String.init).joined(separator: ",")
            let body = Samples.accessManagement.replacingOccurrences(of: #"["1"]"#, with: "[\(ids)]")
            let reply = try await client.post("/api/v1/accessmgmt/users", body)
            #expect(reply.status == .badRequest)
            #expect(reply.json["errors"]?[0]?["attribute"]?.string == "selectedGroupIds")
        }
    }

    @Test func unknownIDIs400WithTheVendorMessage() async throws {
        try await TestGateway().run { client in
            let reply = try await client.get("/api/v1/accessmgmt/users/7")
            #expect(reply.status == .badRequest)
            #expect(reply.json["message"]?.string == "Invalid user ID provided or no user found with provided ID")
        }
    }
}
