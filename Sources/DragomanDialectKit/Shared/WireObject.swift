package import DragomanCore

/// Reads a dialect's fields out of a JSON object, recording a ``FieldViolation`` under the wire
/// name for every value of the wrong type, so a decoder reports every bad field at once.
///
/// Dialects pass their own field names in; this type knows none of them. `null` counts as absent.
package struct WireObject {
    private let fields: [String: JSONValue]
    private let caseInsensitive: Bool
    package private(set) var violations: [FieldViolation] = []

    /// - Parameters:
    ///   - value: the parsed body; anything but an object is refused.
    ///   - caseInsensitive: whether names match regardless of case (some vendors' binding rule).
    package init(_ value: JSONValue?, caseInsensitive: Bool = false) throws(GatewayFailure) {
        guard case .object(let object) = value else {
            throw .malformedBody("the body must be a JSON object")
        }
        self.caseInsensitive = caseInsensitive
        if caseInsensitive {
            var lowered: [String: JSONValue] = [:]
            for (key, value) in object { lowered[key.lowercased()] = value }
            self.fields = lowered
        } else {
            self.fields = object
        }
    }

    /// The names present in the body that are not in `known`.
    package func unknownNames(known: Set<String>) -> [String] {
        let known = caseInsensitive ? Set(known.map { $0.lowercased() }) : known
        return fields.keys.filter { !known.contains($0) }.sorted()
    }

    /// Adds values to the object that the body did not carry itself (query or path values).
    package func merging(_ extra: [String: JSONValue]) -> WireObject {
        var copy = self
        var merged = fields
        for (key, value) in extra {
            let name = caseInsensitive ? key.lowercased() : key
            if merged[name] == nil { merged[name] = value }
        }
        copy.replace(merged)
        return copy
    }

    private mutating func replace(_ fields: [String: JSONValue]) {
        self = WireObject(fields: fields, caseInsensitive: caseInsensitive, violations: violations)
    }

    private init(fields: [String: JSONValue], caseInsensitive: Bool, violations: [FieldViolation]) {
        self.fields = fields
        self.caseInsensitive = caseInsensitive
        self.violations = violations
    }

    package func raw(_ name: String) -> JSONValue? {
        let value = fields[caseInsensitive ? name.lowercased() : name]
        if case .null = value { return nil }
        return value
    }

    package mutating func fail(_ name: String, _ rule: FieldViolation.Rule) {
        violations.append(FieldViolation(.wire(name), rule))
    }

    /// A string field.
    package mutating func string(_ name: String) -> String? {
        switch raw(name) {
        case nil: return nil
        case .string(let text): return text
        default:
            fail(name, .invalidType(expected: "string"))
            return nil
        }
    }

    /// A field the vendor types as a number but sends as a string ("long" phone numbers).
    package mutating func digits(_ name: String) -> String? {
        switch raw(name) {
        case nil: return nil
        case .string(let text): return text
        case .integer(let number): return String(number)
        default:
            fail(name, .invalidType(expected: "string"))
            return nil
        }
    }

    /// A boolean; with `acceptingStrings`, also `"true"` and `"false"` in any case.
    package mutating func bool(_ name: String, acceptingStrings: Bool) -> Bool? {
        switch raw(name) {
        case nil: return nil
        case .bool(let value): return value
        case .string(let text) where acceptingStrings:
            switch text.lowercased() {
            case "true": return true
            case "false": return false
            default: break
            }
        default: break
        }
        fail(name, .invalidType(expected: "boolean"))
        return nil
    }

    /// An array of ids sent as numbers or numeric strings (some vendors' samples send `["3","4"]`).
    package mutating func ids(_ name: String) -> [Int64]? {
        guard let value = raw(name) else { return nil }
        guard case .array(let items) = value else {
            fail(name, .invalidType(expected: "array of ids"))
            return nil
        }
        var ids: [Int64] = []
        for item in items {
            switch item {
            case .integer(let number) where number >= 0: ids.append(number)
            case .string(let text) where Int64(text).map { $0 >= 0 } ?? false: ids.append(Int64(text)!)
            default:
                fail(name, .invalidType(expected: "array of ids"))
                return nil
            }
        }
        return ids
    }

    /// A JSON object of free-form values.
    package mutating func object(_ name: String) -> [String: JSONValue]? {
        switch raw(name) {
        case nil: return nil
        case .object(let object): return object
        default:
            fail(name, .invalidType(expected: "object"))
            return nil
        }
    }

    /// A value from a fixed set, matched case-insensitively, sent as a string.
    package mutating func enumeration<Value: RawRepresentable & CaseIterable>(_ name: String, _ type: Value.Type) -> Value?
    where Value.RawValue == String {
        guard let text = string(name) else { return nil }
        if text.isEmpty { return nil }
        if let value = Value.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) { return value }
        fail(name, .notAllowed(allowed: Value.allCases.map(\.rawValue)))
        return nil
    }
}
