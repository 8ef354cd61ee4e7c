import DragomanCore
import DragomanDialectKit
import HTTPTypes

/// ServiceStack error responses for the CCC dialect.
enum CCCErrors {
    static func response(for failure: GatewayFailure) -> DialectResponse {
        switch failure {
        case .service(.invalid(let violations)):
            let errors = NamedViolation.resolve(violations, wireName: wireName).map(error)
            let first = errors.first ?? ResponseError(errorCode: "ValidationException", fieldName: "", message: "Validation failed")
            return body(.badRequest, first.errorCode, first.message, errors)
        case .service(.duplicate(let conflict)):
            let message = "A service user with EmailAddress '\(conflict.value ?? "")' already exists"
            return body(.conflict, "Conflict", message, [ResponseError(errorCode: "AlreadyExists", fieldName: CCCField.emailAddress, message: message)])
        case .service(.notFound):
            return body(.notFound, "NotFound", "Service user not found", [])
        case .malformedBody(let detail):
            return body(.badRequest, "SerializationException", "Unable to bind to request 'CreateServiceUser': \(detail)", [])
        case .invalidEncoding:
            return body(.badRequest, "SerializationException", "Unable to bind to request 'CreateServiceUser': the body is not valid UTF-8", [])
        case .unsupportedMediaType(let type):
            let message = "The Content-Type '\(type ?? "(none)")' is not supported; send application/json or application/x-www-form-urlencoded"
            return body(.unsupportedMediaType, "NotSupportedException", message, [])
        case .payloadTooLarge(let limit):
            return body(.contentTooLarge, "RequestTooLarge", "The request body is larger than \(limit) bytes", [])
        case .notAcceptable(let detail):
            return body(.notAcceptable, "NotAcceptable", detail, [])
        case .invalidParameter(let parameter, let reason):
            return body(.badRequest, "ArgumentException", reason, [ResponseError(errorCode: "ArgumentException", fieldName: parameter, message: reason)])
        case .unauthenticated(_, let rejected):
            return body(.unauthorized, "Unauthorized", ServiceStackAuth.message(rejected: rejected), [])
        case .throttled(let seconds):
            return body(.tooManyRequests, "TooManyRequests", "Too many failed authentication attempts; retry after \(seconds) seconds", [])
        case .badGateway:
            return body(.badGateway, "BadGateway", "The backend service is unavailable", [])
        case .gatewayTimeout:
            return body(.gatewayTimeout, "GatewayTimeout", "The backend service did not answer in time", [])
        case .serviceUnavailable(let seconds):
            return body(.serviceUnavailable, "ServiceUnavailable", "The backend service is unavailable; retry after \(seconds) seconds", [])
        case .backendRejected(let message):
            return body(.badRequest, "ArgumentException", message, [])
        case .idempotencyKeyMismatch(let header):
            let message = "\(header) was already used with a different request; use a new key"
            return body(
                .unprocessableContent, "IdempotencyKeyMismatch", message,
                [ResponseError(errorCode: "IdempotencyKeyMismatch", fieldName: header, message: message)])
        case .idempotencyKeyInFlight(let header):
            return body(.conflict, "IdempotencyKeyInFlight", "A request with this \(header) is still being processed; retry shortly", [])
        case .requestTimeout:
            return body(.requestTimeout, "RequestTimeout", "The request did not arrive in time", [])
        case .uriTooLong(let limit):
            return body(.uriTooLong, "UriTooLong", "The request line is longer than \(limit) bytes", [])
        case .headersTooLarge:
            return body(.requestHeaderFieldsTooLarge, "RequestHeaderFieldsTooLarge", "The request header fields are too large", [])
        case .methodNotAllowed(let allowed):
            return body(
                .methodNotAllowed, "NotImplementedException",
                "The operation does not support \(allowed.isEmpty ? "this method" : "methods other than " + allowed.joined(separator: ", "))", [])
        case .notImplemented(let what):
            return body(.notImplemented, "NotImplementedException", what, [])
        case .refused(let reason):
            return body(.conflict, "Conflict", reason, [])
        case .unknownOperation(let name):
            return body(.methodNotAllowed, "NotImplementedException", "The operation '\(name)' does not exist for this service", [])
        case .overloaded(let seconds):
            return body(.serviceUnavailable, "ServiceUnavailable", "The server is busy; retry after \(seconds) seconds", [])
        case .protocolError(let status, let code, let detail):
            return body(HTTPResponse.Status(code: status), code.capitalizedFirst, detail, [])
        case .internalError, .backendFailed, .service(.storeFailure):
            return body(.internalServerError, "Exception", "Internal server error", [])
        }
    }

