import DragomanCore
import DragomanTransport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// Idempotency keys over real HTTP: Telness's `X-Idempotency-Key` as the vendor documents it,
/// the IETF `Idempotency-Key` on every other dialect, on both store engines.
@Suite struct IdempotencyTests {
    static let telnessKey = HTTPField.Name("X-Idempotency-Key")!
    static let ietfKey = HTTPField.Name("Idempotency-Key")!
    static let replayed = HTTPField.Name("Idempotent-Replayed")!

    static func telness(_ key: String) -> HTTPFields { [telnessKey: key] }
    static func ietf(_ key: String) -> HTTPFields { [ietfKey: "\"\(key)\""] }

    // MARK: Telness

    @Test(arguments: StoreEngine.allCases)
    func telnessRetryReplaysTheFirstResponseExactly(engine: StoreEngine) async throws {
        try await TestGateway(engine: engine).run { client in
            let first = try await client.post("/users", Samples.telness, headers: Self.telness("order-1"))
            #expect(first.status == .created)
            let retry = try await client.post("/users", Samples.telness, headers: Self.telness("order-1"))
            #expect(retry.status == .created)
            #expect(retry.text == first.text)
            #expect(retry.headers[.contentType] == first.headers[.contentType])
            #expect(retry.headers[Self.replayed] == nil)
            // Without the key the same body is a duplicate: the retry above made no second user.
            let again = try await client.post("/users", Samples.telness)
            #expect(again.status == .conflict)
            #expect(again.json["code"]?.string == "USER_ALREADY_EXISTS")
        }
    }

    @Test func telnessWhitespaceAndKeyOrderAreNotAChange() async throws {
        try await TestGateway().run { client in
            let compact = #"{"name":"Ada Lovelace","email":"ada@example.com"}"#
            let spaced = "{\n  \"email\" : \"ada@example.com\",\n  \"name\" : \"Ada Lovelace\"\n}"
            let first = try await client.post("/users", compact, headers: Self.telness("k"))
            let retry = try await client.post("/users", spaced, headers: Self.telness("k"))
            #expect(first.status == .created)
            #expect(retry.status == .created)
            #expect(retry.text == first.text)
        }
    }

    @Test func telnessSameKeyDifferentRequestIsMismatch() async throws {
        try await TestGateway().run { client in
            let first = try await client.post("/users", Samples.telness, headers: Self.telness("k"))
            #expect(first.status == .created)
            let other = #"{"name":"Someone Else","email":"else@example.com"}"#
            let reply = try await client.post("/users", other, headers: Self.telness("k"))
            #expect(reply.status == .conflict)
            #expect(reply.json["code"]?.string == "idempotency_key_mismatch")
            #expect(reply.json["message"]?.string == "Idempotency key was already used with a different request")
            let read = try await client.get("/users/\(first.json["userId"]?.string ?? "")")
            #expect(read.status == .ok)
        }
    }

