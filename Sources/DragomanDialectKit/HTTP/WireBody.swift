package import DragomanCore
import Foundation

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

/// Query strings as dialects read them.
package enum QueryItems {
    /// Query items in order, decoded as form fields are (`+` is a space).
    package static func parse(_ query: String?) -> [(name: String, value: String)] {
        guard let query else { return [] }
        return query.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = WireBody.decodeFormComponent(parts[0]) else { return nil }
            let value = parts.count > 1 ? WireBody.decodeFormComponent(parts[1]) ?? "" : ""
            return (name, value)
        }
    }

    /// The first value named `name` in `items`, names compared case-insensitively.
    package static func first(_ name: String, in items: [(name: String, value: String)]) -> String? {
        let lowered = name.lowercased()
        return items.first { $0.name.lowercased() == lowered }?.value
    }
}
