import DragomanCore
import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation

extension GatewayConfiguration {
    /// `upstreams: { <name>: { baseURL, dialect, auth, connectTimeout, requestTimeout, maxConnections, deactivate, defaults, breaker, tls } }`;
    /// `defaults` holds the shared keys and those the upstream's dialect declares.
    static func readUpstreams(_ section: ConfigSection, registry: DialectRegistry) throws(ConfigurationError) -> [String: UpstreamConfiguration] {
        var upstreams: [String: UpstreamConfiguration] = [:]
        for name in section.values.keys.sorted() {
            let entry = try section.section(name)
            try entry.allowOnly([
                "baseURL", "dialect", "auth", "connectTimeout", "requestTimeout", "maxConnections", "defaults", "breaker", "tls", "deactivate",
            ])
            guard let base = try entry.string("baseURL") else { throw ConfigurationError(key: entry.key("baseURL"), problem: "is required") }
            // Parsed as the connection pool parses it, so what the configuration takes the pool can use.
            guard let address = UpstreamAddress(baseURL: base) else {
                throw ConfigurationError(key: entry.key("baseURL"), problem: "must be an http:// or https:// URL, not '\(base)'")
            }
            guard let dialectName = try entry.string("dialect") else { throw ConfigurationError(key: entry.key("dialect"), problem: "is required") }
            let dialect = DialectID(rawValue: dialectName)
            guard registry[dialect]?.backend != nil else {
                let allowed = registry.registrations.filter { $0.backend != nil }.map(\.id.rawValue).joined(separator: ", ")
                throw ConfigurationError(key: entry.key("dialect"), problem: "must be one of \(allowed), not '\(dialectName)'")
            }
            var upstream = UpstreamConfiguration(name: name, baseURL: base.hasSuffix("/") ? String(base.dropLast()) : base, dialect: dialect)
            if let seconds = try entry.int("connectTimeout", in: 1...600) { upstream.connectTimeout = TimeInterval(seconds) }
            if let seconds = try entry.int("requestTimeout", in: 1...3600) { upstream.requestTimeout = TimeInterval(seconds) }
            if let count = try entry.int("maxConnections", in: 1...4096) { upstream.maxConnections = count }
            if let policy = try entry.choice("deactivate", DeactivatePolicy.self) { upstream.deactivate = policy }
            upstream.authentication = try readUpstreamAuth(try entry.section("auth"), aliases: registry[dialect]?.upstreamSchemeAliases ?? [:])
            if case .session = upstream.authentication, registry[dialect]?.backend?().signIn == nil {
                throw ConfigurationError(
                    key: try entry.section("auth").key("scheme"), problem: "session needs a backend dialect with a login of its own; \(dialectName) has none")
            }
            let defaults = try entry.section("defaults")
            let registration = registry[dialect]
            try defaults.allowOnly(Set(["password", "userName", "permissionIds", "country"]).union(registration?.backendDefaultKeys ?? []))
            var backendDefaults = BackendDefaults()
            try registration?.configureBackend(defaults, &backendDefaults)
            upstream.tenant = backendDefaults.tenant
            if let policy = try defaults.choice("password", UpstreamConfiguration.PasswordPolicy.self) { upstream.password = policy }
            if let policy = try defaults.choice("userName", UpstreamConfiguration.UserNamePolicy.self) { upstream.userName = policy }
            if let ids = try defaults.list("permissionIds") {
                let numbers = ids.compactMap { Int64($0) }
                guard numbers.count == ids.count, !numbers.isEmpty else {
                    throw ConfigurationError(key: defaults.key("permissionIds"), problem: "must be a non-empty list of numbers")
                }
                upstream.permissionIDs = numbers
            }
            upstream.country = try defaults.string("country")
            let breaker = try entry.section("breaker")
            try breaker.allowOnly(["failures", "cooldown"])
            if let failures = try breaker.int("failures", in: 1...1000) { upstream.breakerFailures = failures }
            if let cooldown = try breaker.int("cooldown", in: 1...3600) { upstream.breakerCooldown = TimeInterval(cooldown) }
            let tls = try entry.section("tls")
            try tls.allowOnly(["caBundle", "certificate", "key"])
            let client = UpstreamTLS(caBundle: try tls.string("caBundle"), certificate: try tls.string("certificate"), key: try tls.string("key"))
            if client != UpstreamTLS() {
                guard address.tls else {
                    throw ConfigurationError(key: tls.key("caBundle"), problem: "applies to https:// upstreams only; baseURL is '\(base)'")
                }
                upstream.tls = client
                _ = try client.configuration(key: tls.key(""))
            }
            upstreams[name] = upstream
        }
        return upstreams
    }

    /// `auth: { scheme: none | basic | apiKey | bearer | session, user, password, key, header }`;
    /// `aliases` are the upstream dialect's older names of schemes (its registration's
    /// ``DialectRegistration/upstreamSchemeAliases``).
    private static func readUpstreamAuth(_ section: ConfigSection, aliases: [String: String]) throws(ConfigurationError) -> UpstreamConfiguration.Authentication
    {
        try section.allowOnly(["scheme", "user", "password", "key", "header"])
        func required(_ name: String) throws(ConfigurationError) -> String {
            guard let value = try section.string(name), !value.isEmpty else {
                throw ConfigurationError(key: section.key(name), problem: "is required for this scheme")
            }
            return value
        }
        let scheme = try section.string("scheme") ?? "none"
        switch aliases[scheme] ?? scheme {
        case "none": return .none
        case "basic": return .basic(user: try required("user"), password: Secret(try required("password")))
        case "apiKey": return .apiKey(header: try section.string("header") ?? "X-API-Key", key: Secret(try required("key")))
        case "bearer": return .bearer(key: Secret(try required("key")))
        case "session": return .session(user: try required("user"), password: Secret(try required("password")))
        case let other:
            throw ConfigurationError(key: section.key("scheme"), problem: "must be one of none, basic, apiKey, bearer, session, not '\(other)'")
        }
    }
}
