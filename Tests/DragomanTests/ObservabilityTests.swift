import DragomanCore
import DragomanTransport
import Foundation
import HTTPTypes
import HummingbirdTesting
import InMemoryLogging
import Logging
import NIOCore
import Synchronization
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// Request ids, access lines, JSON log lines and health, as an operator sees them.
@Suite struct ObservabilityTests {
    static func capturing() -> (Logger, InMemoryLogHandler) {
        let handler = InMemoryLogHandler()
        var logger = Logger(label: "test") { _ in handler }
        logger.logLevel = .trace
        return (logger, handler)
    }

    static func accessLines(_ handler: InMemoryLogHandler) -> [Logger.Metadata] {
        handler.entries.filter { $0.metadata["dragoman.access"] != nil }.map(\.metadata)
    }

    static let requestID = HTTPField.Name("X-Request-Id")!

    @Test func everyRequestGetsOneAccessLineWithWhatThePipelineLearnt() async throws {
        let (logger, handler) = Self.capturing()
        try await AuthenticationTests.gateway().run(logger: logger) { client in
            var headers = AuthenticationTests.basic("alice", AuthenticationTests.alicePassword)
            headers[Self.requestID] = "trace-42.a:b_c"
            headers[.contentType] = "application/json"
            let reply = try await client.send("/api/v1/audience", method: .post, headers: headers, body: ByteBuffer(string: Samples.audience))
            #expect(reply.status == .ok)
            #expect(reply.headers[Self.requestID] == "trace-42.a:b_c")
        }
        let lines = Self.accessLines(handler)
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line["dragoman.request.id"] == "trace-42.a:b_c")
        #expect(line["http.method"] == "POST")
        #expect(line["http.route"] == "/api/v1/audience")
        #expect(line["http.status"] == "200")
        #expect(line["dragoman.dialect"] == "voltmx-audience")
        #expect(line["dragoman.operation"] == "create")
        #expect(line["dragoman.principal"] == "alice")
        #expect(line["duration_ms"].map { Double("\($0)") != nil } == true)
        // The other lines of the request carry its id too.
        #expect(handler.entries.filter { $0.metadata["dragoman.request.id"] == "trace-42.a:b_c" }.count >= 1)
    }

    @Test func aLineWrittenWhileARequestRunsCarriesItsIDDialectAndPrincipal() async throws {
        let (logger, handler) = Self.capturing()
        try await AuthenticationTests.gateway().run(logger: logger) { client in
            var headers = AuthenticationTests.basic("alice", "wrong password")
            headers[Self.requestID] = "refused-9"
            headers[.contentType] = "application/json"
            let reply = try await client.send("/api/v1/audience", method: .post, headers: headers, body: ByteBuffer(string: Samples.audience))
            #expect(reply.status == .unauthorized)
        }
        let refusal = try #require(handler.entries.first { $0.message.description == "Authentication failed" })
        #expect(refusal.metadata["dragoman.request.id"] == "refused-9")
        #expect(refusal.metadata["dragoman.dialect"] == "voltmx-audience")
    }

    @Test func theRequestMetadataIsReadFromTheRunningRequestOnly() {
        let handler = InMemoryLogHandler()
        var logger = Logger(label: "test") { _ in handler }
        logger.handler.metadataProvider = RequestRecord.metadataProvider
        let record = RequestRecord(requestID: "r-7")
        record.update { facts in
            facts.dialect = "telness-connect"
            facts.principal = "bench"
        }
        RequestRecord.$current.withValue(record) { logger.info("inside") }
        logger.info("outside")
        let inside = handler.entries.first { $0.message.description == "inside" }
        #expect(inside?.metadata["dragoman.request.id"] == "r-7")
        #expect(inside?.metadata["dragoman.dialect"] == "telness-connect")
        #expect(inside?.metadata["dragoman.principal"] == "bench")
        let outside = handler.entries.first { $0.message.description == "outside" }
        #expect(outside?.metadata["dragoman.request.id"] == nil)
    }

    @Test func aMalformedRequestIDIsReplacedByANewOne() async throws {
        try await TestGateway().run { client in
            for bad in ["has space", String(repeating: "x", count: 129), "é"] {
                let reply = try await client.send("/health/live", method: .get, headers: [Self.requestID: bad], body: nil)
                let minted = try #require(reply.headers[Self.requestID])
                #expect(minted != bad)
                #expect(minted.count == 32 && minted.allSatisfy(\.isHexDigit))
            }
        }
    }

    @Test func aMintedRequestIDKeepsLeadingZerosIn32HexDigits() {
        #expect(RequestIDs.hex(0x3f, 0xa) == "000000000000003f" + "000000000000000a")
        #expect(RequestIDs.hex(.max, 0) == String(repeating: "f", count: 16) + String(repeating: "0", count: 16))
        let minted = RequestRecord.requestID(from: "has space")
        #expect(minted.count == 32 && minted.allSatisfy { $0.isHexDigit && !$0.isUppercase })
    }

    @Test func mintedRequestIDsDifferFromOneRequestToTheNext() {
        let ids = (0..<1000).map { _ in RequestIDs.mint() }
        #expect(Set(ids).count == ids.count)
    }

    @Test func everyAnswerCarriesTheDateAndTheServer() async throws {
        try await TestGateway().run { client in
            for path in ["/health/live", "/no/such/path"] {
                let reply = try await client.get(path)
                #expect(reply.headers[.server] == "dragoman")
                let date = try #require(reply.headers[.date])
                #expect(date.hasSuffix(" GMT") && date.count == 29)
            }
        }
    }

    @Test func theDateHeaderIsRFC9110sIMFFixdate() {
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(1_796_428_805) == "Sat, 05 Dec 2026 00:00:05 GMT")
    }

    @Test func theRouteTemplateIsLoggedNeverTheRawPath() async throws {
        let (logger, handler) = Self.capturing()
        try await TestGateway().run(logger: logger) { client in
            _ = try await client.get("/users/0b3a6a2e-5d41-4c43-9c37-4f3b0c6f0a11?email=ada@example.com")
            _ = try await client.get("/no/such/path")
        }
        let routes = Self.accessLines(handler).compactMap { $0["http.route"].map { "\($0)" } }
        #expect(routes == ["/users/{userId}", "NotFound"])
        let logged = handler.entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(!logged.contains("0b3a6a2e"))
        #expect(!logged.contains("ada@example.com"))
    }

    @Test func aForwardedRequestCarriesItsIDToTheBackendAndTheLineNamesTheUpstream() async throws {
        let (backLogger, backHandler) = Self.capturing()
        let (frontLogger, frontHandler) = Self.capturing()
        try await TestGateway().run(logger: backLogger) { back in
            let upstream = ForwardingTests.upstream(port: back.port!, dialect: .telnessConnect)
            try await ForwardingTests.front(.voltMXAudience, upstream).run(logger: frontLogger) { front in
                var headers: HTTPFields = [.contentType: "application/json", Self.requestID: "bridge-7"]
                headers[.accept] = "application/json"
                let reply = try await front.send("/api/v1/audience", method: .post, headers: headers, body: ByteBuffer(string: Samples.audience))
                #expect(reply.status == .ok, "\(reply.text)")
            }
        }
        let frontLine = try #require(Self.accessLines(frontHandler).first)
        #expect(frontLine["dragoman.upstream"] == "backend")
        #expect(frontLine["dragoman.upstream.status"] == "201")
        #expect(frontLine["dragoman.upstream.duration_ms"] != nil)
        let backLine = try #require(Self.accessLines(backHandler).first)
        #expect(backLine["dragoman.request.id"] == "bridge-7")
        #expect(backLine["dragoman.dialect"] == "telness-connect")
    }

    @Test func noSecretOrBodyReachesTheLogs() async throws {
        let (logger, handler) = Self.capturing()
        let password = "Sup3rSecret!Pass"
        try await AuthenticationTests.gateway().run(logger: logger) { client in
            let basic = AuthenticationTests.basic("alice", AuthenticationTests.alicePassword)
            _ = try await client.send("/api/v1/audience/1", method: .get, headers: basic, body: nil)
            _ = try await client.send("/api/v1/audience/1", method: .get, headers: AuthenticationTests.basic("alice", "Wr0ng-\(password)"), body: nil)
            _ = try await client.send("/users/x", method: .get, headers: [HTTPField.Name("X-API-Key")!: AuthenticationTests.aliceKey], body: nil)
            _ = try await client.send(Samples.cccPath, method: .get, headers: [.authorization: "Bearer \(AuthenticationTests.aliceKey)"], body: nil)
            let session = try #require(try await AuthenticationTests.credentialsLogin(client).json["sessionId"]?.string)
            let ccc = #"{"emailAddress":"a@b.com","password":"\#(password)","firstName":"Quixotic","lastName":"Zebra"}"#
            _ = try await client.post(Samples.cccPath, ccc, headers: [.cookie: "ss-id=\(session)"])
            _ = try await client.post("/api/auth/credentials", #"{"UserName":"alice","Password":"\#(password)"}"#)
            let logged = handler.entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
            #expect(!logged.isEmpty)
            for secret in [password, AuthenticationTests.alicePassword, AuthenticationTests.aliceKey, session, "Quixotic", "a@b.com"] {
                #expect(!logged.contains(secret), "\(secret) was logged")
            }
        }
    }

    @Test func jsonLinesHoldTheMessageAndTheMetadata() throws {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "dragoman") { label in JSONLogHandler(label: label) { line in lines.withLock { $0.append(line) } } }
        logger[metadataKey: "dragoman.request.id"] = "r1"
        logger.info("request", metadata: ["http.status": "200", "note": "a \"quoted\"\nline"])
        let line = try #require(lines.withLock { $0.first })
        #expect(line.hasSuffix("\n") && line.dropLast().contains("\n") == false)
        let object = try JSONDecoder().decode([String: String].self, from: Data(line.utf8))
        #expect(object["message"] == "request")
        #expect(object["level"] == "info")
        #expect(object["dragoman.request.id"] == "r1")
        #expect(object["http.status"] == "200")
        #expect(object["note"] == "a \"quoted\"\nline")
        #expect(object["time"]?.hasSuffix("Z") == true)
    }

    // MARK: Health

    @Test func livenessAndReadinessNeedNoCredentialAndReportTheStoreAndUpstreams() async throws {
        let gateway = AuthenticationTests.gateway { configuration in
            configuration.upstreams["legacy"] = UpstreamConfiguration(name: "legacy", baseURL: "http://127.0.0.1:9", dialect: .telnessConnect)
        }
        try await gateway.run { client in
            let live = try await client.get("/health/live")
            #expect(live.status == .ok)
            #expect(live.json["status"]?.string == "live")
            let ready = try await client.get("/health/ready")
            #expect(ready.status == .ok)
            #expect(ready.json["status"]?.string == "ready")
            #expect(ready.json["store"]?.string == "ok")
            #expect(ready.json["upstreams"]?["legacy"]?.string == "closed")
            #expect(ready.headers[.cacheControl] == "no-store")
        }
    }

    @Test func readinessTurns503WhileDraining() async throws {
        let lifecycle = GatewayLifecycle()
        let gateway = TestGateway()
        let app = try await buildApplication(configuration: gateway.configuration, lifecycle: lifecycle)
        try await app.test(.live) { client in
            #expect(try await client.get("/health/ready").status == .ok)
            lifecycle.beginDraining()
            let draining = try await client.get("/health/ready")
            #expect(draining.status == .serviceUnavailable)
            #expect(draining.json["status"]?.string == "draining")
            #expect(try await client.get("/health/live").status == .ok)
        }
    }
}
