import DragomanDialectKit
import DragomanStore
package import HTTPTypes
import Instrumentation
package import NIOHTTP1
import Tracing
package import W3CTraceContext

/// W3C Trace Context (`traceparent`, `tracestate`) across the gateway: read from the caller,
/// sent to every upstream.
///
/// With a tracer (the OpenTelemetry build, or a test's), the tracer's own propagator reads the
/// caller's context, parents the gateway's spans on it, and writes the gateway's span as the
/// upstream's parent. Without one, the gateway takes part in no trace but passes the caller's
/// context through unchanged, as the W3C recommendation lets an intermediary do, so the
/// backend's spans still join the caller's trace. A malformed `traceparent` is ignored (a new
/// trace, or none, starts), never refused.
package enum TracePropagation {
    package static let traceParent = "traceparent"
    package static let traceState = "tracestate"

    /// The caller's trace context, if its `traceparent` is well-formed.
    package static func callerContext(_ headers: HTTPFields) -> TraceContext? {
        guard let parent = headers[HTTPField.Name(traceParent)!] else { return nil }
        return try? TraceContext(traceParentHeaderValue: parent, traceStateHeaderValue: headers[HTTPField.Name(traceState)!])
    }

    /// Writes the trace context to send upstream into `headers`, replacing any there.
    package static func inject(into headers: inout HTTPHeaders) {
        headers.remove(name: traceParent)
        headers.remove(name: traceState)
        guard let record = RequestRecord.current else { return }
        if let tracer = record.tracer, let context = ServiceContext.current {
            tracer.inject(context, into: &headers, using: HTTPHeadersInjector())
        }
        if !headers.contains(name: traceParent), let caller = record.callerTrace {
            headers.add(name: traceParent, value: caller.traceParentHeaderValue)
            if let state = caller.traceStateHeaderValue, !state.isEmpty { headers.add(name: traceState, value: state) }
        }
    }
}

/// Reads trace headers from a request's `HTTPFields`, for a tracer's propagator.
package struct HTTPFieldsExtractor: Extractor {
    package func extract(key: String, from carrier: HTTPFields) -> String? {
        HTTPField.Name(key).flatMap { carrier[$0] }
    }

    package init() {

    }
}

/// Writes trace headers into an upstream request's `HTTPHeaders`, for a tracer's propagator.
package struct HTTPHeadersInjector: Injector {
    package func inject(_ value: String, forKey key: String, into carrier: inout HTTPHeaders) {
        carrier.replaceOrAdd(name: key, value: value)
    }

    package init() {

    }
}