    @Test func telnessKeyLongerThan256IsRefusedNamingTheHeader() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post("/users", Samples.telness, headers: Self.telness(String(repeating: "k", count: 257)))
            #expect(reply.status == .badRequest)
            #expect(reply.json["details"]?[0]?["property"]?.string == "X-Idempotency-Key")
            let longest = try await client.post("/users", Samples.telness, headers: Self.telness(String(repeating: "k", count: 256)))
            #expect(longest.status == .created)
        }
    }

    @Test func telnessErrorsAreReplayedToo() async throws {
        try await TestGateway().run { client in
            let invalid = #"{"email":"ada@example.com"}"#
            let first = try await client.post("/users", invalid, headers: Self.telness("bad"))
            #expect(first.status == .badRequest)
            let retry = try await client.post("/users", invalid, headers: Self.telness("bad"))
            #expect(retry.status == .badRequest)
            #expect(retry.text == first.text)
        }
    }

    // MARK: IETF Idempotency-Key

    @Test(arguments: StoreEngine.allCases)
    func voltMXReplayIsMarked(engine: StoreEngine) async throws {
        try await TestGateway(engine: engine).run { client in
            let first = try await client.post("/api/v1/audience", Samples.audience, headers: Self.ietf("a-1"))
            #expect(first.status == .ok)
            #expect(first.headers[Self.replayed] == nil)
            let retry = try await client.post("/api/v1/audience", Samples.audience, headers: Self.ietf("a-1"))
            #expect(retry.status == .ok)
            #expect(retry.text == first.text)
            #expect(retry.headers[Self.replayed] == "true")
        }
    }

    @Test func voltMXMismatchIs422InVoltMXShape() async throws {
        try await TestGateway().run { client in
            _ = try await client.post("/api/v1/audience", Samples.audience, headers: Self.ietf("a-1"))
            let reply = try await client.post("/api/v1/audience", Samples.audience(email: "other@x.com"), headers: Self.ietf("a-1"))
            #expect(reply.status == .unprocessableContent)
            #expect(reply.json["message"]?.string?.contains("Idempotency-Key") == true)
        }
    }

    @Test func accessManagementReplayIsMarked() async throws {
        try await TestGateway().run { client in
            let first = try await client.post("/api/v1/accessmgmt/users", Samples.accessManagement, headers: Self.ietf("m-1"))
            #expect(first.status == .ok)
            let retry = try await client.post("/api/v1/accessmgmt/users", Samples.accessManagement, headers: Self.ietf("m-1"))
            #expect(retry.text == first.text)
            #expect(retry.headers[Self.replayed] == "true")
        }
    }

    @Test func aDifferentPasswordIsADifferentRequest() async throws {
        try await TestGateway().run { client in
            let first = try await client.post("/api/v1/accessmgmt/users", Samples.accessManagement, headers: Self.ietf("p-1"))
            #expect(first.status == .ok)
            let changed = Samples.accessManagement.replacingOccurrences(of: "VoltMX@123", with: "VoltMX@124")
            let reply = try await client.post("/api/v1/accessmgmt/users", changed, headers: Self.ietf("p-1"))
            #expect(reply.status == .unprocessableContent)
            #expect(!reply.text.contains("VoltMX@12"))
        }
    }

    @Test func cccFormAndJSONOfOneRequestAreTheSameRequest() async throws {
        try await TestGateway().run { client in
            let json = #"{"EmailAddress":"ada@example.com","Password":"pw with space","FirstName":"Ada","LastName":"Lovelace"}"#
            let form = "emailAddress=ada%40example.com&password=pw+with+space&firstName=Ada&lastName=Lovelace"
            let first = try await client.post(Samples.cccPath, json, headers: Self.ietf("c-1"))
            #expect(first.status == .ok)
            let retry = try await client.post(Samples.cccPath, form, contentType: "application/x-www-form-urlencoded", headers: Self.ietf("c-1"))
            #expect(retry.status == .ok)
            #expect(retry.text == first.text)
            #expect(retry.headers[Self.replayed] == "true")
        }
    }

    @Test func cccMismatchIs422InServiceStackShape() async throws {
        try await TestGateway().run { client in
            _ = try await client.post(Samples.cccPath, #"{"EmailAddress":"ada@example.com"}"#, headers: Self.ietf("c-1"))
            let reply = try await client.post(Samples.cccPath, #"{"EmailAddress":"bob@example.com"}"#, headers: Self.ietf("c-1"))
            #expect(reply.status == .unprocessableContent)
            #expect(reply.json["responseStatus"]?["errorCode"]?.string == "IdempotencyKeyMismatch")
            #expect(reply.json["responseStatus"]?["errors"]?[0]?["fieldName"]?.string == "Idempotency-Key")
        }
    }

    @Test func bareTokenKeysAreAcceptedAndMalformedOnesNamed() async throws {
        try await TestGateway().run { client in
            let bare = try await client.post("/api/v1/audience", Samples.audience, headers: [Self.ietfKey: "bare-token"])
            #expect(bare.status == .ok)
            let quoted = try await client.post("/api/v1/audience", Samples.audience, headers: [Self.ietfKey: "\"bare-token\""])
            #expect(quoted.headers[Self.replayed] == "true")
            for bad in ["\"unterminated", "two words", "\"\"", "a,b"] {
                let reply = try await client.post("/api/v1/audience", Samples.audience(email: "x@y.com"), headers: [Self.ietfKey: bad])
                #expect(reply.status == .badRequest, "\(bad)")
                #expect(reply.json["message"]?.string?.contains("Idempotency-Key") == true, "\(bad)")
            }
            var two = HTTPFields()
            two.append(HTTPField(name: Self.ietfKey, value: "\"a\""))
            two.append(HTTPField(name: Self.ietfKey, value: "\"b\""))
            let reply = try await client.post("/api/v1/audience", Samples.audience(email: "x@y.com"), headers: two)
            #expect(reply.status == .badRequest)
        }
    }

    @Test func sameKeyOnAnotherDialectIsAnotherRequest() async throws {
        try await TestGateway().run { client in
            _ = try await client.post("/api/v1/audience", Samples.audience, headers: Self.ietf("shared"))
            let reply = try await client.post("/api/v1/accessmgmt/users", Samples.accessManagement, headers: Self.ietf("shared"))
            #expect(reply.status == .unprocessableContent)
        }
    }

    // MARK: Scope

    @Test func keysAreScopedToThePrincipal() async throws {
        let bobKey = "dgm_bob_key_for_tests"
        let gateway = TestGateway { configuration in
            configuration.dialects[.telnessConnect]?.auth.schemes = [.apiKey]
            configuration.principals = [
                Principal(name: "alice", apiKeyHashes: [APIKey.digest(AuthenticationTests.aliceKey)]),
                Principal(name: "bob", apiKeyHashes: [APIKey.digest(bobKey)]),
            ]
        }
        try await gateway.run { client in
            let apiKey = HTTPField.Name("X-API-Key")!
            let alice = try await client.post("/users", Samples.telness, headers: [apiKey: AuthenticationTests.aliceKey, Self.telnessKey: "same"])
            #expect(alice.status == .created)
            let other = #"{"name":"Bob Builder","email":"bob@example.com"}"#
            let bob = try await client.post("/users", other, headers: [apiKey: bobKey, Self.telnessKey: "same"])
            #expect(bob.status == .created)
            #expect(bob.json["userId"] != alice.json["userId"])
        }
    }

    // MARK: In flight, server errors and forwarding

    @Test func secondRequestWhileTheFirstRunsIsLockedAndServerErrorsAreNotRecorded() async throws {
        let calls = NIOLockedValueBox(0)
        // The backend holds the first call until the test has seen the second refused, so
        // "while the first runs" does not depend on how loaded the machine is (fixed waits
        // flaked under CI load: a 504 once, and once the second request came too late).
        let released = NIOLockedValueBox(false)
        try await UpstreamFaultTests.withBackend({ _ in
            let call = calls.withLockedValue {
                $0 += 1
                return $0
            }
            if call == 1 {
                for _ in 0..<3000 where !released.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
            }
            return Response(status: .internalServerError)
        }) { port in
            // Two connections, so the second request arrives while the first is still running.
            try await UpstreamFaultTests.front(port: port) { $0.requestTimeout = 60 }.run(setup: .ahc(.http)) { client in
                async let first = client.post("/users", UpstreamFaultTests.create, headers: Self.telness("slow"))
                // Once the backend has the first request, its key is claimed.
                for _ in 0..<3000 where calls.withLockedValue({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(10)) }
                #expect(calls.withLockedValue { $0 } == 1)
                let locked = try await client.post("/users", UpstreamFaultTests.create, headers: Self.telness("slow"))
                released.withLockedValue { $0 = true }
                #expect(locked.status == .conflict)
                #expect(locked.json["code"]?.string == "idempotency_key_locked")
                #expect(locked.headers[.retryAfter] == "1")
                let failed = try await first
                #expect(failed.status == .internalServerError)
                // A 5xx released the key: the retry runs again instead of replaying the failure.
                let retried = try await client.post("/users", UpstreamFaultTests.create, headers: Self.telness("slow"))
                #expect(retried.status == .internalServerError)
                #expect(calls.withLockedValue { $0 } == 2)
            }
        }
    }

    @Test func forwardedCreatesCarryABackendKeyAndAreRetriedAfterABrokenConnection() async throws {
        let seen = NIOLockedValueBox<[String]>([])
        try await UpstreamFaultTests.withBackend({ request in
            let key = request.headers[Self.ietfKey] ?? "(none)"
            let first = seen.withLockedValue { keys in
                keys.append(key)
                return keys.filter { $0 == key }.count == 1
            }
            if first {
                // The backend did the work, then the connection broke before the answer arrived.
                return Response(
                    status: .ok, headers: [.contentLength: "100"],
                    body: ResponseBody { writer in
                        try await writer.write(ByteBuffer(string: "{\"id\""))
                        throw CancellationError()
                    })
            }
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"id":"42"}"#)))
        }) { port in
            try await UpstreamFaultTests.front(port: port) { $0.requestTimeout = 5 }.run { client in
                let reply = try await client.post("/users", UpstreamFaultTests.create, headers: Self.telness("caller-key"))
                #expect(reply.status == .created)
                let keyless = try await client.post("/users", #"{"name":"Bo Bo","email":"b@x.com"}"#)
                #expect(keyless.status == .created)
            }
        }
        let keys = seen.withLockedValue { $0 }
        #expect(keys.count == 4)
        #expect(keys[0] == keys[1])
        #expect(keys[2] == keys[3])
        #expect(keys[0] != keys[2])
        #expect(keys.allSatisfy { $0.hasPrefix("\"dgm-") && $0.hasSuffix("\"") })
        #expect(!keys[0].contains("caller-key"))
    }

    @Test func aRetriedForwardedCreateReplaysAtTheRealBackend() async throws {
        try await ForwardingTests.withPair(caller: .voltMXAudience, backend: .telnessConnect) { front, back in
            let first = try await front.post("/api/v1/audience", Samples.audience, headers: Self.ietf("f-1"))
            #expect(first.status == .ok)
            let retry = try await front.post("/api/v1/audience", Samples.audience, headers: Self.ietf("f-1"))
            #expect(retry.text == first.text)
            #expect(retry.headers[Self.replayed] == "true")
            // The backend holds one user.
            let again = try await back.post("/users", #"{"name":"Latha Ganesh","email":"latha.ganesh@voltmx.com"}"#)
            #expect(again.status == .conflict)
        }
    }

    // MARK: Sweeping

    @Test func theJanitorSweepsExpiredRecords() async throws {
        try await StoreEngine.sqlite.withStore { store in
            guard case .claimed(let claim) = try await store.claim(StoreConformanceTests.keyed(), now: Date()) else {
                Issue.record("claim")
                return
            }
            try await store.complete(claim, response: StoreConformanceTests.answer, expiresAt: Date().addingTimeInterval(-1))
            await StoreJanitor(store: store, logger: .init(label: "test")).sweep(now: Date())
            #expect(try await store.deleteExpiredIdempotencyRecords(now: Date().addingTimeInterval(3600)) == 0)
        }
    }
}
