import DragomanCore
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

/// The CCC dialect driven the way ServiceStack's own clients drive a ServiceStack host served
/// under `/api`: pre-defined routes by request name, the `Authenticate` DTO and the auth routes
/// under the base path, ServiceStack's refusal of unknown names.
@Suite struct ServiceStackClientTests {
    /// The sample create with the service in the body, as a client of the pre-defined routes sends it.
    static let create = Samples.ccc.replacingOccurrences(of: "00000000000000000000000000000000", with: Samples.service)

    @Test func jsonAPIRouteCreatesAndReadsAsTheClientsDefaultRouteDoes() async throws {
        try await TestGateway().run { client in
            let created = try await client.post("/api/CreateServiceUser", Self.create)
            #expect(created.status == .ok)
            let guid = try #require(created.json["serviceUserGuid"]?.string)
            let read = try await client.get("/api/GetServiceUser?serviceGuid=\(Samples.service)&serviceUserGuid=\(guid)")
            #expect(read.status == .ok)
            #expect(read.json["serviceUser"]?["emailAddress"]?.string == "ada@example.com")
        }
    }

    @Test func replyRouteUnderTheBasePathCreates() async throws {
        try await TestGateway().run { client in
            let created = try await client.post("/api/json/reply/CreateServiceUser", Self.create)
            #expect(created.status == .ok)
            let guid = try #require(created.json["serviceUserGuid"]?.string)
            let read = try await client.get("/api/json/reply/GetServiceUser?ServiceGuid=\(Samples.service)&ServiceUserGuid=\(guid)")
            #expect(read.status == .ok)
        }
    }

    @Test func anUnknownRequestNameIsServiceStacks405() async throws {
        try await TestGateway().run { client in
            for path in ["/api/DeleteEverything", "/api/json/reply/DeleteEverything", "/json/reply/DeleteEverything"] {
                let reply = try await client.post(path, "{}")
                #expect(reply.status == .methodNotAllowed, "\(path)")
                #expect(reply.json["responseStatus"]?["errorCode"]?.string == "NotImplementedException")
                #expect(reply.json["responseStatus"]?["message"]?.string == "The operation 'DeleteEverything' does not exist for this service")
            }
        }
    }

    @Test func anUnknownRequestNameIsRefusedBeforeAuthentication() async throws {
        try await AuthenticationTests.gateway().run { client in
            let reply = try await client.get("/api/NoSuchThing")
            #expect(reply.status == .methodNotAllowed)
        }
    }

    @Test func aKnownOperationWithAnotherMethodIs405WithAllow() async throws {
        try await TestGateway().run { client in
            let reply = try await client.get("/api/CreateServiceUser")
            #expect(reply.status == .methodNotAllowed)
            #expect(reply.headers[.allow] == "POST")
            #expect(reply.json["responseStatus"]?["errorCode"]?.string == "NotImplementedException")
        }
    }

    // MARK: Authentication under /api

    @Test func authenticateDTOSignsInAndItsSessionCreates() async throws {
        try await AuthenticationTests.gateway().run { client in
            let body = #"{"provider":"credentials","userName":"alice","password":"\#(AuthenticationTests.alicePassword)","rememberMe":true}"#
            let signedIn = try await client.post("/api/Authenticate", body)
            #expect(signedIn.status == .ok)
            let session = try #require(signedIn.json["sessionId"]?.string)
            #expect(AuthenticationTests.cookie(signedIn, "ss-opt")?.hasPrefix("ss-opt=perm") == true)
            let created = try await client.post("/api/CreateServiceUser", Self.create, headers: [.cookie: "ss-id=\(session)"])
            #expect(created.status == .ok)
            let unauthenticated = try await client.post("/api/CreateServiceUser", Self.create)
            #expect(unauthenticated.status == .unauthorized)
        }
    }

    @Test func authenticateWithoutAProviderUsesCredentials() async throws {
        try await AuthenticationTests.gateway().run { client in
            let body = #"{"userName":"alice","password":"\#(AuthenticationTests.alicePassword)"}"#
            let viaDTO = try await client.post("/api/Authenticate", body)
            #expect(viaDTO.status == .ok)
            let viaAuth = try await client.post("/api/auth", body)
            #expect(viaAuth.status == .ok)
            let viaLoginAlias = try await client.post("/api/auth/login", body)
            #expect(viaLoginAlias.status == .ok)
        }
    }

