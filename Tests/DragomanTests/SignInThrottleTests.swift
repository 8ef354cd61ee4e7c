import DragomanTransport
import Foundation
import HTTPTypes
import Synchronization
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// Throttling of failed sign-ins: answered in the caller's dialect, per client address and
/// principal (so a guesser never locks the owner out), waits that double up to a cap, and one
/// address spraying many principals slowed as well.
@Suite struct SignInThrottleTests {
    @Test func repeatedFailuresAreThrottledInTheCallersDialect() async throws {
        try await AuthenticationTests.throttledGateway(after: 3).run { client in
            for _ in 0..<3 {
                let refused = try await client.post("/api/v1/audience", Samples.audience, headers: AuthenticationTests.basic("alice", "wrong"))
                #expect(refused.status == .unauthorized)
            }
            let blocked = try await client.post(
                "/api/v1/audience", Samples.audience, headers: AuthenticationTests.basic("alice", AuthenticationTests.alicePassword))
            #expect(blocked.status == .tooManyRequests)
            #expect(blocked.json["message"]?.string?.hasPrefix("Too many failed authentication attempts") == true)
            #expect(Int(blocked.headers[.retryAfter] ?? "") ?? 0 > 0)
            for _ in 0..<3 { _ = try await client.post("/users", Samples.telness, headers: [HTTPField.Name("X-API-Key")!: "bad"]) }
            let telness = try await client.post("/users", Samples.telness, headers: [HTTPField.Name("X-API-Key")!: "bad"])
            #expect(telness.status == .tooManyRequests)
            #expect(telness.json["code"]?.string == "RATE_LIMITED")
        }
    }

    @Test func anAttackerGuessingAPasswordDoesNotLockTheOwnerOut() async throws {
        try await AuthenticationTests.gateway { $0.throttleMaxFailures = 3 }.run { client in
            var throttled = false
            for _ in 0..<20 where !throttled {
                throttled =
                    try await client.post("/api/v1/audience", Samples.audience, headers: AuthenticationTests.basic("alice", "guess")).status == .tooManyRequests
            }
            #expect(throttled)
            // Alice, from her own address, is let in.
            let credential = Data("alice:\(AuthenticationTests.alicePassword)".utf8).base64EncodedString()
            let body = Samples.audience(email: "owner@example.com")
            let owner = try await RawConnection.open(
                port: try #require(client.port),
                source: "127.0.0.7",
                sending: "POST /api/v1/audience HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \(credential)\r\nConnection: close\r\n"
                    + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            )
            let reply = await owner.readUntilClosed(timeout: 10)
            #expect(reply.text.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func theWaitDoublesWithEachFurtherFailureUpToItsCap() {
        let start = Date()
        let burst = FailureThrottle(maxFailures: 2, window: 60, maxBackoff: 8)
        var burstWaits: [Int?] = []
        for _ in 0..<7 {
            burst.recordFailure(client: "10.0.0.1", principal: "alice", now: start)
            burstWaits.append(burst.retryAfter(client: "10.0.0.1", principal: "alice", now: start))
        }
        #expect(burstWaits == [nil, 1, 2, 4, 8, 8, 8])
        #expect(burst.retryAfter(client: "10.0.0.2", principal: "alice", now: start) == nil)
    }

    @Test func theFirstWaitIsConfigurableAndStillDoublesUpToTheCap() {
        let start = Date()
        let throttle = FailureThrottle(maxFailures: 1, window: 60, maxBackoff: 100, firstBackoff: 30)
        var waits: [Int?] = []
        for _ in 0..<4 {
            throttle.recordFailure(client: "10.0.0.1", principal: "alice", now: start)
            waits.append(throttle.retryAfter(client: "10.0.0.1", principal: "alice", now: start))
        }
        #expect(waits == [30, 60, 100, 100])
    }

    @Test func aSuccessfulSignInStartsThePairsCountAgain() {
        let throttle = FailureThrottle(maxFailures: 3, window: 60)
        let now = Date()
        throttle.recordFailure(client: "10.0.0.1", principal: "alice", now: now)
        throttle.recordFailure(client: "10.0.0.1", principal: "alice", now: now)
        throttle.recordSuccess(client: "10.0.0.1", principal: "alice")
        throttle.recordFailure(client: "10.0.0.1", principal: "alice", now: now)
        #expect(throttle.retryAfter(client: "10.0.0.1", principal: "alice", now: now) == nil)
    }

    @Test func withNoFailureOnRecordTheClientAddressIsNeverFormatted() {
        let throttle = FailureThrottle(maxFailures: 3, window: 60)
        let formatted = Mutex(0)
        let address = { () -> String in
            formatted.withLock { $0 += 1 }
            return "10.0.0.1"
        }
        #expect(throttle.retryAfter(client: address(), principal: "alice") == nil)
        throttle.recordSuccess(client: address(), principal: "alice")
        #expect(formatted.withLock { $0 } == 0)
        throttle.recordFailure(client: "10.0.0.1", principal: "alice")
        #expect(throttle.retryAfter(client: address(), principal: "alice") == nil)
        #expect(formatted.withLock { $0 } == 1)
    }

    @Test func oneAddressSprayingManyPrincipalsIsSlowed() {
        let throttle = FailureThrottle(maxFailures: 2, window: 60)
        let now = Date()
        for index in 0..<(2 * FailureThrottle.sprayFactor) { throttle.recordFailure(client: "10.0.0.1", principal: "user\(index)", now: now) }
        #expect(throttle.retryAfter(client: "10.0.0.1", principal: "someone-else", now: now) != nil)
        #expect(throttle.retryAfter(client: "10.0.0.9", principal: "user1", now: now) == nil)
    }
}
