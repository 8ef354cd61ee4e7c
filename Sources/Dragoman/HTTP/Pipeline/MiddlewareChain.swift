import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Hummingbird

/// One route's pipeline as one responder: its steps in order, then its handler (for a dialect's
/// create: dialect → authentication → body → idempotency → `UserHandlers.create`). The router
/// matches the route and calls the chain; the chain calls each ``GatewayMiddleware`` step with
/// the rest of the chain as its `next`, all on the request's own executor.
struct MiddlewareChain: HTTPResponder {
    typealias Context = GatewayRequestContext
    let steps: [any GatewayMiddleware]
    let handler: @Sendable (Request, Context) async throws -> Response

    func respond(to request: Request, context: Context) async throws -> Response {
        try await respond(from: 0, to: request, context: context)
    }

    private func respond(from index: Int, to request: Request, context: Context) async throws -> Response {
        guard index < steps.count else { return try await handler(request, context) }
        return try await steps[index].respond(to: request, context: context) { request, context in
            try await respond(from: index + 1, to: request, context: context)
        }
    }
}
