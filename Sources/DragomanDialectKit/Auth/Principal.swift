/// A caller Dragoman knows, as declared in the configuration: a name, a bcrypt password hash for
/// Basic and form login, and the SHA-256 hashes of its API keys. Never the secrets themselves.
public struct Principal: Sendable, Equatable {
    public var name: String
    public var passwordHash: String?
    /// SHA-256 digests of the principal's API keys, 64 lowercase hex digits each.
    public var apiKeyHashes: [String]
    /// What else the principal may do: `admin` reaches the gateway's own admin routes
    /// (`/__dragoman/…`).
    public var roles: [String]

    public init(name: String, passwordHash: String? = nil, apiKeyHashes: [String] = [], roles: [String] = []) {
        self.name = name
        self.passwordHash = passwordHash
        self.apiKeyHashes = apiKeyHashes
        self.roles = roles
    }

    /// Whether the principal may use the admin routes.
    public var isAdmin: Bool { roles.contains(Self.adminRole) }

    public static let adminRole = "admin"
}
