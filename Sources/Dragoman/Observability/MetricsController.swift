import DragomanDialectKit
import DragomanStore
import DragomanTransport
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /metrics` (the path is `metrics.path`): the gateway's metrics in Prometheus' text
/// format, unauthenticated like the health routes, each upstream's breaker state read at the
/// moment of the scrape.
struct MetricsController: Sendable {
    let metrics: GatewayMetrics
    let upstreams: [String: UpstreamClient]
    let path: String

    /// Prometheus' text exposition format, version 0.0.4.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func addRoutes(to router: Router<GatewayRequestContext>) {
        router.get(RouterPath(path)) { _, _ in self.scrape() }
    }

    private func scrape() -> Response {
        RequestRecord.current?.update { $0.operation = "metrics" }
        metrics.recordBreakers(upstreams.mapValues { $0.breaker.current.name })
        return Response(
            status: .ok,
            headers: [.contentType: Self.contentType, .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition()))
        )
    }
}
