import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes
import Logging

/// ServiceStack's auth service, as CCC clients use it, under the host's `/api` base path (and
/// at the root, as before): `POST /api/auth/credentials` (or `/api/auth/login`), or the
/// `Authenticate` DTO at `POST /api/Authenticate` or `POST /api/auth` with `provider` in the
/// body, with `UserName`, `Password` and `RememberMe` (JSON or form, names case-insensitive),
/// answers an `AuthenticateResponse` and sets `ss-id`, `ss-pid` and `ss-opt`; `GET /api/auth`
/// (or `GET /api/Authenticate`) tells whether the session is valid; `/api/auth/logout`, or the
/// `logout` provider, ends it. Another provider is ServiceStack's 404.
struct ServiceStackAuthController: Sendable {
    /// The gateway's principals, throttle and sessions.
    let signIn: any DialectSignIn

    func addRoutes(to router: any DialectRouter) {
        for base in ServiceStackAuthWire.authBases {
            router.get("\(base)/auth") { request in await self.current(request) }
            router.post("\(base)/auth") { request in await self.authenticate(request, provider: nil) }
            router.get("\(base)/auth/logout") { request in await self.logout(request) }
            router.post("\(base)/auth/logout") { request in await self.logout(request) }
            router.post("\(base)/auth/:provider") { request in
                await self.authenticate(request, provider: request.parameters["provider"] ?? "")
            }
        }
        for base in ServiceStackRoutes.bases {
            let path = "\(base)/\(ServiceStackAuthWire.operation)"
            router.get(path) { request in
                let provider = request.queryValue(ServiceStackAuthWire.provider)
                return provider?.lowercased() == ServiceStackAuthWire.logoutProvider ? await self.logout(request) : await self.current(request)
            }
            router.post(path) { request in await self.authenticate(request, provider: nil) }
        }
    }

    /// An `Authenticate` request: the provider from the path, else from the body, else
    /// credentials (ServiceStack's first provider).
    private func authenticate(_ request: DialectHTTPRequest, provider pathProvider: String?) async -> DialectResponse {
        var fields: WireObject
        do {
            fields = try Self.bind(request)
        } catch {
            return Self.error(.badRequest, "SerializationException", "Unable to bind to request '\(ServiceStackAuthWire.operation)'")
        }
        var provider = (pathProvider ?? fields.string(ServiceStackAuthWire.provider) ?? ServiceStackAuthWire.credentialsProvider).lowercased()
        if provider.isEmpty || provider == ServiceStackAuthWire.credentialsAlias { provider = ServiceStackAuthWire.credentialsProvider }
        switch provider {
        case ServiceStackAuthWire.credentialsProvider:
            return await login(request, fields: fields)
        case ServiceStackAuthWire.logoutProvider:
            return await logout(request)
        default:
            let shown = String(provider.prefix(64).filter(Self.isShownInProviderName))
            return Self.error(.notFound, "NotFound", ServiceStackAuth.unknownProvider(shown))
        }
    }

    /// Characters of an unknown provider's name echoed in the error (ServiceStack's `SafeInput`).
    private static func isShownInProviderName(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == "-")
    }

    /// The request's fields: a JSON or form body (names case-insensitive); no body is no fields.
    private static func bind(_ request: DialectHTTPRequest) throws -> WireObject {
        guard let body = request.body else { throw GatewayFailure.payloadTooLarge(limit: 64 * 1024) }
        guard !body.isEmpty else { return try WireObject(.object([:])) }
        let contentType = request.headers[.contentType].flatMap(MediaType.init)
        guard let format: BodyFormat = contentType.map({ $0.isJSON ? .json : $0.isForm ? .form : nil }) ?? nil else {
            throw GatewayFailure.unsupportedMediaType(request.headers[.contentType])
        }
        return try WireObject(try WireBody.parse(body, as: format), caseInsensitive: true)
    }

    private func login(_ request: DialectHTTPRequest, fields: WireObject) async -> DialectResponse {
        var fields = fields
        let user = fields.string(ServiceStackAuthWire.userName) ?? ""
        let password = fields.string(ServiceStackAuthWire.password) ?? ""
        let rememberMe = fields.bool(ServiceStackAuthWire.rememberMe, acceptingStrings: true) ?? false
        // CredentialsAuthProvider's validator: both must be given.
        let missing = [(ServiceStackAuthWire.userName, user), (ServiceStackAuthWire.password, password)].filter { $0.1.isEmpty }.map {
            ResponseError(errorCode: "NotEmpty", fieldName: $0.0, message: "'\(ServiceStack.label($0.0))' must not be empty.")
        }
        if let first = missing.first {
            return CCCErrors.body(.badRequest, first.errorCode, first.message, missing)
        }
        signIn.nameOperation("login")
        if let retryAfter = signIn.retryAfter(client: request.clientAddress, user: user) {
            var response = Self.error(.tooManyRequests, "TooManyRequests", "Too many failed authentication attempts; retry after \(retryAfter) seconds")
            response.headers[.retryAfter] = String(retryAfter)
            return response
        }
        guard let principal = await signIn.signIn(user: user, password: password, client: request.clientAddress, logger: request.logger) else {
            return Self.error(.unauthorized, "Unauthorized", ServiceStackAuth.invalidCredentials)
        }
        do {
            let session = try await signIn.openSession(for: principal, remembered: rememberMe)
            request.logger.info("Signed in", metadata: ["dragoman.principal": "\(principal)"])
            var response = Self.authenticated(principal, sessionID: session)
            let secure = request.isSecure
            let lifetime = rememberMe ? signIn.rememberedLifetime : signIn.sessionLifetime
            response.headers.append(signIn.cookie(ServiceStackAuthWire.temporaryCookie, session, maxAge: rememberMe ? lifetime : nil, secure: secure))
            response.headers.append(signIn.cookie(ServiceStackAuthWire.permanentCookie, session, maxAge: lifetime, secure: secure))
            response.headers.append(signIn.cookie(ServiceStackAuthWire.optionsCookie, rememberMe ? "perm" : "temp", maxAge: lifetime, secure: secure))
            return response
        } catch {
            request.logger.error("Could not store a session", metadata: ["dragoman.error": "\(error)"])
            return Self.error(.internalServerError, "Exception", "Internal server error")
        }
    }

    private func current(_ request: DialectHTTPRequest) async -> DialectResponse {
        guard let id = signIn.sessionID(in: request.headers), let principal = await signIn.principal(session: id) else {
            return Self.error(.unauthorized, "Unauthorized", ServiceStackAuth.notAuthenticated)
        }
        return Self.authenticated(principal, sessionID: id)
    }

    private func logout(_ request: DialectHTTPRequest) async -> DialectResponse {
        if let id = signIn.sessionID(in: request.headers) { await signIn.closeSession(id: id) }
        var response = DialectResponse(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: Array("{}".utf8))
        for name in [ServiceStackAuthWire.temporaryCookie, ServiceStackAuthWire.permanentCookie, ServiceStackAuthWire.optionsCookie] {
            response.headers.append(signIn.cookie(name, "", maxAge: 0, secure: request.isSecure))
        }
        return response
    }

    static func authenticated(_ principal: String, sessionID: String) -> DialectResponse {
        .json(.ok, AuthenticateResponse(userId: principal, sessionId: sessionID, userName: principal, displayName: principal))
    }

    static func error(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> DialectResponse {
        CCCErrors.body(status, code, message, [])
    }
}
