import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

/// What both Volt MX dialects share as backends: the create and read answers, the failure
/// reading and field lookup. Each names its resource path, its not-found message and how it
/// reads a user.
protocol VoltMXBackend: BackendDialect {
    static var resourcePath: String { get }
    /// How the backend's 404-like 400 message begins.
    static var notFoundPrefix: String { get }
    static func profile(from body: JSONValue) -> UserProfile?
    static func wireName(_ field: UserField) -> String
}

extension VoltMXBackend {
    func backendCreated(_ response: BackendResponse, tenant: String?) throws(GatewayFailure) -> String {
        try BackendAnswer.interpret(response, success: [200, 201], parse: VoltMX.createdID, failure: voltMXFailure)
    }

    func backendRead(id: String) -> BackendRequest {
        .get("\(Self.resourcePath)/\(id)")
    }

    func backendUser(_ response: BackendResponse) throws(GatewayFailure) -> UserProfile {
        try BackendAnswer.interpret(response, success: [200], parse: Self.profile(from:), failure: voltMXFailure)
    }

    func canonicalField(wire: String) -> UserField? {
        BackendAnswer.field(wire: wire, wireName: Self.wireName)
    }

    func backendDelete(id: String) -> BackendRequest? {
        BackendRequest(method: .post, path: "\(Self.resourcePath)/\(id)/delete")
    }

    func backendChanged(_ response: BackendResponse) throws(GatewayFailure) {
        try BackendAnswer.changed(response, failure: voltMXFailure)
    }

    private func voltMXFailure(_ status: Int, _ body: JSONValue?) -> GatewayFailure {
        VoltMX.backendFailure(status, body, field: canonicalField(wire:), notFoundPrefix: Self.notFoundPrefix)
    }
}

extension VoltMX {
    /// The failure a Volt MX 4xx answer means, read from its message texts and (from Dragoman
    /// backends) its `errors[]`.
    static func backendFailure(_ status: Int, _ body: JSONValue?, field: (String) -> UserField?, notFoundPrefix: String) -> GatewayFailure {
        let message = body?.member("message")?.textValue ?? "The backend refused the request (\(status))"
        if message.hasPrefix("User already exists with this Email") {
            let email = message.dropFirst("User already exists with this Email".count).trimmingCharacters(in: .whitespaces)
            return .service(.duplicate(Conflict(key: .email, existingID: nil, value: email.isEmpty ? nil : email)))
        }
        if message == "User already exists with this mobile number" {
            return .service(.duplicate(Conflict(key: .phone, existingID: nil, value: nil)))
        }
        if message == "User already exists with this user ID" {
            return .service(.duplicate(Conflict(key: .userName, existingID: nil, value: nil)))
        }
        if message.hasPrefix(notFoundPrefix) { return .service(.notFound) }
        if message == activeUserDelete { return .refused(message) }
        var violations: [FieldViolation] = []
        for item in body?.member("errors")?.arrayValue ?? [] {
            guard let attribute = item.member("attribute")?.textValue else { continue }
            violations.append(violation(attribute: attribute, message: item.member("message")?.textValue ?? message, field: field))
        }
        if violations.isEmpty, let attribute = quotedAttribute(message) {
            violations.append(violation(attribute: attribute, message: message, field: field))
        }
        if violations.isEmpty, message == mobileFormat {
            violations.append(FieldViolation(.phone, .invalidFormat(expected: VoltMXRules.phone.expected)))
        }
        return BackendAnswer.refusal(violations, message: message)
    }

    private static func violation(attribute: String, message: String, field: (String) -> UserField?) -> FieldViolation {
        if message == mobileFormat { return FieldViolation(.phone, .invalidFormat(expected: VoltMXRules.phone.expected)) }
        return BackendAnswer.violation(wire: attribute, required: message.contains("is a mandatory field"), reason: message, field: field)
    }

    /// The name in `Attribute ‘name’ …`.
    private static func quotedAttribute(_ message: String) -> String? {
        guard let open = message.firstIndex(where: { $0 == "‘" || $0 == "'" }),
            let close = message[message.index(after: open)...].firstIndex(where: { $0 == "’" || $0 == "'" })
        else { return nil }
        return String(message[message.index(after: open)..<close])
    }

    /// Access management's refusal to delete an active user.
    static let activeUserDelete = "Delete is not allowed on active users"

    /// The id in a Volt MX create answer, sent as a string or a number.
    static func createdID(_ body: JSONValue) -> String? {
        body.member("id")?.textValue
    }
}
