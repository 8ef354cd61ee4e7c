import DragomanCore
import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Form login: `GET /login` serves a small HTML form carrying a CSRF token; `POST /login` takes
/// the form, checks the token against its cookie (double submit), verifies the credentials and
/// sets the `dragoman-session` cookie; `POST /logout` ends the session.
struct FormLoginController: Sendable {
    /// The gateway's sign-in, throttle and sessions, as every login uses them.
    let signIn: GatewaySignIn

    func addRoutes(to router: Router<GatewayRequestContext>) {
        router.get("/login") { request, _ in self.form(request) }
        router.post("/login") { request, context in await self.login(request, context: context) }
        router.post("/logout") { request, _ in await self.logout(request) }
    }

    private func form(_ request: Request, message: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        let token = SecretDigest.randomToken()
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        headers.append(
            SessionIssuer.cookie(SessionCookies.csrfCookie, token, maxAge: 3600, secure: request.head.isSecure, sameSite: "Strict", path: "/login")
        )
        let notice = message.map { "<p role=\"alert\">\(HTML.escape($0))</p>" } ?? ""
        let page = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Dragoman sign-in</title></head>
            <body><h1>Sign in to Dragoman</h1>\(notice)
            <form method="post" action="/login">
            <input type="hidden" name="csrf" value="\(token)">
            <label>User name <input name="username" autocomplete="username" required></label>
            <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
            <button type="submit">Sign in</button>
            </form></body></html>
            """
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }

    private func login(_ request: Request, context: GatewayRequestContext) async -> Response {
        guard request.headers[.contentType].flatMap(MediaType.init)?.isForm == true,
            let buffer = try? await request.body.collect(upTo: 16 * 1024),
            case .object(let fields)? = try? WireBody.parse(Array(buffer.readableBytesView), as: .form)
        else {
            return form(request, message: "Send the form as application/x-www-form-urlencoded.", status: .badRequest)
        }
        func field(_ name: String) -> String { if case .string(let value)? = fields[name] { value } else { "" } }
        let cookie = SessionCookies.cookieValues(request.headers)[SessionCookies.csrfCookie] ?? ""
        guard !cookie.isEmpty, SecretDigest.constantTimeEquals(cookie, field("csrf")) else {
            context.logger.notice("Form login refused: CSRF token missing or wrong", metadata: ["dragoman.client": "\(context.clientAddress)"])
            return form(request, message: "The form expired; please try again.", status: .forbidden)
        }
        let user = field("username")
        signIn.nameOperation("login")
        if let retryAfter = signIn.retryAfter(client: context.clientAddress, user: user) {
            var response = form(request, message: "Too many failed sign-ins; try again later.", status: .tooManyRequests)
            response.headers[.retryAfter] = String(retryAfter)
            return response
        }
        guard
            let principal = await signIn.signIn(
                user: user, password: field("password"), client: context.clientAddress, logger: context.logger, as: "form",
                failedMessage: "Form login failed")
        else {
            return form(request, message: "Wrong user name or password.", status: .unauthorized)
        }
        do {
            let session = try await signIn.sessions.open(for: principal)
            context.logger.info("Signed in", metadata: ["dragoman.principal": "\(principal.name)"])
            var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
            headers.append(
                SessionIssuer.cookie(SessionCookies.formCookie, session.id, maxAge: signIn.sessionLifetime, secure: request.head.isSecure)
            )
            let page = "<!doctype html><html lang=\"en\"><body><p>Signed in as \(HTML.escape(principal.name)).</p></body></html>"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
        } catch {
            context.logger.error("Could not store a session", metadata: ["dragoman.error": "\(error)"])
            return Response(status: .internalServerError)
        }
    }

    private func logout(_ request: Request) async -> Response {
        if let id = SessionCookies.cookieValues(request.headers)[SessionCookies.formCookie] {
            await signIn.closeSession(id: id)
        }
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        headers.append(SessionIssuer.cookie(SessionCookies.formCookie, "", maxAge: 0, secure: request.head.isSecure))
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: "<!doctype html><p>Signed out.</p>")))
    }
}
