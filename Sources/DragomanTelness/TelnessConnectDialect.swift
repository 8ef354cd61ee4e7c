import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

/// The Telness "Connect API" (SeamlessOS) `POST /users`.
struct TelnessConnectDialect: UserDialect {
    var id: DialectID { .telnessConnect }

    var routes: [DialectRoute] {
        [
            DialectRoute(method: .post, path: "/users", operation: .create),
            DialectRoute(method: .get, path: "/users/:userId", operation: .read),
            DialectRoute(method: .get, path: "/users", operation: .list),
            DialectRoute(method: .put, path: "/users/:userId", operation: .update),
        ]
    }

    /// `limit`'s range and default, as the vendor documents them.
    static let limits = (range: 1...1000, default: 100)

    var profile: ValidationProfile {
        ValidationProfile(required: [.displayName], phoneRule: .e164, uniqueKeys: [.email])
    }

    /// Telness's own `X-Idempotency-Key`: a plain value of up to 256 characters; a replay is the
    /// first response exactly, with no marker added (the vendor documents none).
    var idempotency: IdempotencyConvention { Self.idempotencyConvention }

    static let idempotencyConvention = IdempotencyConvention(header: HTTPField.Name("X-Idempotency-Key")!, structured: false, marksReplays: false)

    func decodeCreate(_ request: DialectRequest) throws(GatewayFailure) -> DecodedCreate {
        var body = try WireObject(request.body)
        var profile = UserProfile()
        profile.displayName = body.string(TelnessField.name)
        if let name = profile.displayName {
            (profile.givenName, profile.familyName) = PersonName.split(name)
        }
        profile.email = body.string(TelnessField.email)
        profile.phone = body.string(TelnessField.msisdn)
        profile.identity = body.string(TelnessField.identity)
        profile.metadata = body.object(TelnessField.metadata)
        return DecodedCreate(user: NewUser(profile: profile), violations: body.violations)
    }

    func lookup(_ request: DialectRequest) throws(GatewayFailure) -> UserLookup {
        guard let text = request.parameters["userId"], let uuid = UUID(uuidString: text) else { throw .service(.notFound) }
        return .uuid(uuid)
    }

    func created(_ user: User, request: DialectRequest) -> DialectResponse {
        .json(.created, Self.wire(user))
    }

    /// `filter` (free text over name and email), `customerId` (Dragoman's users belong to no
    /// customer, so any value matches nobody), `limit` (1–1000, default 100) and `cursor` (the
    /// `nextCursor` of the page before).
    func listQuery(_ request: DialectRequest) throws(GatewayFailure) -> DialectListQuery {
        var limit = Self.limits.default
        if let text = request.queryValue(TelnessField.limit) {
            guard let value = Int(text), Self.limits.range.contains(value) else {
                throw .invalidParameter(parameter: TelnessField.limit, reason: "Limit must be a whole number from 1 to 1000")
            }
            limit = value
        }
        var after: Int64?
        if let cursor = request.queryValue(TelnessField.cursor) {
            guard let serial = TelnessCursor.serial(cursor) else {
                throw .invalidParameter(parameter: TelnessField.cursor, reason: "Cursor is not one this API returned")
            }
            after = serial
        }
        let filter = request.queryValue(TelnessField.filter).flatMap { $0.isEmpty ? nil : $0 }
        let customers = request.query.filter { $0.name == TelnessField.customerId || $0.name == TelnessField.customerId + "[]" }
        return DialectListQuery(query: UserListQuery(text: filter, afterSerial: after, limit: limit), matchesNothing: !customers.isEmpty)
    }

    func listed(_ page: UserPage, query: UserListQuery, request: DialectRequest) -> DialectResponse {
        let next = page.hasMore ? page.users.last.map { TelnessCursor.cursor(after: $0.id.serial) } : nil
        return .json(.ok, TelnessUserList(items: page.users.map(Self.wire), pagination: .init(nextCursor: next)))
    }

    func read(_ user: User, request: DialectRequest) -> DialectResponse {
        .json(.ok, Self.wire(user))
    }

