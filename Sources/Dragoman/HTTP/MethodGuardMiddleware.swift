import DragomanDialectKit
import DragomanStore
import DragomanTransport
import HTTPTypes
import Hummingbird

/// Answers a method a dialect path does not have with 405 and `Allow`, in the dialect's own
/// shape, instead of 404. `TRACE` and `CONNECT` are refused on every path, proxied or not (a
/// gateway never echoes a request, credentials included, or opens tunnels). When a reverse
/// proxy takes unmatched requests, other methods on a dialect path go to the backend, which
/// may have them.
struct MethodGuardMiddleware: GatewayMiddleware {
    typealias Context = GatewayRequestContext
    let edge: EdgeResponder
    /// Which methods each dialect path has.
    let routes: RouteTable
    let proxied: Bool

    func respond(to request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .trace || request.method == .connect {
            return refuse(request, allowed: routes.methods(for: Substring(request.uri.path)))
        }
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && !proxied {
            let allowed = routes.methods(for: Substring(request.uri.path))
            guard !allowed.isEmpty else { throw error }
            return refuse(request, allowed: allowed)
        }
    }

    private func refuse(_ request: Request, allowed: [HTTPRequest.Method]) -> Response {
        let failure = GatewayFailure.methodNotAllowed(allowed: allowed.map(\.rawValue))
        let response = edge.response(for: failure, target: Substring(request.uri.description))
        return Response(dialect: response)
    }
}
