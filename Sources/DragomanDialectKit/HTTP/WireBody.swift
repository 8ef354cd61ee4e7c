package import DragomanCore
package import Foundation

/// Parses request bodies into neutral JSON, refusing what could hurt: invalid UTF-8, nesting
/// deeper than ``maxDepth``, and anything that is not strictly well-formed.
package enum WireBody {
    /// The deepest nesting of arrays and objects accepted.
    package static let maxDepth = 32

    package static func parse(_ bytes: [UInt8], as format: BodyFormat) throws(GatewayFailure) -> JSONValue {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalidEncoding }
        switch format {
        case .json: return try json(bytes, text: text)
        case .form: return try form(text)
        case .dialect(let name): throw .unsupportedMediaType(name)
        }
    }

    package static func json(_ bytes: [UInt8], text: String) throws(GatewayFailure) -> JSONValue {
        if text.allSatisfy(\.isWhitespace) { throw .malformedBody("the body is empty") }
        do {
            return try StrictJSONParser.parse(bytes, maxDepth: maxDepth)
        } catch {
            throw .malformedBody("the body is not valid JSON: \(error.message)")
        }
    }

    /// `application/x-www-form-urlencoded`: every value becomes a JSON string.
    package static func form(_ text: String) throws(GatewayFailure) -> JSONValue {
        var fields: [String: JSONValue] = [:]
        for pair in text.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decodeFormComponent(parts[0]), !name.isEmpty else {
                throw .malformedBody("a form field name is not valid percent-encoding")
            }
            guard let value = parts.count > 1 ? decodeFormComponent(parts[1]) : "" else {
                throw .malformedBody("the form field '\(name)' is not valid percent-encoding")
            }
            fields[name] = .string(value)
        }
        return .object(fields)
    }

    package static func decodeFormComponent(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
