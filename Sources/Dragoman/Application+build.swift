import DragomanCore
import DragomanDialectKit
import DragomanStore
import DragomanTransport
public import Hummingbird
import HummingbirdCore
public import Logging
public import NIOCore
public import Tracing

/// Builds the gateway application from its configuration: opens the store, sets up the auth
/// chain and login routes, mounts every enabled dialect at its routes, and hands back an
/// application ready to run or test. With a `reloader`, the configuration can be replaced while
/// it runs (``GatewayReloader``); without one, a reload reads the same configuration again.
public func buildApplication(
    configuration: GatewayConfiguration,
    logger: Logger? = nil,
    lifecycle: GatewayLifecycle = GatewayLifecycle(),
    metrics: GatewayMetrics = GatewayMetrics(),
    tracer: (any Tracer)? = nil,
    reloader: GatewayReloader? = nil,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    var logger =
        logger
        ?? {
            var logger = Logger(label: "dragoman")
            logger.logLevel = configuration.logLevel
            return logger
        }()
    logger.handler.metadataProvider = .multiplex([logger.handler.metadataProvider, RequestRecord.metadataProvider].compactMap { $0 })
    let store = try await configuration.storeLocation.open(logger: logger)
    let migration = MigrationMonitor(store: store, events: metrics, logger: logger)
    // The edge answers requests the HTTP parser refused, in the dialect owning the path; it is
    // part of the listener, so it keeps the dialects of the start-up configuration.
    let routes = RouteTable(dialects: configuration.enabledDialects)
    let edge = EdgeResponder(routes: routes)
    let build: @Sendable (GatewayConfiguration) throws -> BuiltRouter = { configuration in
        try buildRouter(configuration: configuration, store: store, edge: edge, lifecycle: lifecycle, metrics: metrics, tracer: tracer, migration: migration)
    }
    let built: BuiltRouter
    do {
        built = try build(configuration)
    } catch {
        try? await store.close()
        throw error
    }
    built.activate()
    configuration.warnIfNobodyCanSignIn(logger: logger)
    let serverName = "dragoman"
    let responder = SwappableResponder(built.responder)
    let answering = ConnectionResponder(responder: responder, logger: logger, serverName: serverName)
    var server = HTTPServerBuilder.guardedHTTP1(limits: configuration.connectionLimits, edge: edge, answering: answering.respond)
    var certificates: TLSContextBox?
    if let tls = configuration.tls {
        do {
            certificates = TLSContextBox(try tls.context())
        } catch {
            try? await store.close()
            throw error
        }
        server = .guardedHTTPS(limits: configuration.connectionLimits, edge: edge, contexts: certificates!, answering: answering.respond)
    }
    let reloader = reloader ?? GatewayReloader { configuration }
    reloader.attach(configuration: configuration, built: built, responder: responder, certificates: certificates, logger: logger, build: build)
    var app = Application(
        responder: responder,
        server: server,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: serverName),
        onServerRunning: onServerRunning,
        logger: logger
    )
    app.addServices(store, StoreJanitor(store: store, logger: logger), migration, reloader)
    return app
}

/// A router built from one configuration, with the upstream clients it sends through and the
/// migrating routes it hands the migration monitor when it starts serving.
struct BuiltRouter: Sendable {
    let responder: GatewayResponder
    let clients: UpstreamHTTPClients
    var migration: MigrationMonitor? = nil
    var migrations: [MigrationRoute] = []

    /// Called once this router serves: the monitor applies and compares for its routes.
    func activate() {
        migration?.install(migrations)
    }
}

