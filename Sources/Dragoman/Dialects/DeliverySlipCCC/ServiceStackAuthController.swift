import DragomanCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// ServiceStack's auth service, as CCC clients use it, under the host's `/api` base path (and
/// at the root, as before): `POST /api/auth/credentials` (or `/api/auth/login`), or the
/// `Authenticate` DTO at `POST /api/Authenticate` or `POST /api/auth` with `provider` in the
/// body, with `UserName`, `Password` and `RememberMe` (JSON or form, names case-insensitive),
/// answers an `AuthenticateResponse` and sets `ss-id`, `ss-pid` and `ss-opt`; `GET /api/auth`
/// (or `GET /api/Authenticate`) tells whether the session is valid; `/api/auth/logout`, or the
/// `logout` provider, ends it. Another provider is ServiceStack's 404.
struct ServiceStackAuthController: Sendable {
    let verifier: CredentialVerifier
    let throttle: FailureThrottle
    let sessions: SessionIssuer
    /// Every carrier the gateway accepts sessions in.
    let carriers: SessionCarriers

    func addRoutes(to router: Router<GatewayRequestContext>) {
        for base in ServiceStackAuthWire.authBases {
            router.get("\(base)/auth") { request, _ in await self.current(request) }
            router.post("\(base)/auth") { request, context in await self.authenticate(request, context: context, provider: nil) }
            router.get("\(base)/auth/logout") { request, _ in await self.logout(request) }
            router.post("\(base)/auth/logout") { request, _ in await self.logout(request) }
            router.post("\(base)/auth/:provider") { request, context in
                await self.authenticate(request, context: context, provider: context.parameters.get("provider") ?? "")
            }
        }
        for base in ServiceStackRoutes.bases {
            let path = RouterPath("\(base)/\(ServiceStackAuthWire.operation)")
            router.get(path) { request, context in
                let provider = QueryItems.parse(request.uri.query).first { $0.name.lowercased() == ServiceStackAuthWire.provider }?.value
                return provider?.lowercased() == ServiceStackAuthWire.logoutProvider ? await self.logout(request) : await self.current(request)
            }
            router.post(path) { request, context in await self.authenticate(request, context: context, provider: nil) }
        }
    }

