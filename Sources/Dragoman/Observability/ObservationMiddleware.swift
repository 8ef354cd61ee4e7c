import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Tracing

/// The first step of every request: takes or mints its `X-Request-Id` (returned in the answer,
/// sent to any upstream, and in every log line as `dragoman.request.id`), binds a
/// ``RequestRecord`` for the pipeline to fill, and when the request is answered records its
/// metrics (``GatewayMetrics``) and writes one access line: id, method, route template (never
/// the raw path, which may hold ids or addresses), status, duration, and what the pipeline
/// recorded (dialect, operation, principal, upstream with its status and duration). Never a
/// header value, a query or a body. With a tracer, the request is a server span (parented on
/// the caller's `traceparent`) named by its method and route template, with the stages as
/// child spans.
struct ObservationMiddleware: GatewayMiddleware {
    typealias Context = GatewayRequestContext
    static let header = RequestRecord.header
    /// Whether access lines are written (`log.access`).
    let accessLog: Bool
    let metrics: GatewayMetrics
    /// Where spans go; `nil` traces nothing (the caller's trace context is still passed on).
    let tracer: (any Tracer)?

    func respond(to request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let record = RequestRecord(
            requestID: RequestRecord.requestID(from: request.headers[Self.header]),
            tracer: tracer,
            callerTrace: TracePropagation.callerContext(request.headers)
        )
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await RequestRecord.$current.withValue(record) {
                // The router inside renders every failure that renders itself, so what comes
                // back is the answer the caller gets (or an error nothing rendered: a 500).
                try await traced(request, context: context, record: record) { try await next(request, context) }
            }
        } catch {
            observe(request, context: context, record: record, status: 500, start: start)
            throw error
        }
        response.headers[Self.header] = record.requestID
        observe(request, context: context, record: record, status: Int(response.status.code), start: start)
        return response
    }

    /// Runs `body` in the request's server span, when there is a tracer.
    private func traced(_ request: Request, context: Context, record: RequestRecord, _ body: () async throws -> Response) async throws -> Response {
        guard let tracer else { return try await body() }
        var parent = ServiceContext.topLevel
        tracer.extract(request.headers, into: &parent, using: HTTPFieldsExtractor())
        let span = tracer.startSpan(request.method.rawValue, context: parent, ofKind: .server)
        defer { span.end() }
        let response: Response
        do {
            response = try await ServiceContext.$current.withValue(span.context) { try await body() }
        } catch {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error))
            throw error
        }
        let route = context.endpointPath ?? "unmatched"
        let facts = record.snapshot
        span.operationName = "\(request.method.rawValue) \(route)"
        span.attributes["http.request.method"] = request.method.rawValue
        span.attributes["http.route"] = route
        span.attributes["http.response.status_code"] = Int(response.status.code)
        span.attributes["dragoman.request.id"] = record.requestID
        if let dialect = facts.dialect { span.attributes["dragoman.dialect"] = dialect }
        if let operation = facts.operation { span.attributes["dragoman.operation"] = operation }
        if let upstream = facts.upstream { span.attributes["dragoman.upstream"] = upstream }
        if response.status.code >= 500 { span.setStatus(SpanStatus(code: .error)) }
        return response
    }

    private func observe(_ request: Request, context: Context, record: RequestRecord, status: Int, start: ContinuousClock.Instant) {
        let duration = ContinuousClock.now - start
        let facts = record.snapshot
        metrics.record(facts, status: status, duration: duration)
        guard accessLog, context.logger.logLevel <= .info else { return }
        // Written after the request's task-local scope: its id, dialect and principal are added
        // here, not by the metadata provider.
        var metadata = record.logMetadata(facts)
        metadata["dragoman.access"] = "request"
        metadata["http.method"] = .string(request.method.rawValue)
        metadata["http.route"] = .string(context.endpointPath ?? "unmatched")
        metadata["http.status"] = .string(String(status))
        metadata["duration_ms"] = .string(Self.milliseconds(duration))
        if let operation = facts.operation { metadata["dragoman.operation"] = .string(operation) }
        if let upstream = facts.upstream {
            metadata["dragoman.upstream"] = .string(upstream)
            if let status = facts.upstreamStatus { metadata["dragoman.upstream.status"] = .string(String(status)) }
            if let duration = facts.upstreamMilliseconds { metadata["dragoman.upstream.duration_ms"] = .string(String(format: "%.3f", duration)) }
        }
        context.logger.info("request", metadata: metadata)
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(format: "%.3f", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
    }
}