    static func wire(_ user: User) -> TelnessUser {
        let p = user.profile
        return TelnessUser(
            userId: user.id.uuid.text(uppercase: false),
            name: p.fullName ?? p.userName ?? p.email ?? "",
            email: p.email,
            msisdn: p.phone,
            identity: p.identity,
            customerIds: [],
            customers: [],
            createdAt: RFC3339.format(user.createdAt),
            updatedAt: RFC3339.format(user.updatedAt),
            metadata: p.metadata ?? [:]
        )
    }

    func wireName(_ field: UserField) -> String { Self.wireName(field) }

    func failure(_ failure: GatewayFailure, request: DialectRequest) -> DialectResponse {
        switch failure {
        case .service(.invalid(let violations)):
            let details = NamedViolation.resolve(violations, wireName: Self.wireName).map(Self.detail)
            return .json(
                .badRequest,
                TelnessError(
                    message: "Validation failed for the request",
                    code: "VALIDATION_ERROR",
                    details: details,
                    hint: "Ensure all required fields are provided with valid values"
                )
            )
        case .service(.duplicate(let conflict)):
            let property = conflict.key == .phone ? TelnessField.msisdn : TelnessField.email
            return .json(
                .conflict,
                TelnessError(
                    message: "A user with this \(property) already exists",
                    code: "USER_ALREADY_EXISTS",
                    details: [.init(message: "\(property.capitalizedFirst) is already in use", code: "ALREADY_EXISTS", property: property)],
                    hint: "Look the existing user up instead of creating it again"
                )
            )
        case .service(.notFound):
            return .json(.notFound, TelnessError(message: "User not found", code: "NOT_FOUND"))
        case .malformedBody(let detail):
            return .json(.badRequest, TelnessError(message: "Malformed request: \(detail)", code: "MALFORMED_REQUEST"))
        case .invalidEncoding:
            return .json(.badRequest, TelnessError(message: "Malformed request: the body is not valid UTF-8", code: "MALFORMED_REQUEST"))
        case .unsupportedMediaType(let type):
            return .json(
                .unsupportedMediaType,
                TelnessError(message: "Unsupported media type \(type ?? "(none)")", code: "UNSUPPORTED_MEDIA_TYPE", hint: "Send Content-Type: application/json")
            )
        case .payloadTooLarge(let limit):
            return .json(.contentTooLarge, TelnessError(message: "Request body is larger than \(limit) bytes", code: "PAYLOAD_TOO_LARGE"))
        case .notAcceptable(let detail):
            return .json(.notAcceptable, TelnessError(message: detail, code: "NOT_ACCEPTABLE"))
        case .invalidParameter(let parameter, let reason):
            return .json(
                .badRequest,
                TelnessError(
                    message: "Validation failed for the request", code: "VALIDATION_ERROR",
                    details: [.init(message: reason, code: "INVALID_FORMAT", property: parameter)])
            )
        case .unauthenticated(_, let rejected):
            let message = rejected == nil ? "Missing API key" : "Invalid API key"
            return .json(.unauthorized, TelnessError(message: message, code: "UNAUTHORIZED", hint: "Send a valid key in the X-API-Key header"))
        case .throttled(let seconds):
            return .json(
                .tooManyRequests,
                TelnessError(message: "Too many failed authentication attempts", code: "RATE_LIMITED", hint: "Retry after \(seconds) seconds")
            )
        case .badGateway:
            return .json(.badGateway, TelnessError(message: "Upstream service unavailable", code: "BAD_GATEWAY"))
        case .gatewayTimeout:
            return .json(.gatewayTimeout, TelnessError(message: "Upstream service timed out", code: "GATEWAY_TIMEOUT"))
        case .serviceUnavailable(let seconds):
            return .json(
                .serviceUnavailable,
                TelnessError(message: "Service temporarily unavailable", code: "SERVICE_UNAVAILABLE", hint: "Retry after \(seconds) seconds"))
        case .backendRejected(let message):
            return .json(.badRequest, TelnessError(message: message, code: "VALIDATION_ERROR"))
        case .idempotencyKeyMismatch:
            return .json(
                .conflict,
                TelnessError(
                    message: "Idempotency key was already used with a different request",
                    code: "idempotency_key_mismatch",
                    hint: "Use a new X-Idempotency-Key for a different request; do not retry this one"
                )
            )
        case .idempotencyKeyInFlight:
            return .json(
                .conflict,
                TelnessError(
                    message: "A request with this idempotency key is currently being processed",
                    code: "idempotency_key_locked",
                    hint: "Retry after 100-500 ms"
                )
            )
        case .requestTimeout:
            return .json(.requestTimeout, TelnessError(message: "The request did not arrive in time", code: "REQUEST_TIMEOUT"))
        case .uriTooLong(let limit):
            return .json(.uriTooLong, TelnessError(message: "The request line is longer than \(limit) bytes", code: "URI_TOO_LONG"))
        case .headersTooLarge:
            return .json(.requestHeaderFieldsTooLarge, TelnessError(message: "The request header fields are too large", code: "HEADERS_TOO_LARGE"))
        case .methodNotAllowed(let allowed):
            return .json(
                .methodNotAllowed, TelnessError(message: "Method not allowed", code: "METHOD_NOT_ALLOWED", hint: "Use \(allowed.joined(separator: ", "))"))
        case .notImplemented(let what):
            return .json(.notImplemented, TelnessError(message: what, code: "NOT_IMPLEMENTED"))
        case .refused(let reason):
            return .json(.conflict, TelnessError(message: reason, code: "CONFLICT"))
        case .unknownOperation(let name):
            return .json(.notFound, TelnessError(message: "No such operation: \(name)", code: "NOT_FOUND"))
        case .overloaded(let seconds):
            return .json(.serviceUnavailable, TelnessError(message: "Server busy", code: "SERVICE_UNAVAILABLE", hint: "Retry after \(seconds) seconds"))
        case .protocolError(let status, _, let detail):
            return .json(HTTPResponse.Status(code: status), TelnessError(message: detail, code: status == 412 ? "PRECONDITION_FAILED" : "BAD_REQUEST"))
        case .internalError, .backendFailed, .service(.storeFailure):
            return .json(.internalServerError, TelnessError(message: "Internal server error", code: "INTERNAL_ERROR"))
        }
    }

