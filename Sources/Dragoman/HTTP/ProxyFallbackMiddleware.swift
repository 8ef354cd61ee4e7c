import DragomanTransport
import Hummingbird

extension ReverseProxy {
    /// Installs the proxy as the router's fallback: added after every route, the middleware sees
    /// only requests no route matched (Hummingbird's not-found path), whatever the method.
    func addRoutes(to router: Router<GatewayRequestContext>) {
        router.add(middleware: ProxyFallbackMiddleware(proxy: self))
    }
}

/// Sends requests that no route matched to the reverse proxy instead of answering 404.
struct ProxyFallbackMiddleware: GatewayMiddleware {
    typealias Context = GatewayRequestContext
    let proxy: ReverseProxy

    func respond(to request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return await proxy.forward(request, client: context.remoteAddress, logger: context.logger)
        }
    }
}
