import DragomanTransport
import Foundation
import HTTPTypes
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// Clean text through every dialect: NFC before the uniqueness check, control and invisible
/// characters refused with the field named in the caller's words, one email definition for
/// dialects that share a realm.
@Suite struct CleanTextOverHTTPTests {
    @Test func precomposedAndDecomposedEmailsAreOneUser() async throws {
        try await TestGateway().run { client in
            let first = try await client.post("/users", #"{"name":"Émile Zola","email":"\u00e9mile@example.com"}"#)
            #expect(first.status == .created)
            let second = try await client.post("/users", #"{"name":"Émile Zola","email":"e\u0301mile@example.com"}"#)
            #expect(second.status == .conflict)
            #expect(second.json["code"]?.string == "USER_ALREADY_EXISTS")
        }
    }

    @Test(arguments: [#"\u0000"#, #"\u202e"#, #"\u200b"#, #"\u00ad"#])
    func anEmailWithAnInvisibleCharacterIsRefusedInEveryDialect(escape: String) async throws {
        try await TestGateway().run { client in
            let telness = try await client.post("/users", #"{"name":"Ann Lee","email":"ann\#(escape)@example.com"}"#)
            #expect(telness.status == .badRequest)
            #expect(telness.json["details"]?[0]?["property"]?.string == "email")
            let audience = try await client.post(
                "/api/v1/audience", #"{"firstName":"Ann","lastName":"Lee","country":"India","email":"ann\#(escape)@example.com"}"#)
            #expect(audience.status == .badRequest)
            #expect(audience.json["errors"]?[0]?["attribute"]?.string == "email")
            let ccc = try await client.post(
                Samples.cccPath,
                #"{"EmailAddress":"ann\#(escape)@example.com","Password":"pw","FirstName":"Ann","LastName":"Lee"}"#
            )
            #expect(ccc.status == .badRequest)
            #expect(ccc.json["responseStatus"]?["errors"]?[0]?["fieldName"]?.string == "EmailAddress")
            let read = try await client.get("/api/v1/audience/1")
            #expect(read.status == .badRequest)  // nothing was stored
        }
    }

    @Test func aNameWithATerminalEscapeIsRefused() async throws {
        try await TestGateway().run { client in
            let telness = try await client.post("/users", #"{"name":"Ann \u001b[2JLee","email":"ann@example.com"}"#)
            #expect(telness.status == .badRequest)
            #expect(telness.json["details"]?[0]?["property"]?.string == "name")
            let audience = try await client.post("/api/v1/audience", #"{"firstName":"Ann\u0000","lastName":"Lee","country":"India","email":"ann@example.com"}"#)
            #expect(audience.status == .badRequest)
            #expect(audience.json["errors"]?[0]?["attribute"]?.string == "firstName")
        }
    }

    @Test func anInternationalisedAddressIsValidInEveryDialectAndUniqueAcrossTheSharedRealm() async throws {
        try await TestGateway().run { client in
            let audience = try await client.post("/api/v1/audience", Samples.audience(email: "ädä@exämple.com"))
            #expect(audience.status == .ok)
            let telness = try await client.post("/users", #"{"name":"Ada Lovelace","email":"ÄDÄ@exämple.com"}"#)
            #expect(telness.status == .conflict)
            let ccc = try await client.post(Samples.cccPath, #"{"EmailAddress":"ädä@exämple.com","Password":"pw","FirstName":"Ada","LastName":"L"}"#)
            #expect(ccc.status == .ok)
        }
    }
}

/// Methods a dialect path does not have, and ids in more than one spelling.
@Suite struct MethodAndPathTests {
    @Test func traceOnACreateRouteIs405WithAllowInTheDialect() async throws {
        try await TestGateway().run { client in
            let reply = try await client.send("/users", method: .trace, headers: [:], body: nil)
            #expect(reply.status == .methodNotAllowed)
            #expect(reply.headers[.allow] == "POST, GET")
            #expect(reply.json["code"]?.string == "METHOD_NOT_ALLOWED")
        }
    }

    @Test func deleteOnACreateRouteIs405WithAllow() async throws {
        try await TestGateway().run { client in
            let audience = try await client.send("/api/v1/audience", method: .delete, headers: [:], body: nil)
            #expect(audience.status == .methodNotAllowed)
            #expect(audience.headers[.allow] == "POST")
            #expect(audience.json["message"]?.string?.hasPrefix("Method not allowed") == true)
            let ccc = try await client.send(Samples.cccPath, method: .delete, headers: [:], body: nil)
            #expect(ccc.status == .methodNotAllowed)
            #expect(ccc.json["responseStatus"]?["errorCode"]?.string == "NotImplementedException")
        }
    }

    @Test func anUnknownPathIsStill404() async throws {
        try await TestGateway().run { client in
            let reply = try await client.send("/nowhere", method: .delete, headers: [:], body: nil)
            #expect(reply.status == .notFound)
        }
    }

    @Test(arguments: ["+1", "01", "1.0", " 1", "1e0"])
    func onlyTheCanonicalSpellingOfAVoltMXIDNamesAUser(spelling: String) async throws {
        try await TestGateway().run { client in
            _ = try await client.post("/api/v1/audience", Samples.audience)
            #expect(try await client.get("/api/v1/audience/1").status == .ok)
            let path = "/api/v1/audience/" + (spelling.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? spelling)
            let reply = try await client.get(path)
            #expect(reply.status == .badRequest)
            #expect(reply.json["message"]?.string?.hasPrefix("Invalid Audience Member ID") == true)
        }
    }
}
