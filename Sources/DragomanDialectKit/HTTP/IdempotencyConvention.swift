import Foundation
package import HTTPTypes

/// How a dialect spells idempotency: which header carries the key, how the value is written,
/// and whether replays are marked.
package struct IdempotencyConvention: Sendable {
    /// The request header carrying the key.
    package var header: HTTPField.Name
    /// Whether the value is an RFC 8941 sf-string (`"…"`), as the IETF draft says. A bare token
    /// is accepted too, since many clients send one.
    package var structured: Bool
    /// Whether a replay carries `Idempotent-Replayed: true`.
    package var marksReplays: Bool

    /// The longest key accepted, in characters.
    package static let maxLength = 256

    /// `Idempotency-Key`, per draft-ietf-httpapi-idempotency-key-header.
    package static let ietf = IdempotencyConvention(header: HTTPField.Name("Idempotency-Key")!, structured: true, marksReplays: true)

    package static let replayed = HTTPField.Name("Idempotent-Replayed")!

    /// The key a request carries, or `nil` when it carries none.
    /// - Throws: `.invalidParameter` naming the header when the value is not a usable key.
    package func key(in headers: HTTPFields) throws(GatewayFailure) -> String? {
        let values = headers[values: header]
        guard let raw = values.first else { return nil }
        let name = header.rawName
        guard values.count == 1 else { throw .invalidParameter(parameter: name, reason: "send one \(name) header, not \(values.count)") }
        let key = structured ? Self.unquoted(raw) : raw
        guard let key else {
            throw .invalidParameter(parameter: name, reason: "\(name) must be a quoted string, e.g. \"8e03978e-40d5-43e8-bc93-6894a57f9324\"")
        }
        guard !key.isEmpty else { throw .invalidParameter(parameter: name, reason: "\(name) must not be empty") }
        guard key.count <= Self.maxLength else {
            throw .invalidParameter(parameter: name, reason: "\(name) must be at most \(Self.maxLength) characters")
        }
        guard key.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) else {
            throw .invalidParameter(parameter: name, reason: "\(name) must be printable ASCII")
        }
        return key
    }

    /// The value to send a backend for `key`.
    package func value(for key: String) -> String { structured ? "\"\(key)\"" : key }

    /// An sf-string's content, a bare token as it is, or `nil` when the value is neither.
    package static func unquoted(_ raw: String) -> String? {
        let value = String(raw.trimmingOWS)
        guard value.hasPrefix("\"") else {
            return value.contains(where: { $0 == "\"" || $0 == "," || $0 == ";" || $0 == " " || $0 == "\\" }) ? nil : value
        }
        guard value.count >= 2, value.hasSuffix("\"") else { return nil }
        var result = ""
        var escaped = false
        for character in value.dropFirst().dropLast() {
            if escaped {
                guard character == "\"" || character == "\\" else { return nil }
                result.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                return nil
            } else {
                result.append(character)
            }
        }
        return escaped ? nil : result
    }

    package init(header: HTTPField.Name, structured: Bool, marksReplays: Bool) {
        self.header = header
        self.structured = structured
        self.marksReplays = marksReplays
    }
}
