import DragomanCore
import DragomanDialectKit
import DragomanStore
import DragomanTransport
import HTTPTypes
import Logging

/// The gateway's side of a dialect's own login (``DialectSignIn``): its credential verifier,
/// sign-in throttle, session issuer and session carriers.
struct GatewaySignIn: DialectSignIn {
    let verifier: CredentialVerifier
    let throttle: FailureThrottle
    let sessions: SessionIssuer
    let carriers: SessionCarriers

    func retryAfter(client: String, user: String) -> Int? {
        guard let seconds = throttle.retryAfter(client: client, principal: user) else { return nil }
        RequestRecord.current?.update { $0.throttled = true }
        return seconds
    }

    func signIn(user: String, password: String, client: String, logger: Logger) async -> String? {
        await signIn(user: user, password: password, client: client, logger: logger, as: "credentials", failedMessage: "Sign-in failed")?.name
    }

    /// The one sign-in of every login (a dialect's, form login): the principal, or `nil`; the
    /// attempt counts for the throttle, and a failure is recorded as `failure` in the request's
    /// record and logged as `failedMessage`.
    func signIn(user: String, password: String, client: String, logger: Logger, as failure: String, failedMessage: Logger.Message) async -> Principal? {
        guard let principal = await verifier.verifyPassword(user: user, password: password) else {
            throttle.recordFailure(client: client, principal: user)
            RequestRecord.current?.update { $0.authFailure = failure }
            logger.notice(failedMessage, metadata: ["dragoman.auth.user": "\(user)", "dragoman.client": "\(client)"])
            return nil
        }
        throttle.recordSuccess(client: client, principal: user)
        return principal
    }

    func principal(session id: String) async -> String? {
        await verifier.verify(.session(id: id))?.name
    }

    func openSession(for principal: String, remembered: Bool) async throws -> String {
        try await sessions.open(for: Principal(name: principal), rememberMe: remembered).id
    }

    func closeSession(id: String) async {
        try? await sessions.close(id: id)
    }

    var sessionLifetime: Int { Int(sessions.ttl) }
    var rememberedLifetime: Int { Int(sessions.rememberMeTTL) }

    func sessionID(in headers: HTTPFields) -> String? { carriers.sessionID(in: headers) }

    func cookie(_ name: String, _ value: String, maxAge: Int?, secure: Bool) -> HTTPField {
        SessionIssuer.cookie(name, value, maxAge: maxAge, secure: secure)
    }

    func nameOperation(_ name: String) {
        RequestRecord.current?.update { $0.operation = name }
    }
}
