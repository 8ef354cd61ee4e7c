import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Hummingbird

/// A step of Dragoman's request pipeline: router middleware whose `next` runs on the caller's
/// executor.
///
/// Every step is router middleware (``handle(_:context:next:)`` comes with the protocol, so
/// Hummingbird's router and groups take it as they take any), and a step of a
/// ``MiddlewareChain``, which calls ``respond(to:context:next:)`` directly. There `next` is a
/// `nonisolated(nonsending)` function: the request goes down the chain on its own executor
/// (its connection's event loop). Through Hummingbird's `MiddlewareResponder` each level is a
/// `@concurrent` call and a closure or two, and each of those asks the Swift runtime for the
/// task's executor on the way in and on the way back, under the task's status lock: a local
/// create took 95 executor switches with Hummingbird's chain and 66 with this one (counted
/// with a uprobe on `swift_task_switch`).
protocol GatewayMiddleware: RouterMiddleware where Context == GatewayRequestContext {
    /// Handles `request`, calling `next` for the rest of the pipeline (or not, to answer here).
    func respond(to request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response
}

extension GatewayMiddleware {
    func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        try await respond(to: request, context: context) { request, context in try await next(request, context) }
    }
}
