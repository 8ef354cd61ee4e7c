public import DragomanCore

/// Everything that can stop a request, before or after the canonical service. Each dialect
/// renders every case in its vendor's error shape.
public enum GatewayFailure: Error, Sendable, Equatable {
    /// The canonical service refused or failed.
    case service(ServiceError)
    /// The body is not well-formed; the text says where.
    case malformedBody(String)
    /// The body is not valid UTF-8.
    case invalidEncoding
    /// The `Content-Type` is missing or not one the dialect reads.
    case unsupportedMediaType(String?)
    /// The body is larger than the configured limit, in bytes.
    case payloadTooLarge(limit: Int)
    /// The caller asked for a response format Dragoman does not produce.
    case notAcceptable(String)
    /// A request parameter outside the body is wrong; `parameter` names it.
    case invalidParameter(parameter: String, reason: String)
    /// No credential, or a wrong one; `challenges` name every scheme the route accepts and
    /// `rejected` the scheme whose credential was refused (`nil` when none was presented).
    case unauthenticated(challenges: [String], rejected: AuthScheme?)
    /// Too many failed authentications; try again after this many seconds.
    case throttled(retryAfter: Int)
    /// The backend could not be reached or answered outside its dialect's contract (502).
    case badGateway(String)
    /// The backend did not answer in time (504).
    case gatewayTimeout
    /// The backend's circuit breaker is open; try again after this many seconds (503).
    case serviceUnavailable(retryAfter: Int)
    /// The backend failed with a server error (answered as the caller's 500).
    case backendFailed
    /// The backend refused the request for a reason not tied to one field.
    case backendRejected(String)
    /// The idempotency key in `header` was used before with a different request.
    case idempotencyKeyMismatch(header: String)
    /// A request with the idempotency key in `header` is still running.
    case idempotencyKeyInFlight(header: String)
    /// The request did not arrive in time: its headers, or its body, stalled (408).
    case requestTimeout
    /// The request line is longer than the gateway reads (414).
    case uriTooLong(limit: Int)
    /// The header fields are too many or too large (431).
    case headersTooLarge
    /// The path exists but not for this method (405); `allowed` lists the methods it has.
    case methodNotAllowed(allowed: [String])
    /// The path names an operation the vendor's service does not define (a route pattern
    /// such as `/api/{RequestName}` with an unknown name).
    case unknownOperation(String)
    /// Dragoman does not do this yet (501); the text says what.
    case notImplemented(String)
    /// The vendor's rules forbid the operation on this user in its present state; the text is
    /// the vendor's reason.
    case refused(String)
    /// The gateway has too many connections open, in all or from this client (503).
    case overloaded(retryAfter: Int)
    /// The request breaks a rule of the dialect's own protocol that no other case names (a
    /// filter that does not parse, an `If-Match` that does not match): `status` is the HTTP
    /// status, `code` the protocol's own name for the problem, `detail` says what, naming the
    /// parameter or attribute. Other dialects render it in their shape at that status.
    case protocolError(status: Int, code: String, detail: String)
    /// Something failed inside the gateway; details are logged, never sent.
    case internalError
}

extension GatewayFailure {
    /// A short description for logs: which rule or field, never a submitted value.
    package var summary: String {
        switch self {
        case .service(.invalid(let violations)): "invalid(\(violations.map(\.field.logName).joined(separator: ",")))"
        case .service(.duplicate(let conflict)): "duplicate(\(conflict.key.rawValue))"
        case .service(.notFound): "notFound"
        case .service(.storeFailure): "storeFailure"
        case .malformedBody: "malformedBody"
        case .invalidEncoding: "invalidEncoding"
        case .unsupportedMediaType: "unsupportedMediaType"
        case .payloadTooLarge: "payloadTooLarge"
        case .notAcceptable: "notAcceptable"
        case .invalidParameter(let parameter, _): "invalidParameter(\(parameter))"
        case .unauthenticated(_, let rejected): "unauthenticated(\(rejected?.rawValue ?? "none"))"
        case .throttled: "throttled"
        case .badGateway: "badGateway"
        case .gatewayTimeout: "gatewayTimeout"
        case .serviceUnavailable: "serviceUnavailable"
        case .backendFailed: "backendFailed"
        case .backendRejected: "backendRejected"
        case .idempotencyKeyMismatch: "idempotencyKeyMismatch"
        case .idempotencyKeyInFlight: "idempotencyKeyInFlight"
        case .requestTimeout: "requestTimeout"
        case .uriTooLong: "uriTooLong"
        case .headersTooLarge: "headersTooLarge"
        case .methodNotAllowed: "methodNotAllowed"
        case .unknownOperation: "unknownOperation"
        case .notImplemented: "notImplemented"
        case .refused: "refused"
        case .overloaded: "overloaded"
        case .protocolError(_, let code, _): "protocolError(\(code))"
        case .internalError: "internalError"
        }
    }
}

extension FieldViolation.Field {
    package var logName: String {
        switch self {
        case .canonical(let field): field.rawValue
        case .wire(let name): String(name.prefix(64).filter { $0.isLetter || $0.isNumber || $0 == "_" })
        }
    }
}
