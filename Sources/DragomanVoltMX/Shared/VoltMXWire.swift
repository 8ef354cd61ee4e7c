import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

/// The body Volt MX answers with on success and on error: a message, the user's id where there
/// is one, and (our addition, see the README) every failing attribute.
struct VoltMXMessage: Encodable {
    var id: String?
    var message: String
    var errors: [VoltMXAttributeError]?
}

/// One failing attribute in a Volt MX error body.
struct VoltMXAttributeError: Encodable {
    var attribute: String
    var message: String
}

/// Volt MX message texts and error rendering shared by the Engagement Services dialects.
enum VoltMX {
    static let added = "Details added successfully"
    /// The answer to a modify; the vendor documents none, so it follows the create's.
    static let updated = "Details updated successfully"
    static let deleted = "User deleted successfully"
    static let unauthorized = "Unauthorized request"
    static let serverFailure = "Server failure to process request"
    static let invalidAttributes = "The request contains invalid attributes"
    static let mobileFormat = "Mobile number should have country code followed by ten digit number"

    /// The text Volt MX uses for a broken rule on attribute `name`.
    static func message(for rule: FieldViolation.Rule, attribute name: String, isPhone: Bool) -> String {
        switch rule {
        case .required:
            return "Attribute ‘\(name)’ is a mandatory field. Please provide a valid value for the same"
        case .invalidFormat where isPhone:
            return mobileFormat
        case .invalidFormat(let expected):
            return "Attribute ‘\(name)’ should be \(expected)"
        case .invalidType(let expected):
            return "Attribute ‘\(name)’ should be a \(expected)"
        case .notAllowed(let allowed):
            return "Attribute ‘\(name)’ should be one of \(allowed.joined(separator: ", "))"
        case .tooLong(let max):
            return "Attribute ‘\(name)’ should be at most \(max) characters long"
        case .tooMany(let max):
            return "Attribute ‘\(name)’ should have at most \(max) entries"
        case .unknownAttribute:
            return invalidAttributes
        case .conflict(let reason):
            return "Attribute ‘\(name)’ is not valid: \(reason)"
        case .notFound:
            return "Attribute ‘\(name)’ refers to nothing that exists"
        case .requiredByBackend(let backend):
            return "Attribute ‘\(name)’ is required by the backend (\(backend)) and has no value or default"
        case .notCarried(let backend):
            return "Attribute ‘\(name)’ cannot be carried to the backend (\(backend))"
        case .backendRejected(let reason):
            return "Attribute ‘\(name)’ was refused by the backend: \(reason)"
        }
    }

    /// A 400 listing every violation; the top-level message is the first one's.
    static func invalid(_ violations: [FieldViolation], wireName: (UserField) -> String) -> DialectResponse {
        let errors = NamedViolation.resolve(violations, wireName: wireName).map { violation in
            VoltMXAttributeError(
                attribute: violation.name,
                message: message(for: violation.rule, attribute: violation.name, isPhone: violation.field == .phone)
            )
        }
        return .json(.badRequest, VoltMXMessage(message: errors.first?.message ?? invalidAttributes, errors: errors))
    }

    /// Renders the failures every Volt MX dialect renders alike; `nil` for the ones it must decide.
    static func common(_ failure: GatewayFailure) -> DialectResponse? {
        switch failure {
        case .malformedBody(let detail):
            return .json(.badRequest, VoltMXMessage(message: "Malformed request: \(detail)"))
        case .invalidEncoding:
            return .json(.badRequest, VoltMXMessage(message: "Malformed request: the body is not valid UTF-8"))
        case .unsupportedMediaType(let type):
            return .json(
                .unsupportedMediaType,
                VoltMXMessage(message: "Unsupported media type \(type ?? "(none)"); send Content-Type: application/json;charset=UTF-8")
            )
        case .payloadTooLarge(let limit):
            return .json(.contentTooLarge, VoltMXMessage(message: "Request body is larger than the limit of \(limit) bytes"))
        case .notAcceptable(let detail):
            return .json(.notAcceptable, VoltMXMessage(message: detail))
        case .invalidParameter(let parameter, let reason):
            return .json(.badRequest, VoltMXMessage(message: "Invalid \(parameter): \(reason)"))
        case .unauthenticated:
            return .json(.unauthorized, VoltMXMessage(message: unauthorized))
        case .throttled(let seconds):
            return .json(.tooManyRequests, VoltMXMessage(message: "Too many failed authentication attempts; retry after \(seconds) seconds"))
        case .badGateway:
            return .json(.badGateway, VoltMXMessage(message: "Backend unavailable"))
        case .gatewayTimeout:
            return .json(.gatewayTimeout, VoltMXMessage(message: "Backend did not answer in time"))
        case .serviceUnavailable(let seconds):
            return .json(.serviceUnavailable, VoltMXMessage(message: "Backend unavailable; retry after \(seconds) seconds"))
        case .backendRejected(let message):
            return .json(.badRequest, VoltMXMessage(message: message))
        case .idempotencyKeyMismatch(let header):
            return .json(.unprocessableContent, VoltMXMessage(message: "\(header) was already used with a different request; use a new key"))
        case .idempotencyKeyInFlight(let header):
            return .json(.conflict, VoltMXMessage(message: "A request with this \(header) is still being processed; retry shortly"))
        case .requestTimeout:
            return .json(.requestTimeout, VoltMXMessage(message: "The request did not arrive in time"))
        case .uriTooLong(let limit):
            return .json(.uriTooLong, VoltMXMessage(message: "The request line is longer than \(limit) bytes"))
        case .headersTooLarge:
            return .json(.requestHeaderFieldsTooLarge, VoltMXMessage(message: "The request header fields are too large"))
        case .methodNotAllowed(let allowed):
            return .json(.methodNotAllowed, VoltMXMessage(message: "Method not allowed; use \(allowed.joined(separator: ", "))"))
        case .notImplemented(let what):
            return .json(.notImplemented, VoltMXMessage(message: what))
        case .refused(let reason):
            return .json(.badRequest, VoltMXMessage(message: reason))
        case .unknownOperation(let name):
            return .json(.notFound, VoltMXMessage(message: "No such operation: \(name)"))
        case .overloaded(let seconds):
            return .json(.serviceUnavailable, VoltMXMessage(message: "Server busy; retry after \(seconds) seconds"))
        case .protocolError(let status, _, let detail):
            return .json(HTTPResponse.Status(code: status), VoltMXMessage(message: detail))
        case .internalError, .backendFailed, .service(.storeFailure):
            return .json(.internalServerError, VoltMXMessage(message: serverFailure))
        case .service:
            return nil
        }
    }