    @Test func credentialsRouteCurrentSessionAndLogoutLiveUnderTheBasePath() async throws {
        try await AuthenticationTests.gateway().run { client in
            let body = "UserName=alice&Password=\(AuthenticationTests.alicePassword)"
            let signedIn = try await client.post("/api/auth/credentials", body, contentType: "application/x-www-form-urlencoded")
            #expect(signedIn.status == .ok)
            let session = try #require(signedIn.json["sessionId"]?.string)
            let cookie: HTTPFields = [.cookie: "ss-id=\(session)"]
            let current = try await client.send("/api/auth", method: .get, headers: cookie, body: nil)
            #expect(current.status == .ok)
            #expect(current.json["userName"]?.string == "alice")
            let logout = try await client.send("/api/auth/logout", method: .post, headers: cookie, body: nil)
            #expect(logout.status == .ok)
            let after = try await client.send("/api/auth", method: .get, headers: cookie, body: nil)
            #expect(after.status == .unauthorized)
            #expect(after.json["responseStatus"]?["message"]?.string == ServiceStackAuth.notAuthenticated)
        }
    }

    @Test func theLogoutProviderEndsTheSession() async throws {
        try await AuthenticationTests.gateway().run { client in
            let session = try #require(try await AuthenticationTests.credentialsLogin(client).json["sessionId"]?.string)
            let cookie: HTTPFields = [.cookie: "ss-id=\(session)", .contentType: "application/json"]
            let logout = try await client.send("/api/Authenticate", method: .post, headers: cookie, body: .init(string: #"{"provider":"logout"}"#))
            #expect(logout.status == .ok)
            let after = try await client.post("/api/CreateServiceUser", Self.create, headers: [.cookie: "ss-id=\(session)"])
            #expect(after.status == .unauthorized)
        }
    }

    @Test func anUnknownProviderIsServiceStacks404() async throws {
        try await AuthenticationTests.gateway().run { client in
            let reply = try await client.post("/api/auth/github", "{}")
            #expect(reply.status == .notFound)
            #expect(reply.json["responseStatus"]?["message"]?.string == "No configuration was added for OAuth provider 'github'")
            let byBody = try await client.post("/api/Authenticate", #"{"provider":"<script>"}"#)
            #expect(byBody.status == .notFound)
            #expect(byBody.json["responseStatus"]?["message"]?.string == "No configuration was added for OAuth provider 'script'")
        }
    }

    @Test func aCredentialsLoginWithoutUserNameOrPasswordNamesBoth() async throws {
        try await AuthenticationTests.gateway().run { client in
            let reply = try await client.post("/api/Authenticate", #"{"provider":"credentials"}"#)
            #expect(reply.status == .badRequest)
            #expect(reply.json["responseStatus"]?["errorCode"]?.string == "NotEmpty")
            #expect(reply.json["responseStatus"]?["message"]?.string == "'User Name' must not be empty.")
            let fields = reply.json["responseStatus"]?["errors"]?.arrayValue?.compactMap { $0["fieldName"]?.string }
            #expect(fields == ["UserName", "Password"])
        }
    }

    @Test func anAuthenticateBodyThatDoesNotBindIs400() async throws {
        try await AuthenticationTests.gateway().run { client in
            let reply = try await client.post("/api/Authenticate", "{not json")
            #expect(reply.status == .badRequest)
            #expect(reply.json["responseStatus"]?["errorCode"]?.string == "SerializationException")
        }
    }

    // MARK: Cross-dialect reads

    @Test func aReadByEmailAddressFindsAUserCreatedThroughAnotherDialect() async throws {
        try await TestGateway().run { client in
            let created = try await client.post("/api/v1/audience", Samples.audience(email: "grace@example.com"))
            #expect(created.status == .ok)
            let read = try await client.get("\(Samples.cccPath)/single?EmailAddress=GRACE@example.com")
            #expect(read.status == .ok)
            #expect(read.json["serviceUser"]?["emailAddress"]?.string == "grace@example.com")
            let missing = try await client.get("\(Samples.cccPath)/single?EmailAddress=nobody@example.com")
            #expect(missing.status == .notFound)
        }
    }

    @Test func aServicesOwnUserWinsOverAnotherDialectsUserWithTheSameAddress() async throws {
        try await TestGateway().run { client in
            #expect(try await client.post("/api/v1/audience", Samples.audience(email: "ada@example.com")).status == .ok)
            let own = try await client.post(Samples.cccPath, Samples.ccc)
            let guid = try #require(own.json["serviceUserGuid"]?.string)
            let read = try await client.get("\(Samples.cccPath)/single?EmailAddress=ada@example.com")
            #expect(read.json["serviceUser"]?["serviceUserGuid"]?.string == guid)
        }
    }
}
