import DragomanDialectKit
import DragomanStore
import DragomanTransport
import HTTPTypes
import Hummingbird

/// A dialect's own routes (``DialectRouter``) on the gateway's Hummingbird router: each request
/// is handed to the dialect as a ``DialectHTTPRequest`` (its body read up to the route's limit)
/// and its ``DialectResponse`` written back.
struct GatewayDialectRouter: DialectRouter {
    let router: Router<GatewayRequestContext>

    func add(
        _ method: HTTPRequest.Method, _ path: String, bodyLimit: Int,
        handler: @escaping @Sendable (DialectHTTPRequest) async -> DialectResponse
    ) {
        let names = path.split(separator: "/").filter { $0.hasPrefix(":") }.map { String($0.dropFirst()) }
        router.on(RouterPath(path), method: method) { request, context in
            var body: [UInt8]? = []
            if bodyLimit > 0 {
                body = (try? await request.body.collect(upTo: bodyLimit)).map { Array($0.readableBytesView) }
            }
            var parameters: [String: String] = [:]
            for name in names { parameters[name] = context.parameters.get(name) }
            let dialectRequest = DialectHTTPRequest(
                head: request.head, parameters: parameters, query: QueryItems.parse(request.uri.query), body: body,
                clientAddress: context.clientAddress, logger: context.logger
            )
            return Response(dialect: await handler(dialectRequest))
        }
    }
}
