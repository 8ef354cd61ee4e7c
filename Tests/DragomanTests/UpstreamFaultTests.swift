import AsyncHTTPClient
import DragomanCore
import DragomanTransport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// Backend faults are answered in the caller's dialect: down 502, slow 504, broken 502, 5xx the
/// caller's 500, and after repeated failures the breaker's 503 with Retry-After.
@Suite struct UpstreamFaultTests {
    /// A stand-in backend whose every route answers with `respond`.
    static func withBackend(
        _ respond: @escaping @Sendable (Request) async throws -> Response,
        _ body: @escaping @Sendable (Int) async throws -> Void
    ) async throws {
        let router = Router()
        for method in [HTTPRequest.Method.get, .head, .post, .put] {
            router.on("**", method: method) { request, _ in try await respond(request) }
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in try await body(client.port!) }
    }

    static func front(port: Int, _ adjust: @escaping (inout UpstreamConfiguration) -> Void = { _ in }) -> TestGateway {
        // A timeout no loaded test machine reaches by accident; slowBackendIs504 sets its own.
        var upstream = ForwardingTests.upstream(port: port, dialect: .voltMXAudience)
        adjust(&upstream)
        return ForwardingTests.front(.telnessConnect, upstream)
    }

    static let create = #"{"name":"Ada Lovelace","email":"a@x.com"}"#

    @Test func unreachableBackendIs502() async throws {
        try await Self.front(port: 1).run { client in
            let reply = try await client.post("/users", Self.create)
            #expect(reply.status == .badGateway)
            #expect(reply.json["code"]?.string == "BAD_GATEWAY")
        }
    }

    @Test func slowBackendIs504() async throws {
        try await Self.withBackend({ _ in
            try await Task.sleep(for: .seconds(3))
            return Response(status: .ok)
        }) { port in
            try await Self.front(port: port) { $0.requestTimeout = 1 }.run { client in
                let reply = try await client.post("/users", Self.create)
                #expect(reply.status == .gatewayTimeout)
                #expect(reply.json["code"]?.string == "GATEWAY_TIMEOUT")
            }
        }
    }

    @Test func answerOutsideTheContractIs502NotSuccess() async throws {
        try await Self.withBackend({ _ in Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "<html>hello</html>"))) }) { port in
            try await Self.front(port: port).run { client in
                let reply = try await client.post("/users", Self.create)
                #expect(reply.status == .badGateway)
            }
        }
    }

    @Test func unexpectedStatusIs502() async throws {
        try await Self.withBackend({ _ in Response(status: .init(code: 302), headers: [.location: "http://127.0.0.1:1/elsewhere"]) }) { port in
            try await Self.front(port: port).run { client in
                let result1 = try await client.post("/users", Self.create)
                #expect(result1.status == .badGateway)
            }
        }
    }

    @Test func backendServerErrorIsTheCallersServerError() async throws {
        try await Self.withBackend({ _ in Response(status: .internalServerError) }) { port in
            try await ForwardingTests.front(.deliverySlipCCC, ForwardingTests.upstream(port: port, dialect: .telnessConnect)).run { client in
                let reply = try await client.post(Samples.cccPath, Samples.ccc)
                #expect(reply.status == .internalServerError)
                #expect(reply.json["responseStatus"]?["errorCode"]?.string == "Exception")
            }
        }
    }

    @Test func breakerOpensAfterRepeatedFailuresAndFailsFast() async throws {
        try await Self.front(
            port: 1,
            {
                $0.breakerFailures = 2
                $0.breakerCooldown = 30
            }
        ).run { client in
            let result2 = try await client.post("/users", Self.create)
            #expect(result2.status == .badGateway)
            let result3 = try await client.post("/users", Self.create)
            #expect(result3.status == .badGateway)
            let open = try await client.post("/users", Self.create)
            #expect(open.status == .serviceUnavailable)
            #expect(open.json["code"]?.string == "SERVICE_UNAVAILABLE")
            #expect(Int(open.headers[.retryAfter] ?? "") ?? 0 > 0)
        }
    }

    @Test func breakerProbesAndClosesWhenTheBackendRecovers() {
        let breaker = CircuitBreaker(failureThreshold: 2, cooldown: 5)
        let start = Date()
        breaker.recordFailure(now: start)
        breaker.recordFailure(now: start)
        #expect(breaker.permit(now: start.addingTimeInterval(1)) == .rejected(retryAfter: 4))
        #expect(breaker.permit(now: start.addingTimeInterval(6)) == .allowed)
        #expect(breaker.permit(now: start.addingTimeInterval(6)) == .rejected(retryAfter: 1))
        breaker.recordSuccess()
        #expect(breaker.current == .closed(failures: 0))
        breaker.recordFailure(now: start.addingTimeInterval(7))
        #expect(breaker.permit(now: start.addingTimeInterval(7)) == .allowed)
    }

    @Test func failedProbeOpensTheBreakerAgain() {
        let breaker = CircuitBreaker(failureThreshold: 1, cooldown: 5)
        let start = Date()
        breaker.recordFailure(now: start)
        #expect(breaker.permit(now: start.addingTimeInterval(5)) == .allowed)
        breaker.recordFailure(now: start.addingTimeInterval(5))
        #expect(breaker.permit(now: start.addingTimeInterval(6)) == .rejected(retryAfter: 4))
    }
}

