import DragomanCore
import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// `GET /health/live` (the process answers) and `GET /health/ready` (the store answers a query,
/// the gateway is not draining; each upstream's circuit breaker state is reported). No
/// authentication; cheap: one indexed read at most.
struct HealthController: Sendable {
    let store: any GatewayStore
    let upstreams: [String: UpstreamClient]
    let lifecycle: GatewayLifecycle

    func addRoutes(to router: Router<GatewayRequestContext>) {
        router.get("/health/live") { _, _ in
            RequestRecord.current?.update { $0.operation = "health" }
            return Self.json(.ok, #"{"status":"live"}"#)
        }
        router.get("/health/ready") { _, context in
            RequestRecord.current?.update { $0.operation = "health" }
            return await self.ready(context)
        }
    }

    private func ready(_ context: GatewayRequestContext) async -> Response {
        var storeState = "ok"
        do {
            _ = try await store.user(.serial(0))
        } catch {
            storeState = "unreachable"
            context.logger.warning("Readiness: the store did not answer", metadata: ["dragoman.error": "\(type(of: error))"])
        }
        let draining = lifecycle.isDraining
        let status = draining ? "draining" : storeState == "ok" ? "ready" : "unavailable"
        var upstreamStates: [String: String] = [:]
        for (name, client) in upstreams { upstreamStates[name] = client.breaker.current.name }
        let body = ReadinessBody(status: status, store: storeState, upstreams: upstreamStates)
        let encoded = (try? WireJSON.encoder.encode(body)).map { String(decoding: $0, as: UTF8.self) } ?? #"{"status":"unavailable"}"#
        return Self.json(status == "ready" ? .ok : .serviceUnavailable, encoded)
    }

    private static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}

/// The readiness answer.
struct ReadinessBody: Encodable {
    var status: String
    var store: String
    var upstreams: [String: String]
}