    static func detail(_ violation: NamedViolation) -> TelnessError.Detail {
        let property = violation.name
        let subject = property.capitalizedFirst
        switch violation.rule {
        case .required: return .init(message: "\(subject) is required", code: "FIELD_REQUIRED", property: property)
        case .invalidFormat(let expected):
            return .init(message: "\(subject) format is invalid; expected \(expected)", code: "INVALID_FORMAT", property: property)
        case .invalidType(let expected): return .init(message: "\(subject) must be a \(expected)", code: "INVALID_TYPE", property: property)
        case .tooLong(let max): return .init(message: "\(subject) must be at most \(max) characters", code: "INVALID_LENGTH", property: property)
        case .tooMany(let max): return .init(message: "\(subject) must have at most \(max) entries", code: "TOO_MANY_ITEMS", property: property)
        case .notAllowed(let allowed):
            return .init(message: "\(subject) must be one of \(allowed.joined(separator: ", "))", code: "INVALID_VALUE", property: property)
        case .unknownAttribute: return .init(message: "\(subject) is not a known property", code: "UNKNOWN_PROPERTY", property: property)
        case .conflict(let reason): return .init(message: "\(subject) is not valid: \(reason)", code: "INVALID_VALUE", property: property)
        case .notFound: return .init(message: "\(subject) refers to nothing that exists", code: "NOT_FOUND", property: property)
        case .requiredByBackend(let backend):
            return .init(message: "\(subject) is required by the backend (\(backend)) and has no value or default", code: "FIELD_REQUIRED", property: property)
        case .notCarried(let backend):
            return .init(message: "\(subject) cannot be carried to the backend (\(backend))", code: "FIELD_NOT_SUPPORTED", property: property)
        case .backendRejected(let reason):
            return .init(message: "\(subject) was refused by the backend: \(reason)", code: "INVALID_VALUE", property: property)
        }
    }

    static func wireName(_ field: UserField) -> String {
        switch field {
        case .displayName, .givenName, .familyName: TelnessField.name
        case .phone: TelnessField.msisdn
        default: field.rawValue
        }
    }
}
