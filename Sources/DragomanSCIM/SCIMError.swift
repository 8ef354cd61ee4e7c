import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

/// A failure as SCIM answers it (RFC 7644 §3.12): the Error message, `status` as a string,
/// `scimType` where RFC 7644 defines one for the problem, and a `detail` that names the
/// attribute or parameter.
struct SCIMError {
    var status: HTTPResponse.Status
    var scimType: String?
    var detail: String

    /// The `scimType`s RFC 7644 Table 9 defines.
    static let types: Set<String> = [
        "invalidFilter", "tooMany", "uniqueness", "mutability", "invalidSyntax", "invalidPath", "noTarget", "invalidValue", "invalidVers", "sensitive",
    ]

    init(status: HTTPResponse.Status, scimType: String? = nil, detail: String) {
        self.status = status
        self.scimType = scimType
        self.detail = detail
    }

    init(_ failure: GatewayFailure) {
        switch failure {
        case .service(.invalid(let violations)):
            let named = NamedViolation.resolve(violations, wireName: SCIMDialect.wireName)
            self.init(status: .badRequest, scimType: "invalidValue", detail: named.map(Self.describe).joined(separator: "; "))
        case .service(.duplicate(let conflict)):
            let name = conflict.key == .userName ? "userName" : SCIMDialect.wireName(conflict.key == .email ? .email : .phone)
            self.init(status: .conflict, scimType: "uniqueness", detail: "\(name) is already in use by another user")
        case .service(.notFound):
            self.init(status: .notFound, detail: "Resource not found")
        case .service(.storeFailure), .internalError, .backendFailed:
            self.init(status: .internalServerError, detail: "Internal server error")
        case .malformedBody(let detail):
            self.init(status: .badRequest, scimType: "invalidSyntax", detail: "The body is not valid JSON: \(detail)")
        case .invalidEncoding:
            self.init(status: .badRequest, scimType: "invalidSyntax", detail: "The body is not valid UTF-8")
        case .unsupportedMediaType(let type):
            self.init(status: .unsupportedMediaType, detail: "Unsupported media type \(type ?? "(none)"); send application/scim+json")
        case .payloadTooLarge(let limit):
            self.init(status: .contentTooLarge, detail: "The body is larger than \(limit) bytes")
        case .notAcceptable(let detail):
            self.init(status: .notAcceptable, detail: detail)
        case .invalidParameter(let parameter, let reason):
            self.init(status: .badRequest, scimType: "invalidValue", detail: "\(parameter): \(reason)")
        case .unauthenticated(_, let rejected):
            self.init(status: .unauthorized, detail: rejected == nil ? "Authentication required" : "The credential was not accepted")
        case .throttled(let seconds):
            self.init(status: .tooManyRequests, detail: "Too many failed authentications; retry after \(seconds) seconds")
        case .badGateway(let detail):
            self.init(status: .badGateway, detail: "The backend could not be reached: \(detail)")
        case .gatewayTimeout:
            self.init(status: .gatewayTimeout, detail: "The backend did not answer in time")
        case .serviceUnavailable(let seconds), .overloaded(let seconds):
            self.init(status: .serviceUnavailable, detail: "Service unavailable; retry after \(seconds) seconds")
        case .backendRejected(let message):
            self.init(status: .badRequest, scimType: "invalidValue", detail: message)
        case .idempotencyKeyMismatch(let header):
            self.init(status: .unprocessableContent, detail: "\(header) was already used with a different request")
        case .idempotencyKeyInFlight(let header):
            self.init(status: .conflict, detail: "A request with this \(header) is still being processed")
        case .requestTimeout:
            self.init(status: .requestTimeout, detail: "The request did not arrive in time")
        case .uriTooLong(let limit):
            self.init(status: .uriTooLong, detail: "The request line is longer than \(limit) bytes")
        case .headersTooLarge:
            self.init(status: .requestHeaderFieldsTooLarge, detail: "The request header fields are too large")
        case .methodNotAllowed(let allowed):
            self.init(status: .methodNotAllowed, detail: "Method not allowed; use \(allowed.joined(separator: ", "))")
        case .unknownOperation(let name):
            self.init(status: .notFound, detail: "No such endpoint: \(name)")
        case .notImplemented(let what):
            self.init(status: .notImplemented, detail: what)
        case .refused(let reason):
            self.init(status: .conflict, detail: reason)
        case .protocolError(let status, let code, let detail):
            self.init(status: HTTPResponse.Status(code: status), scimType: Self.types.contains(code) ? code : nil, detail: detail)
        }
    }

    private static func describe(_ violation: NamedViolation) -> String {
        let name = violation.name
        switch violation.rule {
        case .required: return "\(name) is required"
        case .invalidType(let expected): return "\(name) must be \(article(expected)) \(expected)"
        case .invalidFormat(let expected): return "\(name) must be \(expected)"
        case .notAllowed(let allowed): return "\(name) must be one of \(allowed.joined(separator: ", "))"
        case .tooLong(let max): return "\(name) must be at most \(max) characters"
        case .tooMany(let max): return "\(name) must have at most \(max) entries"
        case .unknownAttribute: return "\(name) is not an attribute of this resource"
        case .conflict(let reason): return "\(name) is not valid: \(reason)"
        case .notFound: return "\(name) refers to nothing that exists"
        case .requiredByBackend(let backend): return "\(name) is required by the backend (\(backend)) and has no value or default"
        case .notCarried(let backend): return "\(name) cannot be carried to the backend (\(backend))"
        case .backendRejected(let reason): return "\(name) was refused by the backend: \(reason)"
        }
    }

    private static func article(_ word: String) -> String {
        word.first.map { "aeiou".contains($0) } == true ? "an" : "a"
    }

    /// The error message, `application/scim+json`.
    var response: DialectResponse {
        var members: [String: JSONValue] = [
            "schemas": .array([.string(SCIMURN.error)]), "status": .string(String(status.code)), "detail": .string(detail),
        ]
        if let scimType { members["scimType"] = .string(scimType) }
        return .json(status, JSONValue.object(members), contentType: SCIMPaths.mediaType)
    }
}
