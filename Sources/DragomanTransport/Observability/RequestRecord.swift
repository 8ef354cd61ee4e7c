import DragomanDialectKit
import DragomanStore
package import HTTPTypes
package import Logging
import Synchronization
package import Tracing
package import W3CTraceContext

/// What one request did, gathered as it passes the pipeline (dialect, operation, route,
/// principal, upstream exchange, time spent in each stage, the events operators count) for its
/// access-log line and its metrics. Bound to the request's task as ``current``, so the steps
/// that learn something record it without passing it along. With a tracer, each timed stage
/// is also a span, a child of the request's server span.
package final class RequestRecord: Sendable {
    /// The request's id: the caller's `X-Request-Id` when well-formed, else one minted.
    package let requestID: String
    /// The tracer spans go to; `nil` when the gateway traces nothing.
    package let tracer: (any Tracer)?
    /// The caller's W3C trace context, passed on to upstreams when there is no tracer.
    package let callerTrace: TraceContext?
    private let facts = Mutex(Facts())

    /// What the pipeline learnt; every label value here comes from a closed set (dialect ids,
    /// operation and scheme names, configured upstream names), never from the request.
    package struct Facts: Sendable {
        package var dialect: String?
        package var operation: String?
        package var principal: String?
        package var upstream: String?
        package var upstreamStatus: Int?
        package var upstreamMilliseconds: Double?
        /// Why the upstream exchange failed, when it did (``UpstreamErrorKind``).
        package var upstreamError: UpstreamErrorKind?
        /// Time spent in each stage of the pipeline.
        package var stages = StageDurations()
        /// The scheme whose credential was refused (`basic`, `apiKey`, `bearer`, `session`,
        /// `form`, `credentials`).
        package var authFailure: String?
        /// The request was refused by the failure throttle.
        package var throttled = false
        /// What the idempotency step did with the request's key.
        package var idempotency: IdempotencyEvent?
        /// Fields a forwarded request dropped, and the backend dialect they were dropped for.
        package var dropped: (backend: String, count: Int)?
    }

    @TaskLocal package static var current: RequestRecord?

    /// The header that carries a request's id, both ways and to upstreams.
    package static let header = HTTPField.Name("X-Request-Id")!

    package init(requestID: String, tracer: (any Tracer)? = nil, callerTrace: TraceContext? = nil) {
        self.requestID = requestID
        self.tracer = tracer
        self.callerTrace = callerTrace
    }

    package var snapshot: Facts { facts.withLock { $0 } }

    /// The current request's ``logMetadata(_:)``, for every log line written while it runs,
    /// by whichever logger. Read only when a line is written, instead of being set on each
    /// request's logger (three copies of its metadata per request; no difference in CPU per
    /// request could be measured either way).
    package static let metadataProvider = Logger.MetadataProvider {
        guard let record = current else { return [:] }
        return record.logMetadata(record.snapshot)
    }

    /// Who and what the request is, for a log line: `dragoman.request.id`, and once known
    /// `dragoman.dialect` and `dragoman.principal`.
    package func logMetadata(_ facts: Facts) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["dragoman.request.id": .string(requestID)]
        if let dialect = facts.dialect { metadata["dragoman.dialect"] = .string(dialect) }
        if let principal = facts.principal { metadata["dragoman.principal"] = .string(principal) }
        return metadata
    }

    package func update(_ change: (inout Facts) -> Void) {
        facts.withLock { change(&$0) }
    }

    /// Runs `body`, adding the time it takes to `stage` of the current request (if any), in a
    /// span of that name when the gateway traces.
    package static func timed<T, E: Error>(_ stage: PipelineStage, _ body: () async throws(E) -> T) async throws(E) -> T {
        guard let record = current else { return try await body() }
        let start = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - start
            record.update { $0.stages[stage] += elapsed }
        }
        guard let span = record.startSpan(stage) else { return try await body() }
        defer { span.end() }
        // The task-local's `withValue` rethrows untyped; the result keeps the error's type.
        let result = await ServiceContext.$current.withValue(span.context) { () async -> Result<T, E> in
            do throws(E) { return .success(try await body()) } catch { return .failure(error) }
        }
        return try span.settle(result)
    }

    /// Runs `body` (synchronous), adding the time it takes to `stage` of the current request.
    package static func timed<T, E: Error>(_ stage: PipelineStage, _ body: () throws(E) -> T) throws(E) -> T {
        guard let record = current else { return try body() }
        let start = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - start
            record.update { $0.stages[stage] += elapsed }
        }
        guard let span = record.startSpan(stage) else { return try body() }
        defer { span.end() }
        let result = ServiceContext.$current.withValue(span.context) { () -> Result<T, E> in
            do throws(E) { return .success(try body()) } catch { return .failure(error) }
        }
        return try span.settle(result)
    }

    /// A span for `stage`, child of the current one; `nil` without a tracer.
    private func startSpan(_ stage: PipelineStage) -> (any Span)? {
        tracer?.startSpan("dragoman.\(stage.rawValue)", context: ServiceContext.current ?? .topLevel, ofKind: stage == .upstream ? .client : .internal)
    }

    /// The caller's id if it is well-formed (1–128 characters of letters, digits and `._:-`),
    /// else a new one (``RequestIDs``).
    package static func requestID(from header: String?) -> String {
        if let header, (1...128).contains(header.utf8.count),
            header.utf8.allSatisfy({
                ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2E || $0 == 0x5F || $0 == 0x3A || $0 == 0x2D
            })
        {
            return header
        }
        return RequestIDs.mint()
    }
}

