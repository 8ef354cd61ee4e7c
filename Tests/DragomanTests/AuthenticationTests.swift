import DragomanCore
import DragomanTransport
import Foundation
import HTTPTypes
import HummingbirdBcrypt
import HummingbirdTesting
import InMemoryLogging
import Logging
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// The authentication chain over real HTTP: each scheme, each dialect's 401, order and no
/// fall-through, sessions, CSRF, the verified-password cache, and logs free of secrets
/// (throttling: ``SignInThrottleTests``).
@Suite struct AuthenticationTests {
    static let alicePassword = "alice-Pa55word"
    static let aliceKey = "dgm_alice_key_for_tests"
    static let aliceHash = Bcrypt.hash(alicePassword, cost: 4)

    static func gateway(_ adjust: @escaping (inout GatewayConfiguration) -> Void = { _ in }) -> TestGateway {
        TestGateway { configuration in
            for id in DialectRegistry.standard.ids { configuration.dialects[id]?.auth.schemes = id.defaultSchemes }
            configuration.principals = [Principal(name: "alice", passwordHash: aliceHash, apiKeyHashes: [APIKey.digest(aliceKey)])]
            adjust(&configuration)
        }
    }

    /// The gateway, throttling sign-ins after `maxFailures` with a first wait of a minute, so
    /// that a slow machine cannot outwait it between a test's requests.
    static func throttledGateway(after maxFailures: Int) -> TestGateway {
        gateway {
            $0.throttleMaxFailures = maxFailures
            $0.throttleFirstBackoff = 60
        }
    }