/// The reverse proxy carries what no dialect route matches to the upstream, unchanged.
@Suite struct ReverseProxyTests {
    /// An echo backend: returns the request body and reports what it received in headers.
    static func withEcho(_ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await UpstreamFaultTests.withBackend(
            { request in
                var headers: HTTPFields = [
                    HTTPField.Name("X-Echo-Method")!: request.method.rawValue,
                    HTTPField.Name("X-Echo-Path")!: request.uri.path,
                    HTTPField.Name("X-Echo-Query")!: request.uri.query ?? "",
                    HTTPField.Name("X-Echo-Forwarded-For")!: request.headers[HTTPField.Name("X-Forwarded-For")!] ?? "",
                    HTTPField.Name("X-Echo-Request-Id")!: request.headers[HTTPField.Name("X-Request-Id")!] ?? "",
                    HTTPField.Name("X-Echo-Custom")!: request.headers[HTTPField.Name("X-Custom")!] ?? "",
                    HTTPField.Name("X-Echo-Hop")!: request.headers[HTTPField.Name("Proxy-Authorization")!] ?? "absent",
                    HTTPField.Name("X-Echo-Authorization")!: request.headers[.authorization] ?? "",
                ]
                headers[.contentType] = request.headers[.contentType] ?? "application/octet-stream"
                // Read the whole body before answering: an echo that answers while the client is still
                // sending can deadlock a client that reads only after writing.
                let body = try await request.body.collect(upTo: 64 << 20)
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
            }, body)
    }

    static func proxied(port: Int) -> TestGateway {
        TestGateway { configuration in
            configuration.upstreams = ["legacy": UpstreamConfiguration(name: "legacy", baseURL: "http://127.0.0.1:\(port)/ctx", dialect: .telnessConnect)]
            configuration.proxyUpstream = "legacy"
        }
    }

    /// Counts requests that have arrived, so a backend can hold each until `count` are in.
    actor Arrivals {
        private var arrived = 0
        func arrive() { arrived += 1 }
        var count: Int { arrived }
    }

