import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Hummingbird
import Logging

/// The first step of every dialect route: puts the dialect, the route and the request as the
/// dialect sees it into the context, and makes sure nothing leaves the route as a bare 500:
/// a failure nobody foresaw becomes the dialect's own internal error.
struct DialectMiddleware: GatewayMiddleware {
    typealias Context = GatewayRequestContext
    let dialect: any UserDialect
    let route: DialectRoute
    /// The names of the route's parameters (`:id` in its path), found once.
    private let parameterNames: [String]

    init(dialect: any UserDialect, route: DialectRoute) {
        self.dialect = dialect
        self.route = route
        self.parameterNames = route.path.split(separator: "/").filter { $0.hasPrefix(":") }.map { String($0.dropFirst()) }
    }

    func respond(to request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        var state = DialectRouteState(
            dialect: dialect,
            route: route,
            request: DialectRequest(
                method: request.method,
                path: request.uri.path,
                parameters: parameters(context.parameters),
                query: QueryItems.parse(request.uri.query),
                headers: request.headers
            )
        )
        state.request.authority = request.head.authority
        state.request.scheme = request.head.scheme
        context.dialectRoute = state
        RequestRecord.current?.update { facts in
            facts.dialect = dialect.id.rawValue
            facts.operation = route.action ?? route.operation.rawValue
        }
        do {
            return try await next(request, context)
        } catch let error as DialectError {
            throw error
        } catch let failure as GatewayFailure {
            throw state.error(failure)
        } catch {
            context.logger.error("Unexpected failure", metadata: ["dragoman.error": "\(type(of: error))"])
            throw state.error(.internalError)
        }
    }

    /// The route's named parameters (`:id`) and their values.
    private func parameters(_ parameters: Parameters) -> [String: String] {
        guard !parameterNames.isEmpty else { return [:] }
        var values: [String: String] = [:]
        for name in parameterNames { values[name] = parameters.get(name) }
        return values
    }
}