    /// Volt MX's date-time form, `08/31/2017 12:04:02 PM UTC`, always in UTC.
    static func dateTime(_ date: Date) -> String {
        let t = UTCDateParts(date)
        let hour12 = t.hour % 12 == 0 ? 12 : t.hour % 12
        return
            "\(t.month.zeroPadded(2))/\(t.day.zeroPadded(2))/\(t.year) \(hour12.zeroPadded(2)):\(t.minute.zeroPadded(2)):\(t.second.zeroPadded(2)) \(t.hour < 12 ? "AM" : "PM") UTC"
    }

    /// A date-time in Volt MX's form (`08/31/2017 12:04:02 PM UTC`), or `nil`.
    static func parseDateTime(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        guard parts.count >= 3, parts.count <= 4 else { return nil }
        let date = parts[0].split(separator: "/").compactMap { Int($0) }
        let time = parts[1].split(separator: ":").compactMap { Int($0) }
        guard date.count == 3, time.count == 3, (1...12).contains(time[0]) else { return nil }
        let pm = parts[2].uppercased() == "PM"
        guard pm || parts[2].uppercased() == "AM" else { return nil }
        var components = DateComponents()
        components.timeZone = TimeZone(identifier: "UTC")
        (components.month, components.day, components.year) = (date[0], date[1], date[2])
        components.hour = time[0] % 12 + (pm ? 12 : 0)
        (components.minute, components.second) = (time[1], time[2])
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: components)
    }

    /// The web contexts Volt MX serves its API under: the root and `/kpns`.
    static let contexts = ["", "/kpns"]

    /// `routes` under every web context.
    static func routes(_ routes: [DialectRoute]) -> [DialectRoute] {
        contexts.flatMap { context in
            routes.map { DialectRoute(method: $0.method, path: context + $0.path, operation: $0.operation) }
        }
    }

    /// Create and read routes of a resource, at the root and under the `/kpns` web context.
    static func routes(resource: String) -> [DialectRoute] {
        ["", "/kpns"].flatMap { context in
            [
                DialectRoute(method: .post, path: "\(context)\(resource)", operation: .create),
                DialectRoute(method: .get, path: "\(context)\(resource)/:id", operation: .read),
            ]
        }
    }

    /// A whole number from a query parameter within `range`, or `nil` when absent; anything
    /// else is refused naming the parameter.
    static func number(_ text: String?, named name: String, in range: ClosedRange<Int>) throws(GatewayFailure) -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw .invalidParameter(parameter: name, reason: "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// A Volt MX numeric id from a path segment.
    /// Only the canonical spelling names a user: ASCII digits without a sign or leading zero, so
    /// `/+1` and `/01` are not a second address for user 1.
    static func serial(_ text: String?) -> Int64? {
        guard let text, let first = text.utf8.first, first != UInt8(ascii: "0"),
            text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let value = Int64(text)
        else { return nil }
        return value
    }
}

extension VoltMXMessage: JSONWritable {
    /// Keys in byte order, as `JSONEncoder`'s `sortedKeys` writes them.
    func write(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.field("errors", errors) { writer, error in
                writer.object { writer in
                    writer.field("attribute", error.attribute)
                    writer.field("message", error.message)
                }
            }
            writer.field("id", id)
            writer.field("message", message)
        }
    }
}
