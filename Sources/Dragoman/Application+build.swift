public import DragomanCore
public import Hummingbird
public import Logging

/// Builds the gateway application from its configuration: opens the store, sets up the auth
/// chain and login routes, mounts every enabled dialect at its routes, and hands back an
/// application ready to run or test.
public func buildApplication(configuration: GatewayConfiguration, logger: Logger? = nil) async throws -> some ApplicationProtocol {
    let logger =
        logger
        ?? {
            var logger = Logger(label: "dragoman")
            logger.logLevel = configuration.logLevel
            return logger
        }()
    let store = try await SQLiteUserStore.open(path: configuration.storePath, logger: logger)
    let service = UserService(
        store: store,
        hasher: BcryptPasswordHasher(cost: configuration.bcryptCost),
        validator: UserValidator(directory: configuration.serviceDirectory)
    )
    let router = buildRouter(configuration: configuration, service: service, sessions: store)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "dragoman"),
        logger: logger
    )
    app.addServices(store, SessionJanitor(store: store, logger: logger))
    return app
}

/// The router: the login routes, every enabled dialect's routes, and `GET /health`.
func buildRouter(configuration: GatewayConfiguration, service: UserService, sessions: any SessionStore) -> Router<GatewayRequestContext> {
    let router = Router(context: GatewayRequestContext.self)
    router.get("/health") { _, _ in "ok" }
    let verifier = CredentialVerifier(
        directory: PrincipalDirectory(configuration.principals),
        sessions: sessions,
        cacheTTL: configuration.credentialCacheTTL
    )
    let throttle = FailureThrottle(maxFailures: configuration.throttleMaxFailures, window: configuration.throttleWindow)
    let issuer = SessionIssuer(store: sessions, ttl: configuration.sessionTTL, rememberMeTTL: configuration.rememberMeTTL)
    FormLoginController(verifier: verifier, throttle: throttle, sessions: issuer).addRoutes(to: router)
    ServiceStackAuthController(verifier: verifier, throttle: throttle, sessions: issuer).addRoutes(to: router)
    let chain = AuthChain(verifier: verifier, throttle: throttle, realm: configuration.realm)
    for dialect in configuration.enabledDialects {
        for route in dialect.routes {
            let endpoint = DialectEndpoint(
                dialect: dialect,
                route: route,
                service: service,
                bodyLimit: configuration.bodyLimit,
                auth: chain,
                policy: configuration.authPolicy(dialect.id)
            )
            router.on(RouterPath(route.path), method: route.method) { request, context in
                await endpoint.respond(to: request, context: context)
            }
        }
    }
    return router
}
