import Foundation

/// An attribute path (RFC 7644 §3.10): an optional schema URN, an attribute and an optional
/// sub-attribute, such as `userName`, `name.givenName` or
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
struct SCIMPath: Sendable, Equatable, CustomStringConvertible {
    /// The schema URN, when the path names one.
    var schema: String?
    var attribute: String
    var subAttribute: String?

    init(schema: String? = nil, attribute: String, subAttribute: String? = nil) {
        self.schema = schema
        self.attribute = attribute
        self.subAttribute = subAttribute
    }

    /// Parses `text`, or `nil` when it is not an attribute path.
    init?(_ text: Substring) {
        var rest = text
        var schema: String?
        if rest.lowercased().hasPrefix("urn:") {
            guard let colon = rest.lastIndex(of: ":") else { return nil }
            schema = String(rest[..<colon])
            rest = rest[rest.index(after: colon)...]
        }
        let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, Self.isName(first) else { return nil }
        if parts.count == 2 {
            guard Self.isName(parts[1]) else { return nil }
            subAttribute = String(parts[1])
        }
        self.schema = schema
        attribute = String(first)
    }

    /// ATTRNAME = ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT / ALPHA; `$ref` too.
    static func isName(_ text: Substring) -> Bool {
        guard let first = text.first else { return false }
        if text == "$ref" { return true }
        return first.isASCII && first.isLetter && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    /// Whether the path names the enterprise extension.
    var isEnterprise: Bool { schema?.caseInsensitiveCompare(SCIMURN.enterpriseUser) == .orderedSame }

    /// Whether the path names no schema, or the core User schema.
    var isCore: Bool { schema == nil || schema?.caseInsensitiveCompare(SCIMURN.user) == .orderedSame }

    var description: String {
        (schema.map { $0 + ":" } ?? "") + attribute + (subAttribute.map { "." + $0 } ?? "")
    }

    /// Whether the path names no schema, or `base`.
    func names(_ base: SCIMSchema) -> Bool { schema == nil || schema?.caseInsensitiveCompare(base.id) == .orderedSame }

    /// This path with its attribute and sub-attribute spelt as the schema spells them: the
    /// resource's own schema (`base`), or for a User, the enterprise extension.
    func resolved(in base: SCIMSchema = .user) -> (path: SCIMPath, attribute: SCIMAttribute?) {
        let schema: SCIMSchema? = isEnterprise && base.id == SCIMURN.user ? .enterpriseUser : names(base) ? base : nil
        guard let definition = schema?.attribute(attribute) else {
            for common in ["id", "externalId", "meta", "schemas"] where common.caseInsensitiveCompare(attribute) == .orderedSame && names(base) {
                return (SCIMPath(schema: nil, attribute: common, subAttribute: subAttribute), nil)
            }
            return (self, nil)
        }
        let sub = subAttribute.flatMap { definition.subAttribute($0) }
        return (
            SCIMPath(schema: isEnterprise ? SCIMURN.enterpriseUser : nil, attribute: definition.name, subAttribute: sub?.name ?? subAttribute),
            definition
        )
    }
}
