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
    /// The migration bridge, whose outbox is counted at each scrape.
    var migration: MigrationMonitor? = nil

    /// Prometheus' text exposition format, version 0.0.4.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func addRoutes(to router: Router<GatewayRequestContext>) {
        router.get(RouterPath(path)) { _, _ in await self.scrape() }
    }

    private func scrape() async -> Response {
        RequestRecord.current?.update { $0.operation = "metrics" }
        metrics.recordBreakers(upstreams.mapValues { $0.breaker.current.name })
        // The store is read only while some route migrates.
        if let migration, case let routes = migration.routes, !routes.isEmpty, let counts = try? await migration.store.outboxCounts() {
            var pending = Dictionary(uniqueKeysWithValues: routes.map { ($0.id, 0) })
            for (dialect, count) in counts { pending[dialect] = count.pending }
            metrics.recordOutbox(pending)
        }
        return Response(
            status: .ok,
            headers: [.contentType: Self.contentType, .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition()))
        )
    }
}