    @Test func concurrentRequestsReachTheBackendTogetherNotEightAtATime() async throws {
        let concurrent = 24
        let arrivals = Arrivals()
        // Each request is held until all have arrived (or 20 s have passed, for a loaded
        // machine): through a pool of AsyncHTTPClient's default 8 connections only 8 would ever
        // be in at once.
        try await UpstreamFaultTests.withBackend({ _ in
            await arrivals.arrive()
            let deadline = ContinuousClock.now + .seconds(20)
            while await arrivals.count < concurrent, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            return Response(status: await arrivals.count >= concurrent ? .ok : .serviceUnavailable)
        }) { port in
            try await Self.proxied(port: port).run { client in
                let requests = (0..<concurrent).map { ConcurrentRequests.Request(method: .GET, path: "/held/\($0)") }
                let statuses = try await ConcurrentRequests.statuses(port: try #require(client.port), requests)
                #expect(statuses == Array(repeating: 200, count: concurrent))
            }
        }
    }

    @Test func multiMegabyteBodiesAndArbitraryHeadersPassIntact() async throws {
        try await Self.withEcho { port in
            try await Self.proxied(port: port).run { client in
                var bytes = [UInt8](repeating: 0, count: 5 << 20)
                for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 31 &+ 7) }
                let headers: HTTPFields = [
                    .contentType: "application/x-custom", HTTPField.Name("X-Custom")!: "value with spaces; and=symbols",
                    .authorization: "Bearer legacy-token", HTTPField.Name("X-Request-Id")!: "req-42",
                    HTTPField.Name("Proxy-Authorization")!: "Basic bXVzdDpub3QgcGFzcw==",
                ]
                let reply = try await client.execute(uri: "/legacy/upload?a=1&b=two", method: .put, headers: headers, body: ByteBuffer(bytes: bytes)) { $0 }
                #expect(reply.status == .ok)
                let echoed = Array(reply.body.readableBytesView)
                #expect(echoed.count == bytes.count)
                #expect(echoed.elementsEqual(bytes), "the echoed body differs")
                #expect(reply.headers[HTTPField.Name("X-Echo-Method")!] == "PUT")
                #expect(reply.headers[HTTPField.Name("X-Echo-Path")!] == "/ctx/legacy/upload")
                #expect(reply.headers[HTTPField.Name("X-Echo-Query")!] == "a=1&b=two")
                #expect(reply.headers[HTTPField.Name("X-Echo-Custom")!] == "value with spaces; and=symbols")
                #expect(reply.headers[HTTPField.Name("X-Echo-Authorization")!] == "Bearer legacy-token")
                #expect(reply.headers[HTTPField.Name("X-Echo-Request-Id")!] == "req-42")
                #expect(reply.headers[HTTPField.Name("X-Echo-Forwarded-For")!] == "127.0.0.1")
                #expect(reply.headers[HTTPField.Name("X-Echo-Hop")!] == "absent")
                #expect(reply.headers[.contentType] == "application/x-custom")
            }
        }
    }

    @Test func headersTheBackendsConnectionHeaderNamesStayOnItsSideInAnyCase() async throws {
        let backend = try await ScriptedBackend { _ in
            ScriptedBackend.Reply(
                raw: "HTTP/1.1 200 OK\r\nConnection: Keep-Alive, X-Hop\r\nConnection: x-other\r\nX-Hop: secret\r\nX-OTHER: also\r\n"
                    + "X-Kept: yes\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok"
            )
        }
        try await Self.proxied(port: backend.port).run { client in
            let reply = try await client.execute(uri: "/legacy/thing", method: .get) { $0 }
            #expect(reply.status == .ok)
            #expect(String(buffer: reply.body) == "ok")
            #expect(reply.headers[HTTPField.Name("X-Kept")!] == "yes")
            #expect(reply.headers[HTTPField.Name("X-Hop")!] == nil)
            #expect(reply.headers[HTTPField.Name("X-Other")!] == nil)
            #expect(reply.headers[HTTPField.Name("Keep-Alive")!] == nil)
        }
        await backend.close()
    }

    @Test func connectionTokensAreListedLowercasedWithoutKeepAliveAndClose() {
        #expect(ReverseProxy.listedInConnection([]) == nil)
        #expect(ReverseProxy.listedInConnection(["keep-alive"]) == nil)
        #expect(ReverseProxy.listedInConnection(["Keep-Alive", " CLOSE "]) == nil)
        #expect(ReverseProxy.listedInConnection(["keep-alive, X-Trace", "\tx-b ,"]) == ["x-trace", "x-b"])
        #expect(ReverseProxy.listedInConnection(["keep-alivex"]) == ["keep-alivex"])
    }

    @Test func asciiCaseIsIgnoredAndNothingElse() {
        #expect("KeEp-AlIvE"[...].equalsIgnoringASCIICase("keep-alive"))
        #expect(!"keep-aliv"[...].equalsIgnoringASCIICase("keep-alive"))
        #expect(!"keep-alive "[...].equalsIgnoringASCIICase("keep-alive"))
        // Only A–Z fold: bytes that differ from a letter by the case bit do not match.
        #expect(!"\u{0D}lose"[...].equalsIgnoringASCIICase("-lose"))
        #expect(!"clos\u{C9}"[...].equalsIgnoringASCIICase("close"))
    }

    @Test func aBackendThatAnswersBeforeReadingTheUploadLeavesTheGatewayUp() async throws {
        // The backend answers at once and never reads the body: the client task sending the
        // upload and Hummingbird draining what is left must never read the body together.
        try await UpstreamFaultTests.withBackend({ _ in
            Response(status: .accepted, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: "early")))
        }) { port in
            try await Self.proxied(port: port).run { client in
                let bytes = [UInt8](repeating: 0x61, count: 2 << 20)
                try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for _ in 0..<24 {
                        group.addTask {
                            try await client.execute(
                                uri: "/legacy/upload", method: .post, headers: [.contentType: "application/octet-stream"], body: ByteBuffer(bytes: bytes)
                            ) {
                                $0.status
                            }
                        }
                    }
                    for try await status in group { #expect(status == .accepted) }
                }
                let health = try await client.get("/health")
                #expect(health.status == .ok)
            }
        }
    }

    @Test func aChunkedUploadWithoutContentLengthPassesThroughChunked() async throws {
        try await Self.withEcho { port in
            try await Self.proxied(port: port).run { client in
                let connection = try await RawConnection.open(
                    port: try #require(client.port),
                    sending: "POST /legacy/chunked HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n"
                )
                let reply = await connection.readAvailable(timeout: 10)
                #expect(reply.text.hasPrefix("HTTP/1.1 200 OK\r\n"))
                #expect(reply.text.lowercased().contains("x-echo-method: post\r\n"))
                #expect(reply.text.hasSuffix("\r\n\r\nhello world"))
            }
        }
    }

    @Test func aHeadRequestKeepsTheBackendsContentLengthAndHasNoBody() async throws {
        try await UpstreamFaultTests.withBackend({ _ in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: "twelve bytes")))
        }) { port in
            try await Self.proxied(port: port).run { client in
                let reply = try await client.execute(uri: "/legacy/file", method: .head) { $0 }
                #expect(reply.status == .ok)
                #expect(reply.headers[.contentLength] == "12")
                #expect(reply.body.readableBytes == 0)
            }
        }
    }

    @Test func aBackendSilentPastTheRequestTimeoutIs504() async throws {
        try await UpstreamFaultTests.withBackend({ _ in
            try await Task.sleep(for: .seconds(30))
            return Response(status: .ok)
        }) { port in
            try await TestGateway { configuration in
                var upstream = UpstreamConfiguration(name: "legacy", baseURL: "http://127.0.0.1:\(port)", dialect: .telnessConnect)
                upstream.requestTimeout = 0.5
                configuration.upstreams = ["legacy": upstream]
                configuration.proxyUpstream = "legacy"
            }.run { client in
                let started = ContinuousClock.now
                let reply = try await client.get("/legacy/slow")
                #expect(reply.status == .gatewayTimeout)
                #expect(ContinuousClock.now - started < .seconds(10))
            }
        }
    }

    @Test func aLargeAnswerIsReadFromTheBackendOnlyAsFastAsTheCallerReadsIt() async throws {
        // The backend offers an endless body; a caller that reads nothing holds it to what the
        // sockets and a few parts in the gateway buffer (without back-pressure the gateway
        // would read on until its memory ran out). Loopback's socket buffers here take up to
        // 32 MiB received and 4 MiB to send, on each of the two connections.
        let backend = try await PacedBackend()
        defer { Task { await backend.close() } }
        try await Self.proxied(port: backend.port).run { client in
            let connection = try await RawConnection.open(port: try #require(client.port), sending: "GET /legacy/large HTTP/1.1\r\nHost: x\r\n\r\n")
            // Wait until the backend has begun, then until it stops getting further (or 20 s
            // pass in all).
            let deadline = ContinuousClock.now + .seconds(20)
            while backend.written == 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            var last = -1
            while ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(500))
                let now = backend.written
                if now == last { break }
                last = now
            }
            #expect(last > 0)
            #expect(last < 96 << 20, "the backend wrote \(last >> 20) MiB while the caller read nothing")
            // The caller reads on: the answer flows again.
            let more = await connection.readAvailable(timeout: 5)
            #expect(more.text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        }
    }

    @Test func dialectRoutesAreNotProxied() async throws {
        try await Self.withEcho { port in
            try await Self.proxied(port: port).run { client in
                let reply = try await client.post("/users", Samples.telness)
                #expect(reply.status == .created)
                #expect(reply.headers[HTTPField.Name("X-Echo-Method")!] == nil)
                let other = try await client.get("/users/a/b/c")
                #expect(other.headers[HTTPField.Name("X-Echo-Path")!] == "/ctx/users/a/b/c")
            }
        }
    }

    @Test func unreachableProxyUpstreamIs502() async throws {
        try await Self.proxied(port: 1).run { client in
            let result4 = try await client.get("/anything")
            #expect(result4.status == .badGateway)
        }
    }

    @Test func withoutAProxyUnknownPathsAre404() async throws {
        try await TestGateway().run { client in
            let result5 = try await client.get("/anything")
            #expect(result5.status == .notFound)
        }
    }
}
