import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Hummingbird

/// What one configuration answers with: the observation step (request id, metrics, access
/// line, span) around the router. Observation comes before routing, so every request is
/// observed, matched or not; the router renders what its routes throw, so observation sees the
/// status the caller gets.
struct GatewayResponder: HTTPResponder {
    typealias Context = GatewayRequestContext
    let observation: ObservationMiddleware
    let router: RouterResponder<Context>

    func respond(to request: Request, context: Context) async throws -> Response {
        try await observation.respond(to: request, context: context) { request, context in
            try await router.respond(to: request, context: context)
        }
    }
}
