import DragomanDialectKit

/// ServiceStack's authentication protocol as CCC speaks it, both ways: the credentials login
/// Dragoman answers (``ServiceStackAuthController``) and the one it makes as a client of a CCC
/// backend (``ServiceStackSignIn``). The only place its names are spelled; its session cookies and
/// headers are registered as session carriers, which the session scheme of every dialect accepts.
enum ServiceStackAuthWire {
    /// Where a client signs in with credentials: under the CCC host's `/api` base path.
    static let credentialsPath = "/api/auth/credentials"
    /// The auth service's bases: the CCC host's `/api`, and the root Dragoman served before.
    static let authBases = ["/api", ""]
    /// The `Authenticate` request DTO's name, served at ServiceStack's pre-defined routes.
    static let operation = "Authenticate"
    /// Its provider member, and the providers Dragoman has: credentials (alias `login`) and `logout`.
    static let provider = "provider"
    static let credentialsProvider = "credentials"
    static let credentialsAlias = "login"
    static let logoutProvider = "logout"
    static let userName = "UserName"
    static let password = "Password"
    static let rememberMe = "RememberMe"
    /// The `AuthenticateResponse` member holding the session id.
    static let sessionId = "sessionId"
    /// ServiceStack's temporary and permanent session cookies, and its session options cookie.
    static let temporaryCookie = "ss-id"
    static let permanentCookie = "ss-pid"
    static let optionsCookie = "ss-opt"
    /// The headers that carry the same ids where cookies are awkward.
    static let temporaryHeader = "X-ss-id"
    static let permanentHeader = "X-ss-pid"
    /// Where ServiceStack's clients send a session: the headers first, then the cookies.
    /// Its login is named in the session scheme's challenge as `credentials="/api/auth/credentials"`.
    static let carriers = SessionCarriers(
        headers: [temporaryHeader, permanentHeader],
        cookies: [temporaryCookie, permanentCookie],
        logins: ["credentials=\"\(credentialsPath)\""]
    )
}

/// ServiceStack's `AuthenticateResponse`, as far as Dragoman fills it.
struct AuthenticateResponse: Encodable {
    var userId: String
    var sessionId: String
    var userName: String
    var displayName: String
}

/// ServiceStack's authentication error texts (`ErrorMessages.cs`).
enum ServiceStackAuth {
    static let notAuthenticated = "Not Authenticated"
    static let invalidCredentials = "Invalid Username or Password"
    static let invalidBasic = "Invalid BasicAuth Credentials"
    static let apiKeyDoesNotExist = "ApiKey does not exist"
    static let sessionExpired = "Session expired or unknown; sign in again"

    /// `ErrorMessages.UnknownAuthProviderFmt`.
    static func unknownProvider(_ name: String) -> String {
        "No configuration was added for OAuth provider '\(name)'"
    }

    static func message(rejected: AuthScheme?) -> String {
        switch rejected {
        case nil: notAuthenticated
        case .basic: invalidBasic
        case .apiKey, .bearer: apiKeyDoesNotExist
        case .session: sessionExpired
        }
    }
}
