import HTTPTypes

extension GatewayFailure {
    /// Adds the protocol headers this failure carries, whatever the dialect: `WWW-Authenticate`
    /// on a 401, `Retry-After` on a 429 or 503, `Allow` on a 405.
    package func addHeaders(to response: inout DialectResponse) {
        switch self {
        case .unauthenticated(let challenges, _):
            for challenge in challenges { response.headers.append(HTTPField(name: .wwwAuthenticate, value: challenge)) }
        case .throttled(let seconds), .serviceUnavailable(let seconds), .overloaded(let seconds):
            response.headers[.retryAfter] = String(seconds)
        case .methodNotAllowed(let allowed):
            response.headers[.allow] = allowed.joined(separator: ", ")
        case .idempotencyKeyInFlight:
            response.headers[.retryAfter] = "1"
        default:
            break
        }
    }
}
