import DragomanCore
import DragomanTransport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// Bad input gets a clear error in the caller's dialect, stores nothing, and the gateway keeps
/// serving.
@Suite struct BadInputTests {
    static let creates = ["/api/v1/audience", "/api/v1/accessmgmt/users", "/users", Samples.cccPath]

    /// The error text of a reply, whatever the dialect's shape.
    static func errorText(_ reply: Reply) -> String {
        reply.json["message"]?.string ?? reply.json["responseStatus"]?["message"]?.string ?? ""
    }

    static func expectNothingStored(_ client: any TestClientProtocol) async throws {
        let reply = try await client.get("/api/v1/audience/1")
        #expect(reply.status == .badRequest)
    }

    @Test(arguments: creates) func malformedJSONIs400(path: String) async throws {
        try await TestGateway().run { client in
            let reply = try await client.post(path, #"{"name": "x",}"#)
            #expect(reply.status == .badRequest)
            #expect(Self.errorText(reply).contains("not valid JSON"))
            try await Self.expectNothingStored(client)
        }
    }

    @Test(arguments: creates) func wrongContentTypeIs415(path: String) async throws {
        try await TestGateway().run { client in
            let reply = try await client.post(path, Samples.telness, contentType: "text/plain")
            #expect(reply.status == .unsupportedMediaType)
            #expect(Self.errorText(reply).contains("text/plain"))
            let missing = try await client.post(path, Samples.telness, contentType: nil)
            #expect(missing.status == .unsupportedMediaType)
        }
    }

    @Test func formBodiesAreOnlyForCCC() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post("/users", "name=x", contentType: "application/x-www-form-urlencoded")
            #expect(reply.status == .unsupportedMediaType)
            #expect(reply.json["code"]?.string == "UNSUPPORTED_MEDIA_TYPE")
        }
    }

    @Test func nonUTF8CharsetIs415() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post("/users", Samples.telness, contentType: "application/json; charset=iso-8859-1")
            #expect(reply.status == .unsupportedMediaType)
        }
    }

    @Test(arguments: creates) func bodyOverTheLimitIs413(path: String) async throws {
        try await TestGateway { $0.bodyLimit = 1024 }.run { client in
            let padding = String(repeating: "a", count: 4096)
            let reply = try await client.post(path, #"{"name":"\#(padding)"}"#)
            #expect(reply.status == .contentTooLarge)
            #expect(Self.errorText(reply).contains("1024"))
            try await Self.expectNothingStored(client)
            let after = try await client.post("/users", #"{"name":"Still Serving"}"#)
            #expect(after.status == .created)
        }
    }

    @Test(arguments: creates) func invalidUTF8Is400(path: String) async throws {
        try await TestGateway().run { client in
            var buffer = ByteBuffer(string: #"{"name":""#)
            buffer.writeBytes([0xC3, 0x28, 0xFF])
            buffer.writeString(#""}"#)
            let reply = try await client.send(path, method: .post, headers: [.contentType: "application/json"], body: buffer)
            #expect(reply.status == .badRequest)
            #expect(Self.errorText(reply).contains("UTF-8"))
        }
    }

    @Test(arguments: creates) func deepNestingIs400(path: String) async throws {
        try await TestGateway().run { client in
            let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
            let reply = try await client.post(path, #"{"metadata":\#(deep)}"#)
            #expect(reply.status == .badRequest)
            #expect(Self.errorText(reply).contains("nesting"))
        }
    }

    @Test(arguments: creates) func nonObjectBodiesAre400(path: String) async throws {
        try await TestGateway().run { client in
            for body in ["[]", "42", "\"text\"", "null", "", "   "] {
                let reply = try await client.post(path, body)
                #expect(reply.status == .badRequest)
            }
            try await Self.expectNothingStored(client)
        }
    }

    @Test func wrongJSONTypesNameTheField() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post("/users", #"{"name": ["John"], "email": 7}"#)
            #expect(reply.status == .badRequest)
            let properties = reply.json["details"]?.array.compactMap { $0["property"]?.string }
            #expect(properties == ["name", "email"])
        }
    }

    @Test func overlongStringsAreRefused() async throws {
        try await TestGateway().run { client in
            let long = String(repeating: "x", count: 300)
            let reply = try await client.post("/users", #"{"name":"\#(long)"}"#)
            #expect(reply.status == .badRequest)
            #expect(reply.json["details"]?[0]?["code"]?.string == "INVALID_LENGTH")
        }
    }

    @Test func tooLongPasswordsAreRefusedNotTruncated() async throws {
        try await TestGateway().run { client in
            let password = String(repeating: "p", count: 73)
            let body = #"{"emailAddress":"a@b.com","password":"\#(password)","firstName":"A","lastName":"B"}"#
            let reply = try await client.post(Samples.cccPath, body)
            #expect(reply.status == .badRequest)
            #expect(reply.json["responseStatus"]?["errorCode"]?.string == "MaximumLength")
            #expect(!reply.text.contains(password))
        }
    }

    @Test func unknownRoutesAre404() async throws {
        try await TestGateway().run { client in
            let reply = try await client.get("/nothing/here")
            #expect(reply.status == .notFound)
        }
    }
}