/// Builds everything a configuration decides above the store: the user service, the upstream
/// clients and the router.
func buildRouter(
    configuration: GatewayConfiguration,
    store: any GatewayStore,
    edge: EdgeResponder,
    lifecycle: GatewayLifecycle,
    metrics: GatewayMetrics,
    tracer: (any Tracer)?,
    migration: MigrationMonitor? = nil
) throws -> BuiltRouter {
    let service = UserService(
        store: MeasuredUserStore(base: store, engine: store.engine, metrics: metrics),
        hasher: BcryptPasswordHasher(cost: configuration.bcryptCost),
        validator: UserValidator(fields: configuration.registry.fields)
    )
    // The pools hold no connection before their first exchange: a failure below leaves
    // nothing to shut down.
    let clients = try UpstreamHTTPClients(upstreams: configuration.upstreams)
    var migrations: [MigrationRoute] = []
    let router = try buildRouter(
        configuration: configuration, service: service, store: store, http: clients, edge: edge, lifecycle: lifecycle, metrics: metrics,
        migration: migration, migrations: &migrations
    )
    let observation = ObservationMiddleware(accessLog: configuration.accessLog, metrics: metrics, tracer: tracer)
    return BuiltRouter(
        responder: GatewayResponder(observation: observation, router: router.buildResponder()), clients: clients, migration: migration,
        migrations: migrations)
}

