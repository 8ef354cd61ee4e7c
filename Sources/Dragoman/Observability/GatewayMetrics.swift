import CoreMetrics
import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
public import Prometheus
import Synchronization

/// The gateway's metrics, kept in its own Prometheus registry (so two gateways in one process,
/// as in the tests, never mix) and recorded through swift-metrics' types with swift-prometheus'
/// factory. Every label value comes from a closed set: dialect ids, operation and stage names,
/// status codes, scheme names, configured upstream names and store engines — never a user id,
/// an address or a raw path.
///
/// Most figures are taken once per request from its ``RequestRecord`` (``record(_:status:duration:)``);
/// the store's latency is recorded by ``MeasuredUserStore`` as it happens, and each upstream's
/// breaker state is read when the metrics are scraped.
public final class GatewayMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// The handles of the figures taken on every request, made once per label set: making one
    /// goes through the registry's lock and its label checks (issue 10's profile). Every label
    /// comes from a closed set, so these stay small.
    private let requestHandles = Mutex<[RequestLabels: (count: CoreMetrics.Counter, duration: CoreMetrics.Timer)]>([:])
    private let timers = Mutex<[TimerLabels: CoreMetrics.Timer]>([:])
    private let counters = Mutex<[CounterLabels: CoreMetrics.Counter]>([:])

    /// The labels of the request counter and duration.
    private struct RequestLabels: Hashable {
        var dialect: String
        var operation: String
        var status: Int
    }

    /// A timer's name and its two labels.
    private struct TimerLabels: Hashable {
        var label: String
        var first: String
        var second: String
    }

    /// An event counter's name and its labels' values.
    private struct CounterLabels: Hashable {
        var label: String
        var values: [String]
    }

    /// Latency buckets, from 100 µs to 10 s: local reads take well under a millisecond.
    static let buckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.buckets
        self.factory = factory
    }

    /// Everything one answered request says: its count and latency by dialect, operation and
    /// status; the time of each stage it reached; and the events it recorded.
    func record(_ facts: RequestRecord.Facts, status: Int, duration: Duration) {
        let dialect = facts.dialect ?? "none"
        let operation = facts.operation ?? "other"
        let handles = requestHandles.withLock { handles in
            let labels = RequestLabels(dialect: dialect, operation: operation, status: status)
            if let known = handles[labels] { return known }
            let made = (
                count: Counter(
                    label: "dragoman_requests_total", dimensions: [("dialect", dialect), ("operation", operation), ("status", String(status))], factory: factory
                ),
                duration: Timer(label: "dragoman_request_duration_seconds", dimensions: [("dialect", dialect), ("operation", operation)], factory: factory)
            )
            handles[labels] = made
            return made
        }
        handles.count.increment()
        handles.duration.recordNanoseconds(duration.nanoseconds)
        for (stage, time) in facts.stages.measured {
            timer("dragoman_stage_duration_seconds", ("dialect", dialect), ("stage", stage.rawValue)).recordNanoseconds(time.nanoseconds)
        }
        if let scheme = facts.authFailure {
            counter("dragoman_auth_failures_total", [("scheme", scheme)]).increment()
        }
        if facts.throttled {
            counter("dragoman_throttled_requests_total", [("dialect", dialect)]).increment()
        }
        switch facts.idempotency {
        case .replay:
            counter("dragoman_idempotent_replays_total", [("dialect", dialect)]).increment()
        case .mismatch, .inFlight:
            counter("dragoman_idempotent_conflicts_total", [("dialect", dialect), ("reason", facts.idempotency!.rawValue)]).increment()
        case nil:
            break
        }
        if let dropped = facts.dropped {
            counter("dragoman_dropped_fields_total", [("dialect", dialect), ("backend", dropped.backend)]).increment(by: dropped.count)
        }
        if let upstream = facts.upstream, let kind = facts.upstreamError {
            counter("dragoman_upstream_errors_total", [("upstream", upstream), ("kind", kind.rawValue)]).increment()
        }
    }

    /// One store operation's latency (`insert`, `read`, `update`, `delete`, `list`) on `engine`.
    func recordStore(engine: String, operation: String, duration: Duration) {
        timer("dragoman_store_duration_seconds", ("engine", engine), ("operation", operation)).recordNanoseconds(duration.nanoseconds)
    }

    /// The timer `label` with two dimensions, made on first use.
    private func timer(_ label: String, _ first: (String, String), _ second: (String, String)) -> CoreMetrics.Timer {
        timers.withLock { timers in
            let labels = TimerLabels(label: label, first: first.1, second: second.1)
            if let known = timers[labels] { return known }
            let made = Timer(label: label, dimensions: [first, second], factory: factory)
            timers[labels] = made
            return made
        }
    }

    /// The event counter `label` with `dimensions`, made on first use: making one goes through
    /// the registry's lock and label checks, and a forwarded create whose backend drops fields
    /// counts them on every request.
    private func counter(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        counters.withLock { counters in
            let labels = CounterLabels(label: label, values: dimensions.map(\.1))
            if let known = counters[labels] { return known }
            let made = Counter(label: label, dimensions: dimensions, factory: factory)
            counters[labels] = made
            return made
        }
    }

    /// Sets each upstream's breaker gauges: 1 for its current state, 0 for the others.
    func recordBreakers(_ states: [String: String]) {
        for (upstream, current) in states {
            for state in ["closed", "open", "halfOpen"] {
                Gauge(label: "dragoman_upstream_breaker_state", dimensions: [("upstream", upstream), ("state", state)], factory: factory)
                    .record(state == current ? 1 : 0)
            }
        }
    }

    /// Each migrating dialect's outbox: the entries waiting, read from the store at the scrape.
    func recordOutbox(_ pending: [String: Int]) {
        for (dialect, count) in pending {
            Gauge(label: "dragoman_migration_outbox_pending", dimensions: [("dialect", dialect)], factory: factory).record(count)
        }
    }

    /// The registry in Prometheus' text exposition format.
    func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }
}

extension GatewayMetrics: MigrationEvents {
    func compared(dialect: String, result: String) {
        counter("dragoman_migration_comparisons_total", [("dialect", dialect), ("result", result)]).increment()
    }

    func differed(dialect: String, field: String) {
        counter("dragoman_migration_field_differences_total", [("dialect", dialect), ("field", field)]).increment()
    }

    func outboxFailed(dialect: String) {
        counter("dragoman_migration_outbox_failed_total", [("dialect", dialect)]).increment()
    }
}
