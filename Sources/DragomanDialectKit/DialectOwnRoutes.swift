package import HTTPTypes
package import Logging

/// A request to one of a dialect's own routes (its login, its metadata pages), as the dialect
/// sees it: no server type, so a dialect needs nothing of the HTTP server to serve them.
package struct DialectHTTPRequest: Sendable {
    /// The request's method, scheme, authority, path and header fields.
    package var head: HTTPRequest
    /// The route's path parameters, by name.
    package var parameters: [String: String]
    /// Query items in order; a name may repeat.
    package var query: [(name: String, value: String)]
    /// The body, or `nil` when it was larger than the route's limit.
    package var body: [UInt8]?
    /// The caller's address, for throttling and logs.
    package var clientAddress: String
    package var logger: Logger

    package var headers: HTTPFields { head.headerFields }

    /// Whether the request came over TLS, directly or through a proxy that says so.
    package var isSecure: Bool { head.isSecure }

    /// The first query value named `name`, compared case-insensitively.
    package func queryValue(_ name: String) -> String? { QueryItems.first(name, in: query) }

    package init(
        head: HTTPRequest, parameters: [String: String], query: [(name: String, value: String)], body: [UInt8]? = nil, clientAddress: String, logger: Logger
    ) {
        self.head = head
        self.parameters = parameters
        self.query = query
        self.body = body
        self.clientAddress = clientAddress
        self.logger = logger
    }
}

/// Where a dialect adds routes of its own (``DialectRegistration/addRoutes``), in the router's
/// path syntax (`/api/auth/:provider`). They are not user routes: no auth chain runs before them.
package protocol DialectRouter {
    /// Answers `method` on `path` with `handler`, reading at most `bodyLimit` bytes of body.
    func add(
        _ method: HTTPRequest.Method, _ path: String, bodyLimit: Int,
        handler: @escaping @Sendable (DialectHTTPRequest) async -> DialectResponse
    )
}

extension DialectRouter {
    package func get(_ path: String, handler: @escaping @Sendable (DialectHTTPRequest) async -> DialectResponse) {
        add(.get, path, bodyLimit: 0, handler: handler)
    }

    package func post(_ path: String, bodyLimit: Int = 64 * 1024, handler: @escaping @Sendable (DialectHTTPRequest) async -> DialectResponse) {
        add(.post, path, bodyLimit: bodyLimit, handler: handler)
    }
}

/// What a dialect's own login works with: the gateway's principals, its sign-in throttle, its
/// sessions and where sessions travel. The gateway implements it; a dialect never sees a
/// password hash or a session's stored digest.
package protocol DialectSignIn: Sendable {
    /// Seconds `client` must wait before trying `user` again, or `nil` when it may try now.
    func retryAfter(client: String, user: String) -> Int?
    /// The principal `user` and `password` name, or `nil`; the attempt counts for the throttle,
    /// the request's record and the log.
    func signIn(user: String, password: String, client: String, logger: Logger) async -> String?
    /// The principal a session id belongs to, or `nil` when it is unknown or has expired.
    func principal(session id: String) async -> String?
    /// Opens a session for `principal`; `remembered` sessions last longer.
    func openSession(for principal: String, remembered: Bool) async throws -> String
    /// Ends the session `id`, if there is one.
    func closeSession(id: String) async
    /// How long a session lasts, in seconds, and a remembered one.
    var sessionLifetime: Int { get }
    var rememberedLifetime: Int { get }
    /// The session id the request carries, in any carrier the gateway accepts.
    func sessionID(in headers: HTTPFields) -> String?
    /// A `Set-Cookie` field as the gateway writes them (HttpOnly, SameSite=Lax, Secure when asked).
    func cookie(_ name: String, _ value: String, maxAge: Int?, secure: Bool) -> HTTPField
    /// Names the request's operation in its access line and metrics (`login`).
    func nameOperation(_ name: String)
}

extension HTTPRequest {
    /// Whether the request came over TLS, directly or through a proxy that says so.
    package var isSecure: Bool { Self.isSecure(scheme: scheme, headers: headerFields) }

    /// Whether a request with `scheme` and `headers` came over TLS, directly or through a
    /// proxy that says so (`X-Forwarded-Proto: https`).
    package static func isSecure(scheme: String?, headers: HTTPFields) -> Bool {
        scheme == "https" || headers[forwardedProto]?.lowercased() == "https"
    }

    private static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}