/// The router: the login routes, every enabled dialect's routes (each one's pipeline a
/// ``MiddlewareChain``), the health routes (`/health`, `/health/live`, `/health/ready`), the
/// metrics route (`/metrics`), and for requests no route matches the method guard and the
/// reverse proxy. The observation step wraps the router (``GatewayResponder``).
func buildRouter(
    configuration: GatewayConfiguration,
    service: UserService,
    store: any GatewayStore,
    http: UpstreamHTTPClients,
    edge: EdgeResponder,
    lifecycle: GatewayLifecycle = GatewayLifecycle(),
    metrics: GatewayMetrics = GatewayMetrics(),
    migration: MigrationMonitor? = nil,
    migrations: inout [MigrationRoute]
) throws -> Router<GatewayRequestContext> {
    let router = Router(context: GatewayRequestContext.self)
    let sessions: any SessionStore = store
    let idempotency = IdempotentCreate(store: store, retention: configuration.idempotencyTTL, lease: configuration.idempotencyLease)
    router.get("/health") { _, _ in "ok" }
    let verifier = CredentialVerifier(
        directory: PrincipalDirectory(configuration.principals),
        sessions: sessions,
        cacheTTL: configuration.credentialCacheTTL
    )
    let throttle = FailureThrottle(
        maxFailures: configuration.throttleMaxFailures,
        window: configuration.throttleWindow,
        maxBackoff: configuration.throttleMaxBackoff,
        firstBackoff: configuration.throttleFirstBackoff
    )
    let issuer = SessionIssuer(store: sessions, ttl: configuration.sessionTTL, rememberMeTTL: configuration.rememberMeTTL)
    let carriers = configuration.registry.sessionCarriers
    let signIn = GatewaySignIn(verifier: verifier, throttle: throttle, sessions: issuer, carriers: carriers)
    FormLoginController(signIn: signIn).addRoutes(to: router)
    // Logins are mounted whatever the dialect's `enabled` says: a session from any login is
    // accepted by every route's session scheme.
    for registration in configuration.registry.registrations { registration.addRoutes?(GatewayDialectRouter(router: router), signIn) }
    let chain = AuthChain(verifier: verifier, throttle: throttle, realm: configuration.realm, carriers: carriers)
    var clients: [String: UpstreamClient] = [:]
    for (name, upstream) in configuration.upstreams {
        if let pool = http.pools[name] {
            clients[name] = UpstreamClient(configuration: upstream, pool: pool, signIn: configuration.backendDialect(upstream.dialect)?.signIn)
        }
    }
    HealthController(store: store, upstreams: clients, lifecycle: lifecycle).addRoutes(to: router)
    if configuration.metricsEnabled {
        MetricsController(metrics: metrics, upstreams: clients, path: configuration.metricsPath, migration: migration).addRoutes(to: router)
    }
    if let migration { MigrationController(monitor: migration, chain: chain, store: store).addRoutes(to: router) }
    for dialect in configuration.enabledDialects {
        let settings = configuration.dialects[dialect.id]
        var backend: any UserBackend
        if settings?.mode == .forward, let name = settings?.upstream, let client = clients[name] {
            guard let backendDialect = configuration.backendDialect(client.configuration.dialect) else {
                throw ConfigurationError(key: "upstreams.\(name).dialect", problem: "names '\(client.configuration.dialect)', which cannot be a backend")
            }
            let forwarding = ForwardingBackend(
                upstream: client,
                dialect: backendDialect,
                validator: UserValidator(fields: configuration.registry.fields),
                idMap: store,
                lostFields: settings?.lostFields ?? .reject
            )
            backend = forwarding
            if let plan = settings?.migration, let migration, let candidate = clients[plan.candidate] {
                guard let candidateDialect = configuration.backendDialect(candidate.configuration.dialect) else {
                    throw ConfigurationError(
                        key: "upstreams.\(plan.candidate).dialect", problem: "names '\(candidate.configuration.dialect)', which cannot be a backend")
                }
                let route = MigrationRoute(
                    dialect: dialect, plan: plan, primary: forwarding,
                    candidate: ForwardingBackend(
                        upstream: candidate, dialect: candidateDialect, validator: forwarding.validator, idMap: store, lostFields: forwarding.lostFields),
                    fields: configuration.registry.fields)
                migrations.append(route)
                backend = MigrationBackend(route: route, monitor: migration, idMap: store)
            }
        } else {
            backend = LocalBackend(service: service)
        }
        // The pipeline of a dialect route: dialect → authentication → (create: body →
        // idempotency) → handler. Failures render themselves in the dialect (DialectError).
        let handlers = UserHandlers(backend: backend, store: store)
        for route in dialect.routes {
            let path = RouterPath(route.path)
            let dialectStep = DialectMiddleware(dialect: dialect, route: route)
            if route.operation == .unknownOperation {
                // The vendor's refusal of a name it does not define comes before authentication;
                // with a reverse proxy, the backend may define it.
                if configuration.proxyUpstream == nil {
                    router.on(path, method: route.method, responder: MiddlewareChain(steps: [dialectStep], handler: handlers.unknownOperation))
                }
                continue
            }
            let steps: [any GatewayMiddleware] = [dialectStep, AuthenticationMiddleware(chain: chain, policy: configuration.authPolicy(dialect.id))]
            let bodyStep = BodyMiddleware(limit: configuration.bodyLimit)
            let pipeline: MiddlewareChain
            switch route.operation {
            case .create:
                pipeline = MiddlewareChain(
                    steps: steps + [bodyStep, IdempotencyMiddleware(idempotency: idempotency, backend: backend)], handler: handlers.create)
            case .read:
                pipeline = MiddlewareChain(steps: steps, handler: handlers.read)
            case .update:
                pipeline = MiddlewareChain(steps: steps + [bodyStep], handler: handlers.update)
            case .delete:
                pipeline = MiddlewareChain(steps: steps, handler: handlers.delete)
            case .list:
                // A list asked by POST (a search) carries its query in the body.
                pipeline = MiddlewareChain(steps: route.method == .post ? steps + [bodyStep] : steps, handler: handlers.list)
            case .resource:
                let body = route.method == .post || route.method == .put || route.method == .patch
                pipeline = MiddlewareChain(steps: body ? steps + [bodyStep] : steps, handler: handlers.resource)
            case .unknownOperation:
                continue
            }
            router.on(path, method: route.method, responder: pipeline)
        }
    }
    // Router middleware applies to the routes added after it, and to requests no route matches:
    // added here, after every route, the method guard (and the proxy's fallback) see only those.
    router.add(
        middleware: MethodGuardMiddleware(edge: edge, routes: RouteTable(dialects: configuration.enabledDialects), proxied: configuration.proxyUpstream != nil))
    if let name = configuration.proxyUpstream, let upstream = configuration.upstreams[name], let pool = http.pools[name] {
        ReverseProxy(upstream: upstream, pool: pool).addRoutes(to: router)
    }
    return router
}
