import DragomanCore
public import DragomanDialectKit
import DragomanStore
import DragomanTransport
public import Foundation
import HTTPTypes
import HummingbirdBcrypt
import Logging
import NIOCore

extension GatewayConfiguration {
    /// The configuration file used when none is named.
    public static let defaultPath = "config/dragoman.yaml"

    /// Loads the configuration: the YAML file at `path` (or `DRAGOMAN_CONFIG`, or the default
    /// file), overlaid by `DRAGOMAN_…` environment variables, overlaid by `overrides` (dotted keys
    /// from command-line flags).
    /// - Throws: ``ConfigurationError`` naming the key and what is wrong with it.
    public static func load(
        path: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        overrides: [String: String] = [:]
    ) throws(ConfigurationError) -> GatewayConfiguration {
        let file = path ?? environment["DRAGOMAN_CONFIG"] ?? defaultPath
        var tree = ConfigTree.mapping([:])
        if FileManager.default.fileExists(atPath: file) {
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                throw ConfigurationError(key: file, problem: "cannot be read as UTF-8 text")
            }
            tree = try ConfigTree.parse(yaml: text, source: file)
        } else if path != nil || environment["DRAGOMAN_CONFIG"] != nil {
            throw ConfigurationError(key: file, problem: "does not exist")
        }
        tree.overlay(environment: environment)
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
            tree.set(key.split(separator: ".").map(String.init), to: value)
        }
        let configuration = try GatewayConfiguration(tree: tree)
        try configuration.checkDemoCredentials()
        return configuration
    }

    /// Reads a merged configuration tree. Each section is read on its own, so that one error
    /// does not hide the next: every section's first problem is reported, the first thrown
    /// with the others in ``ConfigurationError/more``.
    init(tree: ConfigTree) throws(ConfigurationError) {
        self.init()
        let root = try ConfigSection(tree, path: "")
        var problems: [ConfigurationError] = []
        func step(_ read: (inout GatewayConfiguration) throws(ConfigurationError) -> Void) {
            do { try read(&self) } catch { problems.append(error) }
        }
        /// The top-level section `name`, or `nil` (its problem noted) when it is not a mapping.
        func section(_ name: String) -> ConfigSection? {
            do { return try root.section(name) } catch {
                problems.append(error)
                return nil
            }
        }
        step { _ throws(ConfigurationError) in
            try root.allowOnly([
                "server", "store", "idempotency", "security", "log", "metrics", "tracing", "dialects", "auth", "principals", "upstreams", "proxy",
            ])
        }
        // Each key of a section is its own step, so one bad key does not hide the next.
        if let server = section("server") {
            step { _ throws(ConfigurationError) in try server.allowOnly(Self.connectionLimitKeys.union(["host", "port", "bodyLimit", "shutdownGrace", "tls"])) }
            step { configuration throws(ConfigurationError) in
                if let grace = try server.int("shutdownGrace", in: 0...3600) { configuration.shutdownGrace = Double(grace) }
            }
            step { configuration throws(ConfigurationError) in if let host = try server.string("host") { configuration.host = host } }
            step { configuration throws(ConfigurationError) in if let port = try server.int("port", in: 0...65535) { configuration.port = port } }
            step { configuration throws(ConfigurationError) in
                if let limit = try server.int("bodyLimit", in: 1...(1 << 30)) { configuration.bodyLimit = limit }
            }
            step { configuration throws(ConfigurationError) in try configuration.readConnectionLimits(server) }
            step { configuration throws(ConfigurationError) in try configuration.readListenerTLS(try server.section("tls")) }
        }
        step { configuration throws(ConfigurationError) in
            let store = try root.section("store")
            try store.allowOnly(["url", "sqlite"])
            if let url = try store.string("url"), !url.isEmpty {
                do throws(PostgresLocationError) {
                    configuration.storeURL = try PostgresLocation(url: url)
                } catch {
                    throw ConfigurationError(key: store.key("url"), problem: error.problem)
                }
            }
            let sqlite = try store.section("sqlite")
            try sqlite.allowOnly(["path"])
            if let path = try sqlite.string("path") {
                guard !path.isEmpty else { throw ConfigurationError(key: sqlite.key("path"), problem: "must not be empty") }
                configuration.storePath = path
            }
        }
        if let idempotency = section("idempotency") {
            step { _ throws(ConfigurationError) in try idempotency.allowOnly(["ttl", "lease"]) }
            step { configuration throws(ConfigurationError) in
                if let ttl = try idempotency.int("ttl", in: 1...(30 * 24 * 3600)) { configuration.idempotencyTTL = TimeInterval(ttl) }
            }
            step { configuration throws(ConfigurationError) in
                if let lease = try idempotency.int("lease", in: 1...3600) { configuration.idempotencyLease = TimeInterval(lease) }
            }
        }
        step { configuration throws(ConfigurationError) in
            let security = try root.section("security")
            try security.allowOnly(["bcryptCost"])
            if let cost = try security.int("bcryptCost", in: 4...31) { configuration.bcryptCost = UInt8(cost) }
        }
        if let log = section("log") {
            step { _ throws(ConfigurationError) in try log.allowOnly(["level", "format", "access"]) }
            step { configuration throws(ConfigurationError) in if let level = try log.choice("level", Logger.Level.self) { configuration.logLevel = level } }
            step { configuration throws(ConfigurationError) in if let format = try log.choice("format", LogFormat.self) { configuration.logFormat = format } }
            step { configuration throws(ConfigurationError) in if let access = try log.bool("access") { configuration.accessLog = access } }
        }
        if let metrics = section("metrics") {
            step { _ throws(ConfigurationError) in try metrics.allowOnly(["enabled", "path"]) }
            step { configuration throws(ConfigurationError) in if let enabled = try metrics.bool("enabled") { configuration.metricsEnabled = enabled } }
            step { configuration throws(ConfigurationError) in
                if let path = try metrics.string("path") {
                    guard path.hasPrefix("/"), path.count > 1, !path.contains(where: { $0 == "?" || $0 == "#" || $0 == ":" || $0 == "*" || $0.isWhitespace })
                    else {
                        throw ConfigurationError(key: metrics.key("path"), problem: "must be a literal path starting with '/', e.g. /metrics")
                    }
                    configuration.metricsPath = path
                }
            }
        }
        step { configuration throws(ConfigurationError) in
            let tracing = try root.section("tracing")
            try tracing.allowOnly(["exporter"])
            if let exporter = try tracing.choice("exporter", TracingExporter.self) { configuration.tracingExporter = exporter }
        }
        step { configuration throws(ConfigurationError) in try configuration.readAuth(try root.section("auth")) }
        step { configuration throws(ConfigurationError) in configuration.principals = try Self.readPrincipals(try root.section("principals")) }
        var upstreamsRead = false
        step { configuration throws(ConfigurationError) in
            configuration.upstreams = try Self.readUpstreams(try root.section("upstreams"), registry: configuration.registry)
            upstreamsRead = true
        }
        // Sections that name upstreams are checked only against upstreams that were read.
        if upstreamsRead {
            step { configuration throws(ConfigurationError) in
                let proxy = try root.section("proxy")
                try proxy.allowOnly(["upstream"])
                if let name = try proxy.string("upstream") {
                    guard configuration.upstreams[name] != nil else {
                        throw ConfigurationError(key: proxy.key("upstream"), problem: "names '\(name)', which is not under upstreams")
                    }
                    configuration.proxyUpstream = name
                }
            }
            step { configuration throws(ConfigurationError) in
                let dialects = try root.section("dialects")
                try dialects.allowOnly(Set(configuration.registry.ids.map(\.rawValue)))
            }
            for registration in registry.registrations {
                step { configuration throws(ConfigurationError) in
                    try configuration.readDialect(registration, from: try root.section("dialects").section(registration.id.rawValue))
                }
            }
        }
        if var first = problems.first {
            first.more = Array(problems.dropFirst())
            throw first
        }
    }

    static let connectionLimitKeys: Set<String> = [
        "headerTimeout", "bodyTimeout", "requestTimeout", "idleTimeout", "sendTimeout", "lingerTimeout",
        "maxConnections", "maxConnectionsPerClient", "maxRequestLineBytes", "maxHeaderBytes", "maxHeaderCount",
    ]

    /// `server.tls`: the certificate and key go together (`http2` is optional); the files are
    /// read now, so that an unreadable one is named when the configuration is loaded or checked.
    mutating func readListenerTLS(_ tls: ConfigSection) throws(ConfigurationError) {
        try tls.allowOnly(["certificate", "key", "http2"])
        let certificate = try tls.string("certificate")
        let key = try tls.string("key")
        switch (certificate, key) {
        case (nil, nil):
            self.tls = nil
        case (let certificate?, let key?):
            var listener = ListenerTLS(certificatePath: certificate, keyPath: key)
            if let http2 = try tls.bool("http2") { listener.http2 = http2 }
            _ = try listener.context()
            self.tls = listener
        case (nil, _):
            throw ConfigurationError(key: tls.key("certificate"), problem: "is required with server.tls.key")
        case (_, nil):
            throw ConfigurationError(key: tls.key("key"), problem: "is required with server.tls.certificate")
        }
    }

    mutating func readConnectionLimits(_ server: ConfigSection) throws(ConfigurationError) {
        func timeout(_ name: String, _ keyPath: WritableKeyPath<ConnectionLimits, TimeAmount>) throws(ConfigurationError) {
            if let seconds = try server.seconds(name, in: 0.05...86400) {
                connectionLimits[keyPath: keyPath] = .nanoseconds(Int64(seconds * 1_000_000_000))
            }
        }
        try timeout("headerTimeout", \.headerTimeout)
        try timeout("bodyTimeout", \.bodyTimeout)
        try timeout("requestTimeout", \.requestTimeout)
        try timeout("idleTimeout", \.idleTimeout)
        try timeout("sendTimeout", \.sendTimeout)
        try timeout("lingerTimeout", \.lingerTimeout)
        if let value = try server.int("maxConnections", in: 1...1_000_000) { connectionLimits.maxConnections = value }
        if let value = try server.int("maxConnectionsPerClient", in: 1...1_000_000) { connectionLimits.maxConnectionsPerClient = value }
        if let value = try server.int("maxRequestLineBytes", in: 256...(1 << 20)) { connectionLimits.maxRequestLineBytes = value }
        if let value = try server.int("maxHeaderBytes", in: 1024...(1 << 20)) { connectionLimits.maxHeaderBytes = value }
        if let value = try server.int("maxHeaderCount", in: 8...10_000) { connectionLimits.maxHeaderCount = value }
    }

    mutating func readDialect(_ registration: DialectRegistration, from section: ConfigSection) throws(ConfigurationError) {
        let id = registration.id
        try section.allowOnly(Set(["enabled", "mode", "auth", "apiKeyHeader", "upstream", "lostFields", "migration"]).union(registration.optionKeys))
        var settings = DialectSettings(auth: try Self.readPolicy(section, defaultSchemes: registration.defaultSchemes))
        if let enabled = try section.bool("enabled") { settings.enabled = enabled }
        if let mode = try section.choice("mode", Mode.self) { settings.mode = mode }
        settings.upstream = try section.string("upstream")
        if let policy = try section.choice("lostFields", LostFieldPolicy.self) { settings.lostFields = policy }
        if settings.mode == .forward {
            guard let upstream = settings.upstream else {
                throw ConfigurationError(key: section.key("upstream"), problem: "is required when mode is 'forward'")
            }
            guard upstreams[upstream] != nil else {
                throw ConfigurationError(key: section.key("upstream"), problem: "names '\(upstream)', which is not under upstreams")
            }
        }
        settings.migration = try readMigration(try section.section("migration"), settings: settings)
        dialects[id] = settings
        // Every field the gateway knows, so a dialect's settings may name another's fields.
        dialectData[FieldTable.self] = registry.fields
        try registration.configure(section, &dialectData)
    }

    /// `migration: { candidate, stage, percent, principals, mirrorWrites, ignore, sample, outbox: { attempts, firstBackoff, maxBackoff } }`
    /// of a forwarding route; `nil` when the section is absent.
    private func readMigration(_ section: ConfigSection, settings: DialectSettings) throws(ConfigurationError) -> MigrationPlan? {
        guard !section.values.isEmpty else { return nil }
        try section.allowOnly(["candidate", "stage", "percent", "principals", "mirrorWrites", "ignore", "sample", "outbox"])
        guard settings.mode == .forward, let primary = settings.upstream else {
            throw ConfigurationError(key: section.key("candidate"), problem: "needs mode 'forward' and an upstream: a migration moves a forwarded route")
        }
        guard let candidate = try section.string("candidate") else { throw ConfigurationError(key: section.key("candidate"), problem: "is required") }
        guard upstreams[candidate] != nil else {
            throw ConfigurationError(key: section.key("candidate"), problem: "names '\(candidate)', which is not under upstreams")
        }
        guard candidate != primary else {
            throw ConfigurationError(key: section.key("candidate"), problem: "names the route's own upstream '\(primary)'; name the system being migrated to")
        }
        guard let stage = try section.choice("stage", MigrationPlan.Stage.self) else {
            throw ConfigurationError(key: section.key("stage"), problem: "is required: shadow, split or cutover")
        }
        var plan = MigrationPlan(candidate: candidate, stage: stage)
        if let percent = try section.int("percent", in: 0...100) { plan.percent = percent }
        plan.principals = try section.list("principals") ?? []
        if let mirror = try section.bool("mirrorWrites") { plan.mirrorWrites = mirror }
        if let sample = try section.number("sample", in: 0...1) { plan.sample = sample }
        let ignore = try section.list("ignore") ?? []
        for name in ignore where registry.fields.field(named: name) == nil {
            let known = registry.fields.fields.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError(key: section.key("ignore"), problem: "has '\(name)', which is not a canonical field (\(known))")
        }
        plan.ignore = ignore
        let outbox = try section.section("outbox")
        try outbox.allowOnly(["attempts", "firstBackoff", "maxBackoff"])
        if let attempts = try outbox.int("attempts", in: 1...1000) { plan.attempts = attempts }
        if let first = try outbox.seconds("firstBackoff", in: 0.01...3600) { plan.firstBackoff = first }
        if let longest = try outbox.seconds("maxBackoff", in: 0.01...86400) { plan.maxBackoff = longest }
        return plan
    }

    private mutating func readAuth(_ section: ConfigSection) throws(ConfigurationError) {
        try section.allowOnly(["realm", "sessionTTL", "rememberMeTTL", "credentialCacheTTL", "throttle"])
        if let realm = try section.string("realm") { self.realm = realm }
        if let ttl = try section.int("sessionTTL", in: 1...(365 * 86400)) { sessionTTL = TimeInterval(ttl) }
        if let ttl = try section.int("rememberMeTTL", in: 1...(365 * 86400)) { rememberMeTTL = TimeInterval(ttl) }
        if let ttl = try section.int("credentialCacheTTL", in: 0...3600) { credentialCacheTTL = TimeInterval(ttl) }
        let throttle = try section.section("throttle")
        try throttle.allowOnly(["maxFailures", "window", "maxBackoff", "firstBackoff"])
        if let count = try throttle.int("maxFailures", in: 1...1_000_000) { throttleMaxFailures = count }
        if let window = try throttle.int("window", in: 1...86400) { throttleWindow = TimeInterval(window) }
        if let backoff = try throttle.int("maxBackoff", in: 1...86400) { throttleMaxBackoff = TimeInterval(backoff) }
        if let backoff = try throttle.int("firstBackoff", in: 1...86400) { throttleFirstBackoff = TimeInterval(backoff) }
    }

    /// `auth: [basic, apiKey, bearer, session]` in order, or `auth: open`.
    private static func readPolicy(_ section: ConfigSection, defaultSchemes: [AuthScheme]) throws(ConfigurationError) -> AuthPolicy {
        var policy = AuthPolicy(schemes: defaultSchemes)
        if let header = try section.string("apiKeyHeader") {
            guard let name = HTTPField.Name(header) else {
                throw ConfigurationError(key: section.key("apiKeyHeader"), problem: "is not a valid header name")
            }
            policy.apiKeyHeader = name
        }
        guard let names = try section.list("auth") else { return policy }
        if names == ["open"] {
            policy.schemes = []
            return policy
        }
        var schemes: [AuthScheme] = []
        for name in names {
            guard let scheme = AuthScheme(rawValue: name) else {
                let allowed = AuthScheme.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationError(key: section.key("auth"), problem: "has '\(name)'; use 'open' alone, or a list of \(allowed)")
            }
            if schemes.contains(scheme) { throw ConfigurationError(key: section.key("auth"), problem: "names '\(name)' twice") }
            schemes.append(scheme)
        }
        guard !schemes.isEmpty else {
            throw ConfigurationError(key: section.key("auth"), problem: "is empty; a route is open only when it says 'open'")
        }
        policy.schemes = schemes
        return policy
    }

    /// `principals: { <name>: { passwordHash: <bcrypt>, apiKeys: [<sha-256 hex>, …], roles: [admin] } }`
    private static func readPrincipals(_ section: ConfigSection) throws(ConfigurationError) -> [Principal] {
        var principals: [Principal] = []
        for name in section.values.keys.sorted() {
            let entry = try section.section(name)
            try entry.allowOnly(["passwordHash", "apiKeys", "roles"])
            var principal = Principal(name: name)
            if let hash = try entry.string("passwordHash"), !hash.isEmpty {
                guard hash.count == 60, hash.hasPrefix("$2") else {
                    throw ConfigurationError(
                        key: entry.key("passwordHash"), problem: "must be a bcrypt hash ($2b$…, 60 characters); make one with 'dragoman hash-password'")
                }
                principal.passwordHash = hash
            }
            for digest in try entry.list("apiKeys") ?? [] {
                guard digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
                    throw ConfigurationError(
                        key: entry.key("apiKeys"), problem: "must hold SHA-256 digests (64 hex digits); make one with 'dragoman new-api-key'")
                }
                principal.apiKeyHashes.append(digest.lowercased())
            }
            for role in try entry.list("roles") ?? [] {
                guard role == Principal.adminRole else {
                    throw ConfigurationError(key: entry.key("roles"), problem: "has '\(role)'; the only role is \(Principal.adminRole)")
                }
                principal.roles.append(role)
            }
            principals.append(principal)
        }
        return principals
    }

    /// Refuses the published demo credentials on any address other than loopback.
    func checkDemoCredentials() throws(ConfigurationError) {
        guard !Self.isLoopback(host) else { return }
        let demoKey = SecretDigest.sha256Hex(DemoPrincipal.apiKey)
        for principal in principals {
            let usesDemoKey = principal.apiKeyHashes.contains(demoKey)
            let usesDemoPassword = principal.passwordHash.map { Bcrypt.verify(DemoPrincipal.password, hash: $0) } ?? false
            if usesDemoKey || usesDemoPassword {
                throw ConfigurationError(
                    key: "principals.\(principal.name)",
                    problem: "uses the published demo credentials, which Dragoman accepts only on a loopback address (server.host is \(host))"
                )
            }
        }
    }

    /// Whether the address the server will bind for `host` is a loopback address: the host is
    /// resolved exactly as the server resolves it (its first address), so a name such as
    /// `127.evil.example` counts by where it points, not by how it is spelled. A host that does
    /// not resolve is not loopback.
    static func isLoopback(_ host: String) -> Bool {
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        guard let address = try? SocketAddress.makeAddressResolvingHost(name, port: 0), let ip = address.ipAddress else { return false }
        switch address {
        case .v4: return ip.hasPrefix("127.")
        case .v6: return ip == "::1" || ip.lowercased().hasPrefix("::ffff:127.")
        default: return false
        }
    }

    /// `services: { <service GUID>: { groups: { <group GUID>: Guest | Professional } } }`
}