    /// An `Authenticate` request: the provider from the path, else from the body, else
    /// credentials (ServiceStack's first provider).
    private func authenticate(_ request: Request, context: GatewayRequestContext, provider pathProvider: String?) async -> Response {
        var fields: WireObject
        do {
            fields = try await Self.bind(request)
        } catch {
            return Self.error(.badRequest, "SerializationException", "Unable to bind to request '\(ServiceStackAuthWire.operation)'")
        }
        var provider = (pathProvider ?? fields.string(ServiceStackAuthWire.provider) ?? ServiceStackAuthWire.credentialsProvider).lowercased()
        if provider.isEmpty || provider == ServiceStackAuthWire.credentialsAlias { provider = ServiceStackAuthWire.credentialsProvider }
        switch provider {
        case ServiceStackAuthWire.credentialsProvider:
            return await login(request, fields: fields, context: context)
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
    private static func bind(_ request: Request) async throws -> WireObject {
        let buffer = try await request.body.collect(upTo: 64 * 1024)
        guard buffer.readableBytes > 0 else { return try WireObject(.object([:])) }
        let contentType = request.headers[.contentType].flatMap(MediaType.init)
        guard let format: BodyFormat = contentType.map({ $0.isJSON ? .json : $0.isForm ? .form : nil }) ?? nil else {
            throw GatewayFailure.unsupportedMediaType(request.headers[.contentType])
        }
        return try WireObject(try RequestBody.parse(Array(buffer.readableBytesView), as: format), caseInsensitive: true)
    }

    private func login(_ request: Request, fields: WireObject, context: GatewayRequestContext) async -> Response {
        var fields = fields
        let user = fields.string(ServiceStackAuthWire.userName) ?? ""
        let password = fields.string(ServiceStackAuthWire.password) ?? ""
        let rememberMe = fields.bool(ServiceStackAuthWire.rememberMe, acceptingStrings: true) ?? false
        // CredentialsAuthProvider's validator: both must be given.
        let missing = [(ServiceStackAuthWire.userName, user), (ServiceStackAuthWire.password, password)].filter { $0.1.isEmpty }.map {
            ResponseError(errorCode: "NotEmpty", fieldName: $0.0, message: "'\(ServiceStack.label($0.0))' must not be empty.")
        }
        if let first = missing.first {
            return Response(dialect: CCCErrors.body(.badRequest, first.errorCode, first.message, missing))
        }
        RequestRecord.current?.update { $0.operation = "login" }
        if let retryAfter = throttle.retryAfter(client: context.clientAddress, principal: user) {
            RequestRecord.current?.update { $0.throttled = true }
            var response = Self.error(.tooManyRequests, "TooManyRequests", "Too many failed authentication attempts; retry after \(retryAfter) seconds")
            response.headers[.retryAfter] = String(retryAfter)
            return response
        }
        guard let principal = await verifier.verifyPassword(user: user, password: password) else {
            throttle.recordFailure(client: context.clientAddress, principal: user)
            RequestRecord.current?.update { $0.authFailure = "credentials" }
            context.logger.notice("ServiceStack login failed", metadata: ["dragoman.auth.user": "\(user)", "dragoman.client": "\(context.clientAddress)"])
            return Self.error(.unauthorized, "Unauthorized", ServiceStackAuth.invalidCredentials)
        }
        throttle.recordSuccess(client: context.clientAddress, principal: user)
        do {
            let session = try await sessions.open(for: principal, rememberMe: rememberMe)
            context.logger.info("Signed in", metadata: ["dragoman.principal": "\(principal.name)"])
            var response = Self.authenticated(principal, sessionID: session.id)
            let secure = SessionIssuer.isSecure(request)
            let lifetime = Int(rememberMe ? sessions.rememberMeTTL : sessions.ttl)
            response.headers.append(SessionIssuer.cookie(ServiceStackAuthWire.temporaryCookie, session.id, maxAge: rememberMe ? lifetime : nil, secure: secure))
            response.headers.append(SessionIssuer.cookie(ServiceStackAuthWire.permanentCookie, session.id, maxAge: lifetime, secure: secure))
            response.headers.append(SessionIssuer.cookie(ServiceStackAuthWire.optionsCookie, rememberMe ? "perm" : "temp", maxAge: lifetime, secure: secure))
            return response
        } catch {
            context.logger.error("Could not store a session", metadata: ["dragoman.error": "\(error)"])
            return Self.error(.internalServerError, "Exception", "Internal server error")
        }
    }

    private func current(_ request: Request) async -> Response {
        guard let id = carriers.sessionID(in: request.headers), let principal = await verifier.verify(.session(id: id)) else {
            return Self.error(.unauthorized, "Unauthorized", ServiceStackAuth.notAuthenticated)
        }
        return Self.authenticated(principal, sessionID: id)
    }

    private func logout(_ request: Request) async -> Response {
        if let id = carriers.sessionID(in: request.headers) { try? await sessions.close(id: id) }
        var response = Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: "{}")))
        let secure = SessionIssuer.isSecure(request)
        for name in [ServiceStackAuthWire.temporaryCookie, ServiceStackAuthWire.permanentCookie, ServiceStackAuthWire.optionsCookie] {
            response.headers.append(SessionIssuer.cookie(name, "", maxAge: 0, secure: secure))
        }
        return response
    }

    static func authenticated(_ principal: Principal, sessionID: String) -> Response {
        let body = AuthenticateResponse(userId: principal.name, sessionId: sessionID, userName: principal.name, displayName: principal.name)
        return Response(dialect: .json(.ok, body))
    }

    static func error(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
        Response(dialect: CCCErrors.body(status, code, message, []))
    }
}