extension Span {
    /// The result's value, or its error recorded on the span and thrown.
    fileprivate func settle<T, E: Error>(_ result: Result<T, E>) throws(E) -> T {
        switch result {
        case .success(let value):
            return value
        case .failure(let error):
            recordError(error)
            setStatus(SpanStatus(code: .error))
            throw error
        }
    }
}

/// The stages of a request whose time is measured: authentication, decoding the dialect's wire
/// form, the store, the upstream exchange, and encoding the answer.
package enum PipelineStage: String, Sendable, CaseIterable {
    case auth, decode, store, upstream, encode
}

/// Time spent in each ``PipelineStage`` by one request; a stage the request never reached
/// stays `nil`.
package struct StageDurations: Sendable {
    private var values: [Duration?] = Array(repeating: nil, count: PipelineStage.allCases.count)

    package subscript(stage: PipelineStage) -> Duration {
        get { values[Self.index(stage)] ?? .zero }
        set { values[Self.index(stage)] = newValue }
    }

    /// The stages the request reached, with their time.
    package var measured: [(PipelineStage, Duration)] {
        PipelineStage.allCases.compactMap { stage in values[Self.index(stage)].map { (stage, $0) } }
    }

    private static func index(_ stage: PipelineStage) -> Int {
        switch stage {
        case .auth: 0
        case .decode: 1
        case .store: 2
        case .upstream: 3
        case .encode: 4
        }
    }

    package init() {

    }
}

/// What the idempotency step did with a keyed create, for the metrics.
package enum IdempotencyEvent: String, Sendable {
    /// The recorded answer was replayed.
    case replay
    /// The key was reused with another request (a conflict).
    case mismatch
    /// The key's first request is still running (a conflict).
    case inFlight = "in_flight"
}

/// Why an upstream exchange gave no usable answer, for the metrics.
package enum UpstreamErrorKind: String, Sendable {
    case unreachable, timeout, broken
    case refusedLogin = "refused_login"
    case breakerOpen = "breaker_open"
    /// The backend answered 5xx.
    case serverError = "server_error"
}

extension Duration {
    /// The duration in whole nanoseconds (saturating), as swift-metrics' timers take it.
    package var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole + attoseconds / 1_000_000_000
    }
}
