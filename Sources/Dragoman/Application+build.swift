public import DragomanCore
public import Hummingbird
public import Logging

/// Builds the gateway application from its configuration: opens the store, mounts every enabled
/// dialect at its routes, and hands back an application ready to run or test.
public func buildApplication(configuration: GatewayConfiguration, logger: Logger? = nil) async throws -> some ApplicationProtocol {
    var logger = logger ?? Logger(label: "dragoman")
    if logger.logLevel > configuration.logLevel || logger.logLevel == .info { logger.logLevel = configuration.logLevel }
    let store = try await SQLiteUserStore.open(path: configuration.storePath, logger: logger)
    let service = UserService(
        store: store,
        hasher: BcryptPasswordHasher(cost: configuration.bcryptCost),
        validator: UserValidator(directory: configuration.serviceDirectory)
    )
    let router = buildRouter(configuration: configuration, service: service)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "dragoman"),
        logger: logger
    )
    app.addServices(store)
    return app
}

/// The router: every enabled dialect's routes plus `GET /health`.
func buildRouter(configuration: GatewayConfiguration, service: UserService) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.get("/health") { _, _ in "ok" }
    for dialect in configuration.enabledDialects {
        for route in dialect.routes {
            let endpoint = DialectEndpoint(dialect: dialect, route: route, service: service, bodyLimit: configuration.bodyLimit)
            router.on(RouterPath(route.path), method: route.method) { request, context in
                await endpoint.respond(to: request, context: context)
            }
        }
    }
    return router
}
