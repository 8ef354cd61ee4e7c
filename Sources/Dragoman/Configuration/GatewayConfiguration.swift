import DragomanCore
public import DragomanDialectKit
public import DragomanStore
public import DragomanTransport
public import Foundation
public import Logging

/// `log.format`: how log lines are written.
public enum LogFormat: String, Sendable, CaseIterable {
    case json
    case text
}

/// `tracing.exporter`: where spans go. `otlp` (OpenTelemetry, configured by the standard
/// `OTEL_…` variables) needs the build with the `OTel` package trait.
public enum TracingExporter: String, Sendable, CaseIterable {
    case none
    case otlp
}

/// Everything Dragoman is configured with. Built from `config/dragoman.yaml`, then environment
/// variables, then command-line flags, each overriding the one before (see the README).
public struct GatewayConfiguration: Sendable {
    /// How a dialect's requests are answered.
    public enum Mode: String, Sendable, CaseIterable {
        /// From Dragoman's own store.
        case local
        /// By a backend, translating both ways.
        case forward
    }

    /// One dialect's settings.
    public struct DialectSettings: Sendable, Equatable {
        public var enabled = true
        public var mode = Mode.local
        public var auth: AuthPolicy
        /// The upstream a forwarding dialect sends to.
        public var upstream: String?
        public var lostFields = LostFieldPolicy.reject
        /// The route's migration to another upstream (`migration:`), when it is being moved.
        public var migration: MigrationPlan?

        public init(
            enabled: Bool = true, mode: Mode = .local, auth: AuthPolicy, upstream: String? = nil, lostFields: LostFieldPolicy = .reject,
            migration: MigrationPlan? = nil
        ) {
            self.enabled = enabled
            self.mode = mode
            self.auth = auth
            self.upstream = upstream
            self.lostFields = lostFields
            self.migration = migration
        }
    }

    /// The dialects this gateway can mount.
    public var registry = DialectRegistry.standard

    public var host = "127.0.0.1"
    public var port = 8080
    /// The largest request body accepted, in bytes.
    public var bodyLimit = 1_048_576
    /// HTTPS on the listener (`server.tls`); `nil` listens for plain HTTP.
    public var tls: ListenerTLS?
    /// Timeouts and connection caps (`server.*Timeout`, `server.maxConnections…`).
    public var connectionLimits = ConnectionLimits()
    public var storePath = "./data/dragoman.sqlite"
    /// The shared PostgreSQL store, when `store.url` names one; it wins over `storePath`.
    public var storeURL: PostgresLocation?
    /// How long an idempotent create's response is replayed, in seconds (24 hours).
    public var idempotencyTTL: TimeInterval = 24 * 3600
    /// How long a running keyed request holds its key if it never finishes (a crashed
    /// instance), in seconds.
    public var idempotencyLease: TimeInterval = 60
    public var bcryptCost: UInt8 = 10
    public var logLevel: Logger.Level = .info
    /// How log lines are written: one JSON object per line, or swift-log's plain text.
    public var logFormat: LogFormat = .json
    /// Whether every request gets an access line.
    public var accessLog = true
    /// Whether Prometheus metrics are served, unauthenticated, at ``metricsPath``.
    public var metricsEnabled = true
    public var metricsPath = "/metrics"
    /// Where spans go; with `none` the caller's trace context is still passed to upstreams.
    public var tracingExporter = TracingExporter.none
    /// How long a SIGTERM or SIGINT lets in-flight requests finish, in seconds, before the
    /// rest is cancelled.
    public var shutdownGrace: Double = 30
    /// Each dialect's settings; a registered dialect without an entry is enabled, local, with
    /// its vendor's auth chain.
    public var dialects: [DialectID: DialectSettings] = Dictionary(
        uniqueKeysWithValues: DialectRegistry.standard.registrations.map { ($0.id, DialectSettings(auth: AuthPolicy(schemes: $0.defaultSchemes))) }
    )
    /// What dialects read from their own configuration keys, each under a type of its own.
    public var dialectData = DialectData()
    /// Backends, by name.
    public var upstreams: [String: UpstreamConfiguration] = [:]
    /// The upstream that paths no dialect route matches are proxied to, unchanged.
    public var proxyUpstream: String?
    /// The callers Dragoman knows.
    public var principals: [Principal] = []
    /// The realm named in `WWW-Authenticate` challenges.
    public var realm = "dragoman"
    /// How long a login session lasts, in seconds, and one whose login asked to be remembered.
    public var sessionTTL: TimeInterval = 3600
    public var rememberMeTTL: TimeInterval = 7 * 24 * 3600
    /// How long a verified password is remembered, in seconds.
    public var credentialCacheTTL: TimeInterval = 60
    /// Failed authentications allowed per client address and principal together before back-off;
    /// a pair's count is forgotten after `throttleWindow` seconds without a failure.
    public var throttleMaxFailures = 10
    public var throttleWindow: TimeInterval = 60
    /// The longest a throttled client waits, in seconds, however often it failed.
    public var throttleMaxBackoff: TimeInterval = 900
    /// The first wait once a pair's allowance is used up, in seconds; each further failure doubles it.
    public var throttleFirstBackoff: TimeInterval = 1

    public init() {}

    /// The store to open: PostgreSQL when `store.url` is set, else the SQLite file.
    public var storeLocation: StoreLocation {
        if let storeURL { return .postgres(storeURL) }
        return .sqlite(path: storePath)
    }

    /// The auth policy of a dialect's routes.
    func authPolicy(_ id: DialectID) -> AuthPolicy {
        var policy = dialects[id]?.auth ?? AuthPolicy(schemes: registry[id]?.defaultSchemes ?? [])
        policy.basicUserNameIsAPIKey = registry[id]?.basicUserNameIsAPIKey ?? false
        return policy
    }

    /// A dialect as a backend speaks it (its client side), or `nil` when none is registered.
    func backendDialect(_ id: DialectID) -> (any BackendDialect)? {
        registry[id]?.backend?()
    }

    /// The dialects to mount, in the registry's order.
    var enabledDialects: [any UserDialect] {
        enabledRegistrations.map { $0.make(dialectData) }
    }

    /// The registrations of the dialects to mount, in the registry's order.
    private var enabledRegistrations: [DialectRegistration] {
        registry.registrations.filter { dialects[$0.id]?.enabled ?? true }
    }

    /// The mounted dialects that refuse every request because their routes need a credential
    /// and no principal is configured; empty when there is a principal or every route is open.
    var dialectsNobodyCanSignInTo: [DialectID] {
        guard principals.isEmpty else { return [] }
        return enabledRegistrations.map(\.id).filter { !authPolicy($0).isOpen }
    }

    /// Warns, at start and after a reload, when mounted routes need a credential and no
    /// principal is configured: every request to them will get a 401. The usual cause is a
    /// configuration file not found where it was looked for (the built-in defaults have no
    /// principal).
    func warnIfNobodyCanSignIn(logger: Logger) {
        let locked = dialectsNobodyCanSignInTo
        guard !locked.isEmpty else { return }
        logger.warning(
            "No principals are configured: every request to these dialects' routes will be refused as unauthenticated",
            metadata: ["dragoman.dialects": "\(locked.map(\.rawValue).joined(separator: ","))"]
        )
    }
}

extension DialectID {
    /// The vendor's own auth chain, as its registration in the standard registry gives it.
    public var defaultSchemes: [AuthScheme] {
        DialectRegistry.standard[self]?.defaultSchemes ?? []
    }
}
