import DragomanCore
import DragomanTransport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InMemoryTracing
import NIOCore
import Synchronization
import Testing
import Tracing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// Traces: a server span per request with a child span per stage, the caller's context read
/// and the gateway's sent upstream; without a tracer, the caller's W3C `traceparent` and
/// `tracestate` pass through to the upstream unchanged.
@Suite struct TracingTests {
    static let traceParent = HTTPField.Name("traceparent")!
    static let traceState = HTTPField.Name("tracestate")!
    static let callerParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    /// A stand-in backend that keeps the trace headers of every request it receives and
    /// answers 503 (the front's answer does not matter here).
    static func withCapturingBackend(_ body: @escaping @Sendable (Int, Received) async throws -> Void) async throws {
        let received = Received()
        try await UpstreamFaultTests.withBackend({ request in
            received.headers.withLock { $0.append(request.headers) }
            return Response(status: .serviceUnavailable)
        }) { port in try await body(port, received) }
    }

    /// The headers of the requests a stand-in backend received.
    final class Received: Sendable {
        let headers = Mutex<[HTTPFields]>([])
        var first: HTTPFields? { headers.withLock { $0.first } }
    }

    @Test func eachRequestIsAServerSpanWithAChildSpanPerStage() async throws {
        let tracer = InMemoryTracer()
        try await AuthenticationTests.gateway().run(tracer: tracer) { client in
            let reply = try await client.post(
                "/api/v1/audience", Samples.audience, headers: AuthenticationTests.basic("alice", AuthenticationTests.alicePassword))
            #expect(reply.status == .ok)
        }
        let spans = tracer.finishedSpans
        let server = try #require(spans.first { $0.kind == .server })
        #expect(server.operationName == "POST /api/v1/audience")
        #expect(server.attributes["http.route"]?.toSpanAttribute() == .string("/api/v1/audience"))
        #expect(server.attributes["http.response.status_code"]?.toSpanAttribute() == .int64(200))
        #expect(server.attributes["dragoman.dialect"]?.toSpanAttribute() == .string("voltmx-audience"))
        #expect(server.parentSpanID == nil)
        for stage in ["auth", "decode", "store", "encode"] {
            let child = try #require(spans.first { $0.operationName == "dragoman.\(stage)" }, "no \(stage) span")
            #expect(child.traceID == server.traceID)
            #expect(child.parentSpanID == server.spanID)
        }
    }

    @Test func theCallersContextIsTheParentAndTheUpstreamGetsTheGatewaysSpan() async throws {
        let tracer = InMemoryTracer()
        try await Self.withCapturingBackend { port, received in
            try await UpstreamFaultTests.front(port: port).run(tracer: tracer) { client in
                let headers: HTTPFields = [
                    .contentType: "application/json",
                    HTTPField.Name(InMemoryTracer.traceIDKey)!: "caller-trace",
                    HTTPField.Name(InMemoryTracer.spanIDKey)!: "caller-span",
                ]
                _ = try await client.send("/users", method: .post, headers: headers, body: ByteBuffer(string: UpstreamFaultTests.create))
            }
            let spans = tracer.finishedSpans
            let server = try #require(spans.first { $0.kind == .server })
            #expect(server.traceID == "caller-trace")
            #expect(server.parentSpanID == "caller-span")
            let upstream = try #require(spans.first { $0.operationName == "dragoman.upstream" })
            #expect(upstream.kind == .client)
            #expect(upstream.parentSpanID == server.spanID)
            let sent = try #require(received.first)
            #expect(sent[HTTPField.Name(InMemoryTracer.traceIDKey)!] == "caller-trace")
            #expect(sent[HTTPField.Name(InMemoryTracer.spanIDKey)!] == upstream.spanID)
        }
    }

    @Test func withoutATracerTheCallersTraceparentReachesAForwardedBackendUnchanged() async throws {
        try await Self.withCapturingBackend { port, received in
            try await UpstreamFaultTests.front(port: port).run { client in
                let headers: HTTPFields = [.contentType: "application/json", Self.traceParent: Self.callerParent, Self.traceState: "vendor=abc"]
                _ = try await client.send("/users", method: .post, headers: headers, body: ByteBuffer(string: UpstreamFaultTests.create))
            }
            let sent = try #require(received.first)
            #expect(sent[Self.traceParent] == Self.callerParent)
            #expect(sent[Self.traceState] == "vendor=abc")
        }
    }

    @Test func withoutATracerTheCallersTraceparentReachesAProxiedBackendUnchanged() async throws {
        try await Self.withCapturingBackend { port, received in
            try await ReverseProxyTests.proxied(port: port).run { client in
                _ = try await client.send("/legacy/thing", method: .get, headers: [Self.traceParent: Self.callerParent], body: nil)
            }
            let sent = try #require(received.first)
            #expect(sent[values: Self.traceParent] == [Self.callerParent])
        }
    }

    @Test func aProxiedBackendGetsTheGatewaysServerSpanAsParentAndNoOtherClientSpanStarts() async throws {
        let tracer = InMemoryTracer()
        try await Self.withCapturingBackend { port, received in
            try await ReverseProxyTests.proxied(port: port).run(tracer: tracer) { client in
                let headers: HTTPFields = [
                    HTTPField.Name(InMemoryTracer.traceIDKey)!: "caller-trace",
                    HTTPField.Name(InMemoryTracer.spanIDKey)!: "caller-span",
                ]
                let reply = try await client.send("/legacy/thing", method: .get, headers: headers, body: nil)
                #expect(reply.status == .serviceUnavailable)
            }
            let spans = tracer.finishedSpans
            let server = try #require(spans.first { $0.kind == .server })
            #expect(server.traceID == "caller-trace")
            #expect(spans.filter { $0.kind == .client }.isEmpty)
            let sent = try #require(received.first)
            #expect(sent[HTTPField.Name(InMemoryTracer.traceIDKey)!] == "caller-trace")
            #expect(sent[HTTPField.Name(InMemoryTracer.spanIDKey)!] == server.spanID)
        }
    }

    @Test func aMalformedTraceparentIsNotPassedOnAndNotRefused() async throws {
        try await Self.withCapturingBackend { port, received in
            try await ReverseProxyTests.proxied(port: port).run { client in
                let reply = try await client.send(
                    "/legacy/thing", method: .get, headers: [Self.traceParent: "00-not-a-trace-01", Self.traceState: "a=b"], body: nil)
                #expect(reply.status == .serviceUnavailable)
            }
            let sent = try #require(received.first)
            #expect(sent[Self.traceParent] == nil)
            #expect(sent[Self.traceState] == nil)
        }
    }
}
