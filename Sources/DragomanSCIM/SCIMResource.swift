import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

/// A SCIM resource from a client, checked against its schema: attribute names in the schema's
/// spelling (names are matched ignoring case, RFC 7643 §2.1), values of the declared types, and
/// read-only attributes left out (a client's `id`, `meta` and `groups` are ignored, RFC 7644
/// §3.5.1). Booleans sent as the strings `"True"` and `"False"` read as booleans, as Entra ID
/// sends them. Attributes no schema declares are kept as sent.
struct SCIMResource: Sendable, Equatable {
    var members: [String: JSONValue]

    /// Checks `body` against `schema` (and, for a User, the enterprise extension), reporting
    /// each attribute of a wrong type by its path.
    init(checking body: [String: JSONValue], schema: SCIMSchema = .user, violations: inout [FieldViolation]) {
        var members: [String: JSONValue] = [:]
        for (name, value) in body {
            if name.caseInsensitiveCompare("schemas") == .orderedSame || Self.ignored.contains(name.lowercased()) { continue }
            if name.caseInsensitiveCompare("externalId") == .orderedSame {
                if case .null = value { continue }
                guard case .string = value else {
                    violations.append(FieldViolation(.wire("externalId"), .invalidType(expected: "string")))
                    continue
                }
                members["externalId"] = value
            } else if schema.id == SCIMURN.user, name.caseInsensitiveCompare(SCIMURN.enterpriseUser) == .orderedSame {
                if case .null = value { continue }
                guard case .object(let extensionMembers) = value else {
                    violations.append(FieldViolation(.wire(SCIMURN.enterpriseUser), .invalidType(expected: "object")))
                    continue
                }
                var checked: [String: JSONValue] = [:]
                for (inner, innerValue) in extensionMembers {
                    guard let attribute = SCIMSchema.enterpriseUser.attribute(inner) else {
                        if Self.clean(innerValue, path: "\(SCIMURN.enterpriseUser):\(inner)", violations: &violations) { checked[inner] = innerValue }
                        continue
                    }
                    if let value = Self.check(innerValue, as: attribute, path: "\(SCIMURN.enterpriseUser):\(attribute.name)", violations: &violations) {
                        checked[attribute.name] = value
                    }
                }
                if !checked.isEmpty { members[SCIMURN.enterpriseUser] = .object(checked) }
            } else if let attribute = schema.attribute(name) {
                if attribute.mutability == .readOnly { continue }
                if let value = Self.check(value, as: attribute, path: attribute.name, violations: &violations) {
                    members[attribute.name] = value
                }
            } else if Self.clean(value, path: name, violations: &violations) {
                members[name] = value
            }
        }
        self.members = members
    }

    init(members: [String: JSONValue]) {
        self.members = members
    }

    /// Top-level names a client's resource may carry that the server sets (lowercased).
    static let ignored: Set<String> = ["id", "meta", "groups"]

    /// `value` as `attribute` declares it, or `nil` (with a violation) when it is not; `null`
    /// is absent.
    static func check(_ value: JSONValue, as attribute: SCIMAttribute, path: String, violations: inout [FieldViolation]) -> JSONValue? {
        if case .null = value { return nil }
        if attribute.multiValued {
            // A single value where a list is declared is read as a list of one.
            let items: [JSONValue] = if case .array(let items) = value { items } else { [value] }
            var checked: [JSONValue] = []
            for item in items {
                guard let single = checkSingle(item, as: attribute, path: path, violations: &violations) else { continue }
                checked.append(single)
            }
            if attribute.subAttribute("primary") != nil {
                let primaries = checked.filter { entry in
                    if case .object(let members) = entry, case .bool(true)? = members["primary"] { return true }
                    return false
                }
                if primaries.count > 1 {
                    violations.append(FieldViolation(.wire(path), .conflict(reason: "at most one entry may be primary")))
                    return nil
                }
            }
            return checked.isEmpty ? nil : .array(checked)
        }
        return checkSingle(value, as: attribute, path: path, violations: &violations)
    }

