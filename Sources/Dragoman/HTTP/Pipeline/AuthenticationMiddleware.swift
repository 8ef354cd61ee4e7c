import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Hummingbird
import Logging

/// Runs the route's auth chain and puts the principal it authenticates in the context; a
/// refusal is the dialect's own 401 or 429.
struct AuthenticationMiddleware: GatewayMiddleware {
    typealias Context = GatewayRequestContext
    let chain: AuthChain
    let policy: AuthPolicy

    func respond(to request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard var state = context.dialectRoute else { return try await next(request, context) }
        var context = context
        do {
            let headers = request.headers
            let caller = context
            state.request.principal = try await RequestRecord.timed(.auth) { () async throws(GatewayFailure) in
                try await chain.authenticate(headers, client: caller.clientAddress, policy: policy, logger: caller.logger)
            }
        } catch {
            throw state.error(error)
        }
        if let principal = state.request.principal {
            RequestRecord.current?.update { $0.principal = principal.name }
        }
        context.dialectRoute = state
        return try await next(request, context)
    }
}
