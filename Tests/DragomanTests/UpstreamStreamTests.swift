import DragomanTransport
import HummingbirdCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// The connection pool's streaming exchanges, the reverse proxy's: the head handed over before
/// the body, a small answer whole, the body's idle timeout, a reader that goes away, an upload
/// sent after the head, and the one retry of a request without an upload on a reused
/// connection the backend had closed.
@Suite struct UpstreamStreamTests {
    static func get(_ pool: UpstreamConnectionPool, path: String = "/thing", within: TimeAmount = .seconds(10), idle: TimeAmount = .seconds(10)) async throws
        -> UpstreamStreamedAnswer
    {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: pool.address.hostHeader)
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: pool.address.basePath + path, headers: headers)
        return try await pool.stream(head, upload: nil, deadline: .now() + within, idleTimeout: idle)
    }

    /// The whole body of an answer, read part by part.
    static func text(_ answer: UpstreamStreamedAnswer) async throws -> String {
        switch answer.body {
        case .complete(let whole): return whole.map { String(buffer: $0) } ?? ""
        case .streaming(let parts):
            var text = ""
            for try await part in parts { text += String(buffer: part) }
            return text
        }
    }

    static func chunk(_ text: String) -> String { String(text.utf8.count, radix: 16) + "\r\n" + text + "\r\n" }

    /// A chunked answer whose first part comes with its head and the rest `delay` apart.
    static func paced(_ parts: [String], delay: TimeAmount, last: Bool = true) -> ScriptedBackend.Reply {
        var reply = ScriptedBackend.Reply(raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(parts[0]))
        reply.more = parts.dropFirst().map { (delay, chunk($0)) } + (last ? [(delay, "0\r\n\r\n")] : [])
        return reply
    }

    @Test func aSmallAnswerThatCameWithItsHeadIsHandedOverWhole() async throws {
        let backend = try await ScriptedBackend { _ in .ok(#"{"small":true}"#) }
        let pool = try UpstreamConnectionPoolTests.pool(backend)
        let answer = try await Self.get(pool)
        #expect(answer.head.status == .ok)
        guard case .complete(let whole) = answer.body else {
            Issue.record("a small answer was streamed")
            return
        }
        #expect(whole.map { String(buffer: $0) } == #"{"small":true}"#)
        #expect(backend.received.first?.text.hasPrefix("GET /base/thing HTTP/1.1\r\n") == true)
        await pool.shutdown()
        await backend.close()
    }

    @Test func theHeadIsHandedOverBeforeTheBodyHasArrivedAndTheBodyFollowsInOrder() async throws {
        let backend = try await ScriptedBackend { _ in Self.paced(["one,", "two,", "three"], delay: .milliseconds(300)) }
        let pool = try UpstreamConnectionPoolTests.pool(backend)
        let answer = try await Self.get(pool)
        guard case .streaming = answer.body else {
            Issue.record("an answer still arriving was handed over whole")
            return
        }
        #expect(try await Self.text(answer) == "one,two,three")
        // The whole answer was read with the whole request sent: the connection is reused.
        #expect(try await Self.text(try await Self.get(pool)) == "one,two,three")
        #expect(backend.accepted == 1)
        await pool.shutdown()
        await backend.close()
    }

    @Test func aBodyThatStallsPastTheIdleTimeoutFailsWithTimeoutAndClosesTheConnection() async throws {
        let backend = try await ScriptedBackend { _ in Self.paced(["one,", "late"], delay: .seconds(30)) }
        let pool = try UpstreamConnectionPoolTests.pool(backend)
        let answer = try await Self.get(pool, within: .seconds(10), idle: .milliseconds(300))
        let start = ContinuousClock.now
        await #expect(throws: UpstreamExchangeError.timeout) { _ = try await Self.text(answer) }
        // The idle timeout, not the head's ten-second deadline, ended it.
        #expect(ContinuousClock.now - start < .seconds(5))
        try await UpstreamConnectionPoolTests.until { pool.openConnections == 0 }
        await pool.shutdown()
        await backend.close()
    }

    @Test func aBackendSilentPastTheDeadlineTimesOutBeforeAnyHead() async throws {
        let backend = try await ScriptedBackend { _ in ScriptedBackend.Reply(raw: nil) }
        let pool = try UpstreamConnectionPoolTests.pool(backend)
        await #expect(throws: UpstreamExchangeError.timeout) { _ = try await Self.get(pool, within: .milliseconds(200)) }
        try await UpstreamConnectionPoolTests.until { pool.openConnections == 0 }
        await pool.shutdown()
        await backend.close()
    }

    @Test func aReaderThatAbandonsTheBodyClosesTheConnectionAndFreesItsPlace() async throws {
        let backend = try await ScriptedBackend { received in
            received.text.contains("/endless") ? Self.paced(["one,", "two"], delay: .seconds(30), last: false) : .ok()
        }
        let pool = try UpstreamConnectionPoolTests.pool(backend, maxConnections: 1, connectTimeout: .seconds(1))
        do {
            let answer = try await Self.get(pool, path: "/endless")
            guard case .streaming(let parts) = answer.body else {
                Issue.record("an unfinished answer was handed over whole")
                return
            }
            let iterator = parts.makeAsyncIterator()
            #expect(try await iterator.next().map { String(buffer: $0) } == "one,")
        }
        try await UpstreamConnectionPoolTests.until { pool.openConnections == 0 }
        // The only place is free again: a second exchange does not wait for the first's backend.
        #expect(try await Self.text(try await Self.get(pool, path: "/next")) == "{}")
        await pool.shutdown()
        await backend.close()
    }

    @Test func anUploadIsSentAfterTheHeadAndTheConnectionIsReusedOnceAllOfItWasSent() async throws {
        let backend = try await ScriptedBackend { received in .ok(#"{"got":\#(received.text.hasSuffix("hello upload"))}"#) }
        let pool = try UpstreamConnectionPoolTests.pool(backend)
        for _ in 0..<2 {
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: pool.address.hostHeader)
            headers.add(name: "Content-Length", value: "12")
            let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/base/upload", headers: headers)
            let upload = ProxiedRequestBody(RequestBody(buffer: ByteBuffer(string: "hello upload")))
            let answer = try await pool.stream(head, upload: upload, deadline: .now() + .seconds(10), idleTimeout: .seconds(10))
            #expect(try await Self.text(answer) == #"{"got":true}"#)
            try await UpstreamConnectionPoolTests.until { pool.openConnections == 1 }
        }
        #expect(backend.accepted == 1)
        await pool.shutdown()
        await backend.close()
    }

    /// A backend that answers each connection's first request and closes the connection,
    /// without a word, on its second.
    static func closingOnSecondRequest() async throws -> ScriptedBackend {
        let seen = NIOLockedValueBox<[Int: Int]>([:])
        return try await ScriptedBackend { received in
            let count = seen.withLockedValue { seen in
                seen[received.connection, default: 0] += 1
                return seen[received.connection]!
            }
            return count == 1 ? .ok(#"{"connection":\#(received.connection)}"#) : ScriptedBackend.Reply(raw: nil, close: true)
        }
    }

    @Test func aRequestWithoutUploadOnAReusedConnectionClosedUnderItIsSentOnceMoreOnANewOne() async throws {
        let backend = try await Self.closingOnSecondRequest()
        let pool = try UpstreamConnectionPoolTests.pool(backend)
        #expect(try await Self.text(try await Self.get(pool)) == #"{"connection":1}"#)
        #expect(try await Self.text(try await Self.get(pool)) == #"{"connection":2}"#)
        #expect(backend.accepted == 2)
        await pool.shutdown()
        await backend.close()
    }

    @Test func aRequestWithAnUploadOnAReusedConnectionClosedUnderItIsNotSentAgain() async throws {
        let backend = try await Self.closingOnSecondRequest()
        let pool = try UpstreamConnectionPoolTests.pool(backend)
        #expect(try await Self.text(try await Self.get(pool)) == #"{"connection":1}"#)
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: pool.address.hostHeader)
        headers.add(name: "Content-Length", value: "2")
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/base/upload", headers: headers)
        let upload = ProxiedRequestBody(RequestBody(buffer: ByteBuffer(string: "{}")))
        await #expect(throws: UpstreamExchangeError.closed) {
            _ = try await pool.stream(head, upload: upload, deadline: .now() + .seconds(10), idleTimeout: .seconds(10))
        }
        #expect(backend.accepted == 1)
        await pool.shutdown()
        await backend.close()
    }
}