    static func body(_ status: HTTPResponse.Status, _ code: String, _ message: String, _ errors: [ResponseError]) -> DialectResponse {
        .json(status, ErrorResponse(responseStatus: ResponseStatus(errorCode: code, message: message, errors: errors)))
    }

    static func error(_ violation: NamedViolation) -> ResponseError {
        let name = violation.field == nil ? canonicalCase(violation.name) : violation.name
        let label = "'\(ServiceStack.label(name))'"
        switch violation.rule {
        case .required:
            return ResponseError(errorCode: "NotEmpty", fieldName: name, message: "\(label) must not be empty.")
        case .invalidFormat(let expected) where name == CCCField.emailAddress:
            _ = expected
            return ResponseError(errorCode: "Email", fieldName: name, message: "\(label) is not a valid email address.")
        case .invalidFormat(let expected):
            return ResponseError(errorCode: "SerializationException", fieldName: name, message: "\(label) is not valid; expected \(expected).")
        case .invalidType(let expected):
            return ResponseError(errorCode: "SerializationException", fieldName: name, message: "Invalid value for \(label); expected a \(expected).")
        case .notAllowed(let allowed):
            return ResponseError(errorCode: "Enum", fieldName: name, message: "\(label) must be one of: \(allowed.joined(separator: ", ")).")
        case .tooLong(let max):
            return ResponseError(errorCode: "MaximumLength", fieldName: name, message: "The length of \(label) must be \(max) characters or fewer.")
        case .tooMany(let max):
            return ResponseError(errorCode: "MaximumLength", fieldName: name, message: "\(label) must have \(max) entries or fewer.")
        case .unknownAttribute:
            return ResponseError(errorCode: "SerializationException", fieldName: name, message: "\(label) is not a property of CreateServiceUser.")
        case .conflict(let reason):
            return ResponseError(errorCode: "ArgumentException", fieldName: name, message: "\(label) does not match: \(reason).")
        case .notFound:
            return ResponseError(errorCode: "NotFound", fieldName: name, message: "\(label) refers to nothing that exists.")
        case .requiredByBackend(let backend):
            return ResponseError(
                errorCode: "NotEmpty", fieldName: name, message: "\(label) is required by the backend (\(backend)) and has no value or default.")
        case .notCarried(let backend):
            return ResponseError(errorCode: "NotSupported", fieldName: name, message: "\(label) cannot be carried to the backend (\(backend)).")
        case .backendRejected(let reason):
            return ResponseError(errorCode: "Backend", fieldName: name, message: "\(label) was refused by the backend: \(reason)")
        }
    }

    /// A wire name in the DTO's own PascalCase spelling, whatever case the caller used.
    static func canonicalCase(_ name: String) -> String {
        let all = CCCTypes.createServiceUser.properties.map(\.name)
        return all.first { $0.lowercased() == name.lowercased() } ?? name
    }

    static func wireName(_ field: UserField) -> String {
        switch field {
        case .tenant: CCCField.serviceGuid
        case .email: CCCField.emailAddress
        case .password: CCCField.password
        case .givenName: CCCField.firstName
        case .familyName: CCCField.lastName
        case .language: CCCField.language
        case .preRegister: CCCField.preRegister
        case .skipRegistrationConfirmation: CCCField.skipRegConfirmation
        case .groupGUID: CCCField.serviceUserGroupGuid
        case .groupType: CCCField.serviceUserGroupType
        case .enableCampaigns: CCCField.enableCampaigns
        case .enableESignatures: CCCField.enableESignatures
        case .defaultSecure: CCCField.defaultSecure
        case .blacklistMode: CCCField.blacklistMode
        default: field.rawValue.capitalizedFirst
        }
    }
}
