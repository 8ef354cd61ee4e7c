import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
import HTTPTypes
import Logging

/// The ordered authentication chain of a route. The first scheme that finds its credential in
/// the request decides: a valid credential passes, an invalid one fails at once, with no fall
/// through to a later scheme; a request with no credential for any scheme gets a 401 naming
/// every scheme the route accepts. Repeated failures are throttled.
struct AuthChain: Sendable {
    let verifier: CredentialVerifier
    let throttle: FailureThrottle
    let realm: String
    /// Where the session scheme looks for a session id.
    let carriers: SessionCarriers

    /// The principal the request authenticates as; `nil` only for an open route. `client`, the
    /// caller's address, is formatted only when the throttle or a log line needs it.
    func authenticate(
        _ headers: HTTPFields, client: @autoclosure () -> String, policy: AuthPolicy, logger: Logger
    ) async throws(GatewayFailure) -> Principal? {
        guard !policy.isOpen else { return nil }
        for scheme in policy.schemes {
            guard
                let credential = PresentedCredential.find(
                    scheme, in: headers, apiKeyHeader: policy.apiKeyHeader, basicUserNameIsAPIKey: policy.basicUserNameIsAPIKey, carriers: carriers
                )
            else { continue }
            let claimed: String? = if case .password(let user, _) = credential { user } else { nil }
            if let retryAfter = throttle.retryAfter(client: client(), principal: claimed) {
                logger.warning("Authentication throttled", metadata: ["dragoman.auth.scheme": "\(scheme.rawValue)", "dragoman.client": "\(client())"])
                RequestRecord.current?.update { $0.throttled = true }
                throw .throttled(retryAfter: retryAfter)
            }
            if let principal = await verifier.verify(credential) {
                if let claimed { throttle.recordSuccess(client: client(), principal: claimed) }
                return principal
            }
            throttle.recordFailure(client: client(), principal: claimed)
            RequestRecord.current?.update { $0.authFailure = scheme.rawValue }
            logger.notice(
                "Authentication failed",
                metadata: ["dragoman.auth.scheme": "\(scheme.rawValue)", "dragoman.client": "\(client())", "dragoman.auth.user": "\(claimed ?? "-")"]
            )
            throw .unauthenticated(challenges: policy.challenges(realm: realm, sessionLogins: carriers.logins), rejected: scheme)
        }
        throw .unauthenticated(challenges: policy.challenges(realm: realm, sessionLogins: carriers.logins), rejected: nil)
    }
}
