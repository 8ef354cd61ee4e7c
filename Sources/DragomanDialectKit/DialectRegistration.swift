package import DragomanCore

/// A dialect's name, as configuration and logs spell it (lowercase, with hyphens). Each dialect
/// declares its own in its folder; the gateway knows no list of them but the registry's.
public struct DialectID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
}

/// What one dialect brings to the gateway: its name, its vendor's own auth chain, its own
/// configuration keys, how it is built from the configuration, and its backend side. Each
/// dialect's folder defines its registration; ``DialectRegistry/standard`` lists them.
package struct DialectRegistration: Sendable {
    package var id: DialectID
    /// The auth chain its routes get when the configuration names none.
    package var defaultSchemes: [AuthScheme]
    /// Whether its callers send an API key as a Basic user name with an empty password; for
    /// other dialects that header is a password login with an empty password, which fails.
    package var basicUserNameIsAPIKey = false
    /// Older names of upstream auth schemes that configurations of its upstreams may still
    /// use, each with the scheme it stands for.
    package var upstreamSchemeAliases: [String: String] = [:]
    /// Fields only it knows (``UserField/extension(_:_:storage:merge:)``): validated, merged and
    /// stored with the user like the standard ones.
    package var fields: [UserField] = []
    /// Keys of its own under `dialects.<id>`, beside the shared ones (`enabled`, `mode`, …).
    package var optionKeys: Set<String> = []
    /// Reads its own keys from its section (which may be empty) into values of its own types
    /// kept in the configuration's ``DialectData``; errors name the key. The data already holds
    /// the gateway's ``FieldTable``, every dialect's fields included.
    package var configure: @Sendable (ConfigSection, inout DialectData) throws(ConfigurationError) -> Void = { _, _ in }
    /// The dialect to mount, made from what `configure` kept.
    package var make: @Sendable (DialectData) -> any UserDialect
    /// The dialect as a backend speaks it, or `nil` when it cannot be a backend.
    package var backend: (@Sendable () -> any BackendDialect)?
    /// Keys of its own under `upstreams.<name>.defaults` when it is the upstream's dialect,
    /// beside the shared ones (`password`, `userName`, `permissionIds`, `country`).
    package var backendDefaultKeys: Set<String> = []
    /// Reads its own upstream defaults from that section; errors name the key.
    package var configureBackend: @Sendable (ConfigSection, inout BackendDefaults) throws(ConfigurationError) -> Void = { _, _ in }
    /// Where its own session login's clients send the session, accepted by every route's
    /// session scheme.
    package var sessionCarriers: SessionCarriers? = nil
    /// Routes of its own beside its user routes, such as its login, with what a login needs.
    package var addRoutes: (@Sendable (any DialectRouter, any DialectSignIn) -> Void)? = nil

    package init(
        id: DialectID,
        defaultSchemes: [AuthScheme],
        basicUserNameIsAPIKey: Bool = false,
        upstreamSchemeAliases: [String: String] = [:],
        fields: [UserField] = [],
        optionKeys: Set<String> = [],
        configure: @escaping @Sendable (ConfigSection, inout DialectData) throws(ConfigurationError) -> Void = { _, _ in },
        make: @escaping @Sendable (DialectData) -> any UserDialect,
        backend: (@Sendable () -> any BackendDialect)? = nil,
        backendDefaultKeys: Set<String> = [],
        configureBackend: @escaping @Sendable (ConfigSection, inout BackendDefaults) throws(ConfigurationError) -> Void = { _, _ in },
        sessionCarriers: SessionCarriers? = nil,
        addRoutes: (@Sendable (any DialectRouter, any DialectSignIn) -> Void)? = nil
    ) {
        self.id = id
        self.defaultSchemes = defaultSchemes
        self.basicUserNameIsAPIKey = basicUserNameIsAPIKey
        self.upstreamSchemeAliases = upstreamSchemeAliases
        self.fields = fields
        self.optionKeys = optionKeys
        self.configure = configure
        self.make = make
        self.backend = backend
        self.backendDefaultKeys = backendDefaultKeys
        self.configureBackend = configureBackend
        self.sessionCarriers = sessionCarriers
        self.addRoutes = addRoutes
    }
}

/// What a backend dialect reads from an upstream's `defaults` beside the shared keys.
package struct BackendDefaults: Sendable, Equatable {
    /// The tenant the backend's users belong to, for callers whose dialect has none.
    package var tenant: String?

    package init(tenant: String? = nil) {
        self.tenant = tenant
    }
}

/// The dialects a gateway can mount, in the order their routes are mounted. The gateway's
/// `DialectRegistry.standard` lists the shipped ones; ``adding(_:)`` makes a registry with one
/// more (a dialect of one's own, in its own module).
public struct DialectRegistry: Sendable {
    package let registrations: [DialectRegistration]

    package init(_ registrations: [DialectRegistration]) {
        self.registrations = registrations
    }

    /// This registry with one more dialect (replacing one of the same name).
    package func adding(_ registration: DialectRegistration) -> DialectRegistry {
        DialectRegistry(registrations.filter { $0.id != registration.id } + [registration])
    }

    public var ids: [DialectID] { registrations.map(\.id) }

    /// The standard fields and every field its dialects declare.
    package var fields: FieldTable { FieldTable.standard.adding(registrations.flatMap(\.fields)) }

    /// Every carrier a session may travel in: form login's cookie, then each dialect's.
    package var sessionCarriers: SessionCarriers {
        registrations.compactMap(\.sessionCarriers).reduce(.formLogin) { $0.merging($1) }
    }

    package subscript(id: DialectID) -> DialectRegistration? {
        registrations.first { $0.id == id }
    }
}
