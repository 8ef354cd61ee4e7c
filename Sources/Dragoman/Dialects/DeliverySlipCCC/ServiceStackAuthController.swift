import DragomanCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// ServiceStack's credentials login, as CCC clients use it: `POST /auth/credentials` with
/// `UserName`, `Password` and `RememberMe` (JSON or form, names case-insensitive) answers an
/// `AuthenticateResponse` and sets `ss-id`, `ss-pid` and `ss-opt`; `GET /auth` tells whether the
/// session is valid; `/auth/logout` ends it.
struct ServiceStackAuthController: Sendable {
    let verifier: CredentialVerifier
    let throttle: FailureThrottle
    let sessions: SessionIssuer
    /// Every carrier the gateway accepts sessions in.
    let carriers: SessionCarriers

    func addRoutes(to router: Router<GatewayRequestContext>) {
        router.post(RouterPath(ServiceStackAuthWire.credentialsPath)) { request, context in await self.login(request, context: context) }
        router.get("/auth") { request, _ in await self.current(request) }
        router.get("/auth/logout") { request, _ in await self.logout(request) }
        router.post("/auth/logout") { request, _ in await self.logout(request) }
    }

    private func login(_ request: Request, context: GatewayRequestContext) async -> Response {
        let contentType = request.headers[.contentType].flatMap(MediaType.init)
        let format: BodyFormat? = contentType.map { $0.isJSON ? .json : $0.isForm ? .form : nil } ?? nil
        guard let format, let buffer = try? await request.body.collect(upTo: 64 * 1024),
            let body = try? RequestBody.parse(Array(buffer.readableBytesView), as: format),
            var fields = try? WireObject(body, caseInsensitive: true)
        else {
            return Self.error(.badRequest, "SerializationException", "Unable to bind to request 'Authenticate'")
        }
        let user = fields.string(ServiceStackAuthWire.userName) ?? ""
        let password = fields.string(ServiceStackAuthWire.password) ?? ""
        let rememberMe = fields.bool(ServiceStackAuthWire.rememberMe, acceptingStrings: true) ?? false
        if let retryAfter = throttle.retryAfter(client: context.clientAddress, principal: user) {
            var response = Self.error(.tooManyRequests, "TooManyRequests", "Too many failed authentication attempts; retry after \(retryAfter) seconds")
            response.headers[.retryAfter] = String(retryAfter)
            return response
        }
        guard !user.isEmpty, !password.isEmpty, let principal = await verifier.verifyPassword(user: user, password: password) else {
            throttle.recordFailure(client: context.clientAddress, principal: user)
            context.logger.notice("ServiceStack login failed", metadata: ["dragoman.auth.user": "\(user)", "dragoman.client": "\(context.clientAddress)"])
            return Self.error(.unauthorized, "Unauthorized", ServiceStackAuth.invalidCredentials)
        }
        throttle.recordSuccess(client: context.clientAddress, principal: user)
        do {
            let session = try await sessions.open(for: principal, rememberMe: rememberMe)
            context.logger.info("Signed in", metadata: ["dragoman.principal": "\(principal.name)"])
            var response = Self.authenticated(principal, sessionID: session.id)
            let secure = SessionIssuer.isSecure(request.headers)
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
        let secure = SessionIssuer.isSecure(request.headers)
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