    static func basic(_ user: String, _ password: String) -> HTTPFields {
        [.authorization: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
    }

    static func challenges(_ reply: Reply) -> [String] { reply.headers[values: .wwwAuthenticate] }

    // MARK: Basic

    @Test func basicCredentialsPassOnVoltMX() async throws {
        try await Self.gateway().run { client in
            let reply = try await client.post("/api/v1/audience", Samples.audience, headers: Self.basic("alice", Self.alicePassword))
            #expect(reply.status == .ok)
        }
    }

    @Test(arguments: StoreEngine.allCases)
    func theCreatingPrincipalIsRecordedAndShownInAccessManagementReads(engine: StoreEngine) async throws {
        let gateway = TestGateway(engine: engine) { configuration in
            for id in DialectRegistry.standard.ids { configuration.dialects[id]?.auth.schemes = id.defaultSchemes }
            configuration.principals = [Principal(name: "alice", passwordHash: Self.aliceHash, apiKeyHashes: [APIKey.digest(Self.aliceKey)])]
        }
        try await gateway.run { client in
            let created = try await client.post("/api/v1/accessmgmt/users", Samples.accessManagement, headers: Self.basic("alice", Self.alicePassword))
            #expect(created.status == .ok)
            let id = created.json["id"]?.string ?? ""
            var headers = Self.basic("alice", Self.alicePassword)
            headers[.accept] = "application/json"
            let read = try await client.send("/api/v1/accessmgmt/users/\(id)", method: .get, headers: headers, body: nil)
            #expect(read.status == .ok)
            #expect(read.json["createdBy"]?.string == "alice")
            #expect(read.json["lastModifiedBy"]?.string == "alice")
        }
    }

    @Test func missingCredentialsGetTheVoltMX401() async throws {
        try await Self.gateway().run { client in
            let reply = try await client.post("/api/v1/accessmgmt/users", Samples.accessManagement)
            #expect(reply.status == .unauthorized)
            #expect(reply.json == .object(["message": .string("Unauthorized request")]))
            let challenges = Self.challenges(reply)
            #expect(challenges.count == 2)
            #expect(challenges.first?.hasPrefix("Basic realm=\"dragoman\"") == true)
            #expect(challenges.last?.hasPrefix("Session") == true)
            let result1 = try await client.get("/api/v1/audience/1")
            #expect(result1.status == .unauthorized)
        }
    }

    @Test(arguments: [("alice", "wrong"), ("nobody", alicePassword), ("alice", "")])
    func wrongBasicCredentialsAre401(user: String, password: String) async throws {
        try await Self.gateway().run { client in
            let reply = try await client.post("/api/v1/audience", Samples.audience, headers: Self.basic(user, password))
            #expect(reply.status == .unauthorized)
            #expect(reply.json["message"]?.string == "Unauthorized request")
        }
    }

    @Test func malformedBasicHeaderIs401() async throws {
        try await Self.gateway().run { client in
            let reply = try await client.post("/api/v1/audience", Samples.audience, headers: [.authorization: "Basic %%%"])
            #expect(reply.status == .unauthorized)
        }
    }

    // MARK: API key

    @Test(arguments: ["X-API-Key", "x-api-key", "X-Api-Key"])
    func apiKeyHeaderPassesOnTelnessInAnyCase(header: String) async throws {
        try await Self.gateway().run { client in
            let reply = try await client.post("/users", Samples.telness, headers: [HTTPField.Name(header)!: Self.aliceKey])
            #expect(reply.status == .created)
        }
    }

    @Test func telness401UsesItsEnvelope() async throws {
        try await Self.gateway().run { client in
            let missing = try await client.post("/users", Samples.telness)
            #expect(missing.status == .unauthorized)
            #expect(missing.json["code"]?.string == "UNAUTHORIZED")
            #expect(Self.challenges(missing) == ["ApiKey realm=\"dragoman\", header=\"X-API-Key\""])
            let wrong = try await client.post("/users", Samples.telness, headers: [HTTPField.Name("X-API-Key")!: "dgm_wrong"])
            #expect(wrong.status == .unauthorized)
            #expect(wrong.json["message"]?.string == "Invalid API key")
        }
    }

    @Test func apiKeyHeaderNameIsConfigurable() async throws {
        try await Self.gateway { $0.dialects[.telnessConnect]?.auth.apiKeyHeader = HTTPField.Name("X-Connect-Key")! }.run { client in
            let result2 = try await client.post("/users", Samples.telness, headers: [HTTPField.Name("X-API-Key")!: Self.aliceKey])
            #expect(result2.status == .unauthorized)
            let reply = try await client.post("/users", Samples.telness, headers: [HTTPField.Name("x-connect-key")!: Self.aliceKey])
            #expect(reply.status == .created)
        }
    }

    @Test func cccAcceptsTheKeyAsBearerOrAsBasicUserName() async throws {
        try await Self.gateway().run { client in
            let bearer = try await client.post(Samples.cccPath, Samples.ccc, headers: [.authorization: "Bearer \(Self.aliceKey)"])
            #expect(bearer.status == .ok)
            let second = Samples.ccc.replacingOccurrences(of: "ada@", with: "bob@")
            let basic = try await client.post(Samples.cccPath, second, headers: Self.basic(Self.aliceKey, ""))
            #expect(basic.status == .ok)
        }
    }

    /// Only CCC's clients send an API key as the Basic user name; elsewhere that header is a
    /// password login with an empty password, refused like any wrong password.
    @Test func anAPIKeyAsTheBasicUserNameIsRefusedOutsideCCC() async throws {
        try await Self.gateway().run { client in
            let reply = try await client.post("/api/v1/audience", Samples.audience, headers: Self.basic(Self.aliceKey, ""))
            #expect(reply.status == .unauthorized)
            let registry = DialectRegistry.standard
            #expect(registry.registrations.filter(\.basicUserNameIsAPIKey).map(\.id) == [.deliverySlipCCC])
        }
    }

    @Test func ccc401UsesServiceStackTexts() async throws {
        try await Self.gateway().run { client in
            let missing = try await client.post(Samples.cccPath, Samples.ccc)
            #expect(missing.status == .unauthorized)
            #expect(missing.json["responseStatus"]?["errorCode"]?.string == "Unauthorized")
            #expect(missing.json["responseStatus"]?["message"]?.string == "Not Authenticated")
            #expect(Self.challenges(missing).count == 3)
            let wrong = try await client.post(Samples.cccPath, Samples.ccc, headers: [.authorization: "Bearer nope"])
            #expect(wrong.json["responseStatus"]?["message"]?.string == "ApiKey does not exist")
        }
    }

    @Test func theSessionChallengeNamesEveryRegisteredLogin() async throws {
        try await Self.gateway().run { client in
            let missing = try await client.post(Samples.cccPath, Samples.ccc)
            let session = try #require(Self.challenges(missing).first { $0.hasPrefix("Session ") })
            #expect(session == #"Session realm="dragoman", login="/login", credentials="/api/auth/credentials""#)
        }
    }

    // MARK: The chain

    @Test func firstRecognisedCredentialDecidesWithoutFallThrough() async throws {
        try await Self.gateway { $0.dialects[.telnessConnect]?.auth.schemes = [.basic, .apiKey] }.run { client in
            var wrongBasicGoodKey = Self.basic("alice", "wrong")
            wrongBasicGoodKey[HTTPField.Name("X-API-Key")!] = Self.aliceKey
            let result3 = try await client.post("/users", Samples.telness, headers: wrongBasicGoodKey)
            #expect(result3.status == .unauthorized)
            var goodBasicWrongKey = Self.basic("alice", Self.alicePassword)
            goodBasicWrongKey[HTTPField.Name("X-API-Key")!] = "dgm_wrong"
            let result4 = try await client.post("/users", Samples.telness, headers: goodBasicWrongKey)
            #expect(result4.status == .created)
        }
    }

    @Test func schemesOutsideTheChainAreNotAccepted() async throws {
        try await Self.gateway().run { client in
            let reply = try await client.post("/users", Samples.telness, headers: Self.basic("alice", Self.alicePassword))
            #expect(reply.status == .unauthorized)
        }
    }

    @Test func openRoutesNeedNoCredential() async throws {
        try await Self.gateway { $0.dialects[.telnessConnect]?.auth.schemes = [] }.run { client in
            let result5 = try await client.post("/users", Samples.telness)
            #expect(result5.status == .created)
            let result6 = try await client.post("/api/v1/audience", Samples.audience)
            #expect(result6.status == .unauthorized)
        }
    }

    // MARK: ServiceStack sessions

    static func credentialsLogin(_ client: any TestClientProtocol, rememberMe: Bool = false) async throws -> Reply {
        let body = #"{"UserName":"alice","Password":"\#(alicePassword)","RememberMe":\#(rememberMe)}"#
        return try await client.post("/auth/credentials", body)
    }

    static func cookie(_ reply: Reply, _ name: String) -> String? {
        reply.headers[values: .setCookie].first { $0.hasPrefix("\(name)=") }
    }

    @Test func credentialsLoginAnswersServiceStackAndSetsItsCookies() async throws {
        try await Self.gateway().run { client in
            let reply = try await Self.credentialsLogin(client)
            #expect(reply.status == .ok)
            let session = try #require(reply.json["sessionId"]?.string)
            #expect(reply.json["userName"]?.string == "alice")
            #expect(Self.cookie(reply, "ss-id")?.hasPrefix("ss-id=\(session);") == true)
            #expect(Self.cookie(reply, "ss-id")?.contains("HttpOnly") == true)
            #expect(Self.cookie(reply, "ss-id")?.contains("SameSite=Lax") == true)
            #expect(Self.cookie(reply, "ss-pid") != nil)
            #expect(Self.cookie(reply, "ss-opt")?.hasPrefix("ss-opt=temp") == true)
            let remembered = try await Self.credentialsLogin(client, rememberMe: true)
            #expect(Self.cookie(remembered, "ss-opt")?.hasPrefix("ss-opt=perm") == true)
            #expect(remembered.json["sessionId"] != reply.json["sessionId"])
        }
    }

    @Test func sessionCookieOrHeaderAuthenticatesCCC() async throws {
        try await Self.gateway().run { client in
            let session = try #require(try await Self.credentialsLogin(client).json["sessionId"]?.string)
            let byCookie = try await client.post(Samples.cccPath, Samples.ccc, headers: [.cookie: "ss-id=\(session)"])
            #expect(byCookie.status == .ok)
            let second = Samples.ccc.replacingOccurrences(of: "ada@", with: "bob@")
            let byHeader = try await client.post(Samples.cccPath, second, headers: [HTTPField.Name("X-ss-id")!: session])
            #expect(byHeader.status == .ok)
            let current = try await client.send("/auth", method: .get, headers: [.cookie: "ss-id=\(session)"], body: nil)
            #expect(current.status == .ok)
        }
    }

    @Test func wrongCredentialsLoginIs401() async throws {
        try await Self.gateway().run { client in
            let reply = try await client.post("/auth/credentials", "UserName=alice&Password=nope", contentType: "application/x-www-form-urlencoded")
            #expect(reply.status == .unauthorized)
            #expect(reply.json["responseStatus"]?["message"]?.string == "Invalid Username or Password")
            #expect(Self.cookie(reply, "ss-id") == nil)
        }
    }

    @Test func logoutEndsTheSession() async throws {
        try await Self.gateway().run { client in
            let session = try #require(try await Self.credentialsLogin(client).json["sessionId"]?.string)
            let logout = try await client.send("/auth/logout", method: .post, headers: [.cookie: "ss-id=\(session)"], body: nil)
            #expect(logout.status == .ok)
            #expect(Self.cookie(logout, "ss-id")?.contains("Max-Age=0") == true)
            let after = try await client.post(Samples.cccPath, Samples.ccc, headers: [.cookie: "ss-id=\(session)"])
            #expect(after.status == .unauthorized)
            let result7 = try await client.send("/auth", method: .get, headers: [.cookie: "ss-id=\(session)"], body: nil)
            #expect(result7.status == .unauthorized)
        }
    }

    @Test func sessionsExpire() async throws {
        try await Self.gateway { $0.sessionTTL = 1 }.run { client in
            let session = try #require(try await Self.credentialsLogin(client).json["sessionId"]?.string)
            try await Task.sleep(for: .milliseconds(1200))
            let reply = try await client.post(Samples.cccPath, Samples.ccc, headers: [.cookie: "ss-id=\(session)"])
            #expect(reply.status == .unauthorized)
        }
    }

    @Test func sessionsSurviveARestart() async throws {
        let gateway = Self.gateway()
        let box = SessionBox()
        try await gateway.run { client in
            await box.set(try await Self.credentialsLogin(client).json["sessionId"]?.string)
        }
        let session = try #require(await box.value)
        try await gateway.run { client in
            let reply = try await client.post(Samples.cccPath, Samples.ccc, headers: [HTTPField.Name("X-ss-id")!: session])
            #expect(reply.status == .ok)
        }
    }

    // MARK: Form login

    static func formLogin(_ client: any TestClientProtocol, tamper: Bool = false, password: String = alicePassword) async throws -> Reply {
        let page = try await client.get("/login")
        let token = try #require(
            page.text.range(of: #"name="csrf" value="[^"]+""#, options: .regularExpression).map {
                String(page.text[$0].dropFirst(#"name="csrf" value=""#.count).dropLast())
            })
        let cookie = try #require(Self.cookie(page, "dragoman-csrf")?.split(separator: ";").first.map(String.init))
        let form = "username=alice&password=\(password)&csrf=\(tamper ? "forged" : token)"
        return try await client.post("/login", form, contentType: "application/x-www-form-urlencoded", headers: [.cookie: cookie])
    }

    @Test func formLoginSetsASessionCookieThatAuthenticatesVoltMX() async throws {
        try await Self.gateway().run { client in
            let page = try await client.get("/login")
            #expect(page.status == .ok)
            #expect(page.text.contains("<form method=\"post\" action=\"/login\">"))
            let login = try await Self.formLogin(client)
            #expect(login.status == .ok)
            let cookie = try #require(Self.cookie(login, "dragoman-session"))
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"))
            #expect(!cookie.contains("Secure"))
            let value = try #require(cookie.split(separator: ";").first.map(String.init))
            let reply = try await client.post("/api/v1/audience", Samples.audience, headers: [.cookie: value])
            #expect(reply.status == .ok)
        }
    }

    @Test func formLoginWithoutTheCSRFTokenIsRefused() async throws {
        try await Self.gateway().run { client in
            let forged = try await Self.formLogin(client, tamper: true)
            #expect(forged.status == .forbidden)
            #expect(Self.cookie(forged, "dragoman-session") == nil)
            let noCookie = try await client.post(
                "/login", "username=alice&password=\(Self.alicePassword)&csrf=x", contentType: "application/x-www-form-urlencoded")
            #expect(noCookie.status == .forbidden)
        }
    }

    @Test func formLoginWithAWrongPasswordIs401() async throws {
        try await Self.gateway().run { client in
            let reply = try await Self.formLogin(client, password: "wrong")
            #expect(reply.status == .unauthorized)
            #expect(Self.cookie(reply, "dragoman-session") == nil)
        }
    }

    @Test func sessionCookieIsSecureBehindTLS() async throws {
        try await Self.gateway().run { client in
            let page = try await client.send("/login", method: .get, headers: [HTTPField.Name("X-Forwarded-Proto")!: "https"], body: nil)
            #expect(Self.cookie(page, "dragoman-csrf")?.contains("Secure") == true)
        }
    }

    @Test func formLogoutEndsTheSession() async throws {
        try await Self.gateway().run { client in
            let login = try await Self.formLogin(client)
            let value = try #require(Self.cookie(login, "dragoman-session")?.split(separator: ";").first.map(String.init))
            _ = try await client.send("/logout", method: .post, headers: [.cookie: value], body: nil)
            let result8 = try await client.post("/api/v1/audience", Samples.audience, headers: [.cookie: value])
            #expect(result8.status == .unauthorized)
        }
    }

    // MARK: Secrets

    @Test func verifiedPasswordsAreCachedUnderADigest() async throws {
        let store = try await SQLiteUserStore.open(path: TestGateway().configuration.storePath, logger: Logger(label: "test"))
        let verifier = CredentialVerifier(
            directory: PrincipalDirectory([Principal(name: "alice", passwordHash: Self.aliceHash)]),
            sessions: store,
            cacheTTL: 60
        )
        #expect(await verifier.verifyPassword(user: "alice", password: Self.alicePassword)?.name == "alice")
        #expect(verifier.cachedKeys.count == 1)
        #expect(verifier.cachedKeys.allSatisfy { $0.count == 64 && !$0.contains(Self.alicePassword) })
        #expect(await verifier.verifyPassword(user: "alice", password: Self.alicePassword)?.name == "alice")
        #expect(await verifier.verifyPassword(user: "alice", password: "wrong") == nil)
        #expect(verifier.cachedKeys.count == 1)
        try await store.close()
    }

    @Test func secretsNeverReachTheLogButThePrincipalDoes() async throws {
        let handler = InMemoryLogHandler()
        var logger = Logger(label: "test") { _ in handler }
        logger.logLevel = .trace
        try await Self.gateway().run(logger: logger) { client in
            _ = try await client.post("/api/v1/audience", Samples.audience, headers: Self.basic("alice", Self.alicePassword))
            _ = try await client.post("/api/v1/audience", Samples.audience, headers: Self.basic("alice", "wrong-\(Self.alicePassword)"))
            _ = try await client.post("/users", Samples.telness, headers: [HTTPField.Name("X-API-Key")!: Self.aliceKey])
            _ = try await Self.credentialsLogin(client)
            _ = try await Self.formLogin(client)
        }
        let logged = handler.entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(logged.contains("alice"))
        #expect(!logged.contains(Self.alicePassword))
        #expect(!logged.contains(Self.aliceKey))
        #expect(!logged.contains(Data("alice:\(Self.alicePassword)".utf8).base64EncodedString()))
    }
}

/// Carries a value out of a `run` closure.
actor SessionBox {
    var value: String?
    func set(_ value: String?) { self.value = value }
}
