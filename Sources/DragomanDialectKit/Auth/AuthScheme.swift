public import HTTPTypes

/// An authentication scheme a route may accept.
public enum AuthScheme: String, Sendable, CaseIterable, Codable {
    /// `Authorization: Basic` with a principal's name and password. Where the dialect says so
    /// (``AuthPolicy/basicUserNameIsAPIKey``), a user name with an empty password is an API key.
    case basic
    /// An API key in a header, `X-API-Key` unless the route names another.
    case apiKey
    /// `Authorization: Bearer <API key>`.
    case bearer
    /// A session from form login (`dragoman-session` cookie) or a dialect's own session login,
    /// carried where that dialect registered (``SessionCarriers``).
    case session
}

/// Which schemes a route accepts, in order, and where it reads API keys from.
public struct AuthPolicy: Sendable, Equatable {
    /// The ordered chain; empty means the route is open, which the configuration must say explicitly.
    public var schemes: [AuthScheme]
    public var apiKeyHeader: HTTPField.Name
    /// Whether a Basic user name with an empty password is an API key: the dialect's
    /// convention (``DialectRegistration/basicUserNameIsAPIKey``), not configuration. Elsewhere
    /// such a header is a password login with an empty password, which fails.
    public var basicUserNameIsAPIKey = false

    public init(schemes: [AuthScheme], apiKeyHeader: HTTPField.Name = HTTPField.Name("X-API-Key")!) {
        self.schemes = schemes
        self.apiKeyHeader = apiKeyHeader
    }

    public var isOpen: Bool { schemes.isEmpty }

    /// The `WWW-Authenticate` challenges naming every accepted scheme; the session scheme's
    /// names where sessions are had (`sessionLogins`, from the registered carriers).
    package func challenges(realm: String, sessionLogins: [String]) -> [String] {
        schemes.map { scheme in
            switch scheme {
            case .basic: "Basic realm=\"\(realm)\", charset=\"UTF-8\""
            case .apiKey: "ApiKey realm=\"\(realm)\", header=\"\(apiKeyHeader.rawName)\""
            case .bearer: "Bearer realm=\"\(realm)\""
            case .session: (["Session realm=\"\(realm)\""] + sessionLogins).joined(separator: ", ")
            }
        }
    }
}