    private static func checkSingle(_ value: JSONValue, as attribute: SCIMAttribute, path: String, violations: inout [FieldViolation]) -> JSONValue? {
        switch attribute.type {
        case .complex:
            guard case .object(let members) = value else {
                violations.append(FieldViolation(.wire(path), .invalidType(expected: "object")))
                return nil
            }
            var checked: [String: JSONValue] = [:]
            for (name, member) in members {
                guard let sub = attribute.subAttribute(name) else {
                    if clean(member, path: "\(path).\(name)", violations: &violations) { checked[name] = member }
                    continue
                }
                if let value = check(member, as: sub, path: "\(path).\(sub.name)", violations: &violations) { checked[sub.name] = value }
            }
            return checked.isEmpty ? nil : .object(checked)
        case .boolean:
            if let flag = flag(value) { return .bool(flag) }
            violations.append(FieldViolation(.wire(path), .invalidType(expected: "boolean")))
            return nil
        case .string, .reference, .dateTime:
            guard case .string(let text) = value else {
                violations.append(FieldViolation(.wire(path), .invalidType(expected: "string")))
                return nil
            }
            // Named here, by its path: the canonical check would name only the SCIM data.
            return isClean(text, path: path, violations: &violations) ? value : nil
        case .decimal, .integer:
            switch value {
            case .integer, .number: return value
            default:
                violations.append(FieldViolation(.wire(path), .invalidType(expected: "number")))
                return nil
            }
        }
    }

    /// Whether an attribute no schema declares (kept as sent) holds only clean text, in its
    /// names and strings; else a violation naming where.
    static func clean(_ value: JSONValue, path: String, violations: inout [FieldViolation]) -> Bool {
        switch value {
        case .string(let text):
            return isClean(text, path: path, violations: &violations)
        case .array(let items):
            return items.enumerated().allSatisfy { index, item in clean(item, path: "\(path)[\(index)]", violations: &violations) }
        case .object(let members):
            return members.sorted { $0.key < $1.key }.allSatisfy { key, member in
                if let scalar = CleanText.forbidden(in: key) {
                    violations.append(
                        FieldViolation(
                            .wire(path),
                            .invalidFormat(expected: "names without control or invisible formatting characters (found \(CleanText.describe(scalar)))")))
                    return false
                }
                return clean(member, path: "\(path).\(key)", violations: &violations)
            }
        default:
            return true
        }
    }

    /// Whether `text` holds no control or invisible formatting character (the core's rule for
    /// names and free-form values); else a violation naming `path`.
    private static func isClean(_ text: String, path: String, violations: inout [FieldViolation]) -> Bool {
        guard let scalar = CleanText.forbidden(in: text, allowJoiners: true) else { return true }
        violations.append(
            FieldViolation(
                .wire(path), .invalidFormat(expected: "text without control or invisible formatting characters (found \(CleanText.describe(scalar)))")))
        return false
    }

    /// A boolean, or a string that spells one in any case (`"False"`).
    static func flag(_ value: JSONValue) -> Bool? {
        switch value {
        case .bool(let flag): return flag
        case .string(let text) where text.caseInsensitiveCompare("true") == .orderedSame: return true
        case .string(let text) where text.caseInsensitiveCompare("false") == .orderedSame: return false
        default: return nil
        }
    }

    subscript(name: String) -> JSONValue? {
        get { members[name] }
        set { members[name] = newValue }
    }

    /// The text of a simple attribute.
    func string(_ name: String) -> String? {
        if case .string(let text)? = members[name] { return text }
        return nil
    }

    /// The members of a complex attribute.
    func object(_ name: String) -> [String: JSONValue]? {
        if case .object(let members)? = members[name] { return members }
        return nil
    }

    /// The entries of a multi-valued complex attribute.
    func entries(_ name: String) -> [[String: JSONValue]] {
        guard case .array(let items)? = members[name] else { return [] }
        return items.compactMap { item in
            if case .object(let members) = item { return members }
            return nil
        }
    }

    /// Which entry of a multi-valued attribute the canonical model keeps: the primary one,
    /// else the first.
    static func chosenIndex(_ entries: [[String: JSONValue]]) -> Int? {
        entries.firstIndex { if case .bool(true)? = $0["primary"] { true } else { false } } ?? (entries.isEmpty ? nil : 0)
    }
}
