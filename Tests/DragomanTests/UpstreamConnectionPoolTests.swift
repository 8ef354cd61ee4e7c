import DragomanTransport
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// The forwarding routes' connection pool: one flush per request, keep-alive reuse, the
/// connection limit with waiting exchanges, deadlines, answers that close or are too large,
/// interim answers, and how its faults map onto 502 and 504.
@Suite struct UpstreamConnectionPoolTests {
    static func pool(
        _ backend: ScriptedBackend, maxConnections: Int = 8, maxBodyBytes: Int = 1 << 20, connectTimeout: TimeAmount = .seconds(2),
        idleTimeout: TimeAmount = .seconds(60)
    ) throws -> UpstreamConnectionPool {
        try UpstreamConnectionPool(
            address: UpstreamAddress(baseURL: "http://127.0.0.1:\(backend.port)/base")!,
            tls: nil,
            connectTimeout: connectTimeout,
            maxConnections: maxConnections,
            maxBodyBytes: maxBodyBytes,
            idleTimeout: idleTimeout
        )
    }

    static func post(_ pool: UpstreamConnectionPool, _ body: String = #"{"name":"Ada"}"#, within: TimeAmount = .seconds(10)) async throws -> UpstreamAnswer {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: pool.address.hostHeader)
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: pool.address.basePath + "/users", headers: headers)
        return try await pool.exchange(head, body: ByteBuffer(string: body), deadline: .now() + within)
    }

    /// Waits (up to 15 s, for a loaded machine) until `condition` holds.
    static func until(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(condition())
    }

    @Test func aRequestsHeadAndBodyArriveInOneRead() async throws {
        let backend = try await ScriptedBackend { _ in .ok() }
        let pool = try Self.pool(backend)
        let answer = try await Self.post(pool, #"{"name":"Ada Lovelace"}"#)
        #expect(answer.head.status == .ok)
        let received = try #require(backend.received.first)
        #expect(received.text.hasPrefix("POST /base/users HTTP/1.1\r\n"))
        #expect(received.firstRead == received.text)
        #expect(received.firstRead.hasSuffix("\r\n\r\n" + #"{"name":"Ada Lovelace"}"#))
        await pool.shutdown()
        await backend.close()
    }

    @Test func sequentialExchangesReuseOneConnection() async throws {
        let backend = try await ScriptedBackend { _ in .ok() }
        let pool = try Self.pool(backend)
        for _ in 0..<5 { #expect(try await Self.post(pool).head.status == .ok) }
        #expect(backend.accepted == 1)
        #expect(Set(backend.received.map(\.connection)) == [1])
        await pool.shutdown()
        await backend.close()
    }

    @Test func aConnectionIdleLongerThanTheIdleTimeoutIsClosedNotReused() async throws {
        let backend = try await ScriptedBackend { _ in .ok() }
        let pool = try Self.pool(backend, idleTimeout: .milliseconds(200))
        #expect(try await Self.post(pool).head.status == .ok)
        #expect(try await Self.post(pool).head.status == .ok)
        #expect(backend.accepted == 1)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await Self.post(pool).head.status == .ok)
        #expect(backend.accepted == 2)
        try await Self.until { pool.openConnections == 1 }
        await pool.shutdown()
        await backend.close()
    }

    @Test func anAnswerThatClosesTheConnectionIsNotReused() async throws {
        let backend = try await ScriptedBackend { _ in
            var reply = ScriptedBackend.Reply.ok("{}", headers: "Connection: close\r\n")
            reply.close = true
            return reply
        }
        let pool = try Self.pool(backend)
        for _ in 0..<3 { #expect(try await Self.post(pool).head.status == .ok) }
        #expect(backend.accepted == 3)
        await pool.shutdown()
        await backend.close()
    }

    @Test func aConnectionTheBackendClosedWhileIdleIsNotReused() async throws {
        // The backend closes after each answer without saying so beforehand.
        let backend = try await ScriptedBackend { _ in
            var reply = ScriptedBackend.Reply.ok()
            reply.close = true
            return reply
        }
        let pool = try Self.pool(backend)
        for _ in 0..<3 {
            #expect(try await Self.post(pool).head.status == .ok)
            try await Self.until { pool.openConnections == 0 }
        }
        #expect(backend.accepted == 3)
        await pool.shutdown()
        await backend.close()
    }

    @Test func noMoreThanMaxConnectionsExchangesRunAtOnceAndTheRestWaitTheirTurn() async throws {
        let backend = try await ScriptedBackend { _ in
            var reply = ScriptedBackend.Reply.ok()
            reply.delay = .milliseconds(150)
            return reply
        }
        // Waiting turns are bounded by the connect timeout: one no loaded machine reaches here.
        let pool = try Self.pool(backend, maxConnections: 2, connectTimeout: .seconds(30))
        let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
            for _ in 0..<6 { group.addTask { try await Self.post(pool).head.status.code } }
            return try await group.reduce(into: [UInt]()) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 6))
        #expect(backend.mostOpen <= 2)
        #expect(backend.received.count == 6)
        await pool.shutdown()
        await backend.close()
    }

    /// A backend that answers at once, but after `slow` to a body containing "slow", and never
    /// to one containing "silent".
    static func pacedBackend(slow: TimeAmount = .seconds(3)) async throws -> ScriptedBackend {
        try await ScriptedBackend { received in
            if received.text.contains("silent") { return ScriptedBackend.Reply(raw: nil) }
            var reply = ScriptedBackend.Reply.ok()
            if received.text.contains("slow") { reply.delay = slow }
            return reply
        }
    }

    @Test func anExchangeWaitingForAConnectionPastItsDeadlineTimesOut() async throws {
        let backend = try await Self.pacedBackend()
        let pool = try Self.pool(backend, maxConnections: 1, connectTimeout: .seconds(30))
        _ = try await Self.post(pool)  // the one connection, open before the timings start
        async let first = Self.post(pool, #"{"name":"slow"}"#)
        try await Task.sleep(for: .milliseconds(100))
        await #expect(throws: UpstreamExchangeError.timeout) { try await Self.post(pool, within: .milliseconds(200)) }
        #expect(try await first.head.status == .ok)
        #expect(backend.received.count == 2)
        await pool.shutdown()
        await backend.close()
    }

    @Test func anExchangeThatFindsNoConnectionFreeWithinTheConnectTimeoutIsUnreachable() async throws {
        let backend = try await Self.pacedBackend()
        let pool = try Self.pool(backend, maxConnections: 1, connectTimeout: .milliseconds(200))
        _ = try await Self.post(pool)  // the one connection, open before the timings start
        async let first = Self.post(pool, #"{"name":"slow"}"#)
        try await Task.sleep(for: .milliseconds(100))
        await #expect(throws: UpstreamExchangeError.noConnectionFree) { try await Self.post(pool) }
        #expect(
            TransportFault(UpstreamExchangeError.noConnectionFree).kind == .unreachable,
            "waiting past the connect timeout is not an unreachable backend (nothing was sent)")
        #expect(try await first.head.status == .ok)
        #expect(backend.received.count == 2)
        await pool.shutdown()
        await backend.close()
    }

    @Test func aSilentBackendTimesOutAndTheConnectionIsClosed() async throws {
        let backend = try await Self.pacedBackend()
        let pool = try Self.pool(backend)
        _ = try await Self.post(pool)  // the connection, open before the timings start
        await #expect(throws: UpstreamExchangeError.timeout) { try await Self.post(pool, #"{"name":"silent"}"#, within: .milliseconds(200)) }
        try await Self.until { pool.openConnections == 0 }
        #expect(TransportFault(UpstreamExchangeError.timeout).gatewayFailure == .gatewayTimeout)
        await pool.shutdown()
        await backend.close()
    }

    @Test func anAnswerLargerThanTheLimitIsRefusedAsABrokenExchange() async throws {
        let backend = try await ScriptedBackend { _ in .ok(String(repeating: "x", count: 5000)) }
        let pool = try Self.pool(backend, maxBodyBytes: 1000)
        await #expect(throws: UpstreamExchangeError.tooLarge) { try await Self.post(pool) }
        #expect(TransportFault(UpstreamExchangeError.tooLarge).kind == .broken, "a too large answer is not a broken exchange")
        await pool.shutdown()
        await backend.close()
    }

    @Test func aConnectionClosedBeforeTheAnswerIsABrokenExchange() async throws {
        let backend = try await ScriptedBackend { _ in ScriptedBackend.Reply(raw: nil, close: true) }
        let pool = try Self.pool(backend)
        await #expect(throws: UpstreamExchangeError.closed) { try await Self.post(pool) }
        #expect(TransportFault(UpstreamExchangeError.closed).kind == .broken, "a connection closed early is not a broken exchange")
        await pool.shutdown()
        await backend.close()
    }

    @Test func aConnectionThatSendsAnAnswerNobodyAskedForIsNotReused() async throws {
        // The first connection's answer is followed by a second, unasked one.
        let backend = try await ScriptedBackend { received in
            let extra = received.connection == 1 ? "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n{\"x\":1}" : ""
            return ScriptedBackend.Reply(raw: ScriptedBackend.Reply.ok(#"{"n":\#(received.connection)}"#).raw! + extra)
        }
        let pool = try Self.pool(backend)
        #expect(try await Self.post(pool).body.map { String(buffer: $0) } == #"{"n":1}"#)
        try await Self.until { pool.openConnections == 0 }
        #expect(try await Self.post(pool).body.map { String(buffer: $0) } == #"{"n":2}"#)
        await pool.shutdown()
        await backend.close()
    }

    @Test func interimAnswersAreSkipped() async throws {
        let backend = try await ScriptedBackend { _ in
            ScriptedBackend.Reply(raw: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
        }
        let pool = try Self.pool(backend)
        let answer = try await Self.post(pool)
        #expect(answer.head.status == .created)
        #expect(answer.body.map { String(buffer: $0) } == "ok")
        await pool.shutdown()
        await backend.close()
    }

    @Test func anUnreachableBackendIsUnreachableNotBroken() async throws {
        let pool = try UpstreamConnectionPool(
            address: UpstreamAddress(baseURL: "http://127.0.0.1:1")!, tls: nil, connectTimeout: .seconds(2), maxConnections: 2, maxBodyBytes: 1024
        )
        do {
            _ = try await Self.post(pool)
            Issue.record("an exchange with a closed port succeeded")
        } catch {
            #expect(TransportFault(error).kind == .unreachable, "\(error) is not an unreachable backend")
        }
        #expect(pool.openConnections == 0)
        await pool.shutdown()
    }

    @Test func aRequestThatCouldNotBeWrittenOnAClosedConnectionIsUnreachableAndRetried() {
        // Nothing was sent, so the upstream client may send it again (as after a refused connect).
        #expect(TransportFault(ChannelError.ioOnClosedChannel).kind == .unreachable, "a write refused by a closed connection is not treated as unsent")
    }

    @Test func shutdownClosesIdleConnectionsAndRefusesNewExchanges() async throws {
        let backend = try await ScriptedBackend { _ in .ok() }
        let pool = try Self.pool(backend)
        _ = try await Self.post(pool)
        #expect(pool.openConnections == 1)
        await pool.shutdown()
        try await Self.until { pool.openConnections == 0 }
        await #expect(throws: UpstreamExchangeError.closed) { try await Self.post(pool) }
        await backend.close()
    }

    @Test(arguments: [
        ("http://backend.example/kpns/", "backend.example", 80, false, "backend.example", "/kpns"),
        ("https://backend.example:8443", "backend.example", 8443, true, "backend.example:8443", ""),
        ("http://[::1]:9000/api", "::1", 9000, false, "[::1]:9000", "/api"),
        ("https://10.0.0.7", "10.0.0.7", 443, true, "10.0.0.7", ""),
    ])
    func aBaseURLGivesTheAddressHostHeaderAndContextPath(url: String, host: String, port: Int, tls: Bool, hostHeader: String, path: String) throws {
        let address = try #require(UpstreamAddress(baseURL: url))
        #expect(address.host == host)
        #expect(address.port == port)
        #expect(address.tls == tls)
        #expect(address.hostHeader == hostHeader)
        #expect(address.basePath == path)
    }

    @Test func aBaseURLThatIsNotHTTPHasNoAddress() {
        #expect(UpstreamAddress(baseURL: "ftp://backend.example") == nil)
        #expect(UpstreamAddress(baseURL: "backend.example:80") == nil)
    }
}
