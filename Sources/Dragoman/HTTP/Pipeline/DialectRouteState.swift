import DragomanCore
import DragomanDialectKit
import DragomanStore
import DragomanTransport

/// What the pipeline knows of a dialect request as it goes: the dialect and route answering it,
/// the request as the dialect sees it (principal and body filled in by the middleware that
/// reads them), and, for a keyed create, the decoded create and the claim it runs under.
/// Carried in ``GatewayRequestContext/dialectRoute``.
struct DialectRouteState: Sendable {
    let dialect: any UserDialect
    let route: DialectRoute
    var request: DialectRequest
    /// The create as decoded for its idempotency fingerprint, so the handler does not decode twice.
    var decoded: DecodedCreate?
    /// The claimed idempotency key and the key sent to a backend for it.
    var claim: IdempotencyClaim?
    var backendKey: String?

    /// The failure `failure` in this dialect's shape, as an error Hummingbird renders.
    func error(_ failure: GatewayFailure) -> DialectError {
        DialectError(failure: failure, dialect: dialect, request: request)
    }
}
