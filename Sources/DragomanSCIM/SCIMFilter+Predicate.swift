import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

extension SCIMFilter {
    /// The filter in canonical terms, for the stores. The attributes the canonical model keeps
    /// (``filterable``) compare its fields, so users of every dialect are found; the others
    /// (`title`, an entry's `type`, the enterprise extension) compare the SCIM data as the
    /// client sent it. An attribute no schema has is refused with `invalidFilter` naming it.
    func predicate() throws(SCIMFilterError) -> UserPredicate {
        switch self {
        case .and(let lhs, let rhs): return .and(try lhs.predicate(), try rhs.predicate())
        case .or(let lhs, let rhs): return .or(try lhs.predicate(), try rhs.predicate())
        case .not(let inner): return .not(try inner.predicate())
        case .present(let path):
            if let (parent, sub) = Self.entryAttribute(path) { return .anyEntry(.scimResource, path: [parent], .present(key: sub)) }
            let attribute = try Self.attribute(path)
            // Every user has an administrative status, as SCIM shows it.
            if attribute == .field(.active, caseExact: true) { return .always(true) }
            return .present(attribute)
        case .compare(let path, let comparison, let value):
            if let (parent, sub) = Self.entryAttribute(path) {
                return .anyEntry(.scimResource, path: [parent], try Self.entryCompare(sub, comparison, value, in: parent))
            }
            return try Self.compare(path, comparison, value)
        case .valuePath(let path, let inner):
            // On the canonical value alone, users of every dialect are found; on the entries'
            // other sub-attributes, the SCIM data's entries are read.
            if let canonical = try? inner.entryPredicate(of: path) { return canonical }
            let (resolved, definition) = path.resolved()
            guard let definition, definition.multiValued, resolved.schema == nil else {
                throw SCIMFilterError(detail: "'\(path)' is not a multi-valued attribute: it takes no value filter")
            }
            return .anyEntry(.scimResource, path: [definition.name], try inner.entryFilter(in: definition))
        }
    }

    /// A path to a sub-attribute of a multi-valued attribute the canonical model does not keep
    /// (`emails.type`, `addresses.locality`): the attribute's and the sub-attribute's names.
    private static func entryAttribute(_ path: SCIMPath) -> (String, String)? {
        guard path.subAttribute != nil, filterable[(path.attribute + "." + (path.subAttribute ?? "")).lowercased()] == nil else { return nil }
        let (resolved, definition) = path.resolved()
        guard let definition, definition.multiValued, resolved.schema == nil, let sub = resolved.subAttribute,
            definition.subAttribute(sub) != nil
        else { return nil }
        return (definition.name, sub)
    }

    /// The filter inside `attribute[…]` over the entries kept in the SCIM data.
    private func entryFilter(in attribute: SCIMAttribute) throws(SCIMFilterError) -> EntryPredicate {
        switch self {
        case .and(let lhs, let rhs): return .and(try lhs.entryFilter(in: attribute), try rhs.entryFilter(in: attribute))
        case .or(let lhs, let rhs): return .or(try lhs.entryFilter(in: attribute), try rhs.entryFilter(in: attribute))
        case .not(let inner): return .not(try inner.entryFilter(in: attribute))
        case .valuePath: throw SCIMFilterError(detail: "A value filter cannot hold another value filter")
        case .present(let path):
            guard let sub = attribute.subAttribute(path.attribute) else { throw Self.noSub(path, attribute) }
            return .present(key: sub.name)
        case .compare(let path, let comparison, let value):
            guard let sub = attribute.subAttribute(path.attribute) else { throw Self.noSub(path, attribute) }
            return try Self.entryCompare(sub.name, comparison, value, in: attribute.name)
        }
    }

    private static func noSub(_ path: SCIMPath, _ attribute: SCIMAttribute) -> SCIMFilterError {
        SCIMFilterError(detail: "'\(path.attribute)' is not a sub-attribute of \(attribute.name)")
    }

    private static func entryCompare(_ key: String, _ comparison: UserComparison, _ value: SCIMFilterValue, in parent: String) throws(SCIMFilterError)
        -> EntryPredicate
    {
        switch value {
        case .string(let text): return .compare(key: key, comparison, .text(text), caseExact: false)
        case .bool(let flag) where comparison == .eq || comparison == .ne: return .compare(key: key, comparison, .flag(flag), caseExact: true)
        case .null where comparison == .eq: return .not(.present(key: key))
        case .null where comparison == .ne: return .present(key: key)
        default: throw SCIMFilterError(detail: "'\(parent).\(key)' compares with a string, or a boolean with eq or ne")
        }
    }

    /// A value filter's inner filter, whose paths name sub-attributes of `parent`'s entries.
    /// The canonical model keeps one entry (the primary one), so `value` compares its value,
    /// `primary eq true` holds, and other sub-attributes cannot be compared.
    private func entryPredicate(of parent: SCIMPath) throws(SCIMFilterError) -> UserPredicate {
        switch self {
        case .and(let lhs, let rhs): return .and(try lhs.entryPredicate(of: parent), try rhs.entryPredicate(of: parent))
        case .or(let lhs, let rhs): return .or(try lhs.entryPredicate(of: parent), try rhs.entryPredicate(of: parent))
        case .not(let inner): return .not(try inner.entryPredicate(of: parent))
        case .valuePath: throw SCIMFilterError(detail: "A value filter cannot hold another value filter")
        case .present(let path):
            if path.attribute.caseInsensitiveCompare("primary") == .orderedSame { return .present(try Self.attribute(SCIMPath(attribute: parent.attribute))) }
            return .present(try Self.attribute(Self.sub(path, of: parent)))
        case .compare(let path, let comparison, let value):
            if path.attribute.caseInsensitiveCompare("primary") == .orderedSame, comparison == .eq, value == .bool(true) {
                return .present(try Self.attribute(SCIMPath(attribute: parent.attribute, subAttribute: "value")))
            }
            return try Self.compare(Self.sub(path, of: parent), comparison, value)
        }
    }

    private static func sub(_ path: SCIMPath, of parent: SCIMPath) -> SCIMPath {
        SCIMPath(schema: parent.schema, attribute: parent.attribute, subAttribute: path.attribute)
    }

    /// The attributes a filter may name, lowercased, with what each compares.
    static let filterable: [String: UserAttribute] = [
        "id": .uuid,
        "externalid": .field(.externalId, caseExact: true),
        "username": .field(.userName, caseExact: false),
        "displayname": .field(.displayName, caseExact: false),
        "name.givenname": .field(.givenName, caseExact: false),
        "name.familyname": .field(.familyName, caseExact: false),
        "emails": .field(.email, caseExact: false),
        "emails.value": .field(.email, caseExact: false),
        "phonenumbers": .field(.phone, caseExact: false),
        "phonenumbers.value": .field(.phone, caseExact: false),
        "addresses.country": .field(.country, caseExact: false),
        "addresses.region": .field(.state, caseExact: false),
        "active": .field(.active, caseExact: true),
        "meta.created": .createdAt,
        "meta.lastmodified": .updatedAt,
    ]

    private static func attribute(_ path: SCIMPath) throws(SCIMFilterError) -> UserAttribute {
        let key = (path.attribute + (path.subAttribute.map { "." + $0 } ?? "")).lowercased()
        if path.isCore, let attribute = filterable[key] { return attribute }
        // A simple attribute, or a sub-attribute of a single complex one, kept in the SCIM data.
        let (resolved, definition) = path.resolved()
        if let definition, !definition.multiValued, definition.mutability != .writeOnly {
            let prefix = resolved.isEnterprise ? [SCIMURN.enterpriseUser] : []
            if definition.type == .complex, let sub = resolved.subAttribute.flatMap(definition.subAttribute), sub.type != .complex {
                return .data(.scimResource, path: prefix + [definition.name, sub.name], caseExact: sub.caseExact)
            }
            if definition.type != .complex, definition.type != .boolean, resolved.subAttribute == nil {
                return .data(.scimResource, path: prefix + [definition.name], caseExact: definition.caseExact)
            }
        }
        throw SCIMFilterError(
            detail: "The attribute '\(path)' cannot be filtered on: it is no string attribute of the User schemas (a password, a boolean "
                + "other than active, or a complex attribute without its sub-attribute)")
    }

    private static func compare(_ path: SCIMPath, _ comparison: UserComparison, _ value: SCIMFilterValue) throws(SCIMFilterError) -> UserPredicate {
        let attribute = try attribute(path)
        switch (attribute, value) {
        case (_, .null):
            // `eq null` asks for an attribute without a value, `ne null` for one with a value.
            switch comparison {
            case .eq: return .not(.present(attribute))
            case .ne: return .present(attribute)
            default: throw SCIMFilterError(detail: "null can be compared with eq and ne only ('\(path)')")
            }
        case (.field(let field, _), .bool(let flag)) where field.kind == .flag:
            guard comparison == .eq || comparison == .ne else {
                throw SCIMFilterError(detail: "'\(path)' is a boolean: compare it with eq or ne")
            }
            if field == .active {
                // A user that never had `active` set is active (SCIM shows `true`): only an
                // explicit `false` is inactive.
                let inactive = UserPredicate.compare(attribute, .eq, .flag(false))
                return (comparison == .eq) == flag ? .not(inactive) : inactive
            }
            return .compare(attribute, comparison, .flag(flag))
        case (.field(let field, _), _) where field.kind == .flag:
            throw SCIMFilterError(detail: "'\(path)' is a boolean: compare it with true or false")
        case (.createdAt, .string(let text)), (.updatedAt, .string(let text)):
            guard let date = RFC3339.parse(text) else {
                throw SCIMFilterError(detail: "'\(path)' is a date-time: compare it with a string such as \"2026-12-07T10:00:00Z\"")
            }
            guard ![.co, .sw, .ew].contains(comparison) else { throw SCIMFilterError(detail: "'\(path)' is a date-time: co, sw and ew do not apply") }
            return .compare(attribute, comparison, .date(date))
        case (_, .string(let text)):
            return .compare(attribute, comparison, .text(text))
        default:
            throw SCIMFilterError(detail: "'\(path)' is a string: compare it with a string in double quotes")
        }
    }
}

extension SCIMFilter {
    /// The filter over groups: `displayName` (ignoring case), `externalId`, `id`, `members` /
    /// `members.value` (with `eq` and `ne`: the group has, or has not, that member),
    /// `meta.created` and `meta.lastModified`.
    func groupPredicate() throws(SCIMFilterError) -> GroupPredicate {
        switch self {
        case .and(let lhs, let rhs): return .and(try lhs.groupPredicate(), try rhs.groupPredicate())
        case .or(let lhs, let rhs): return .or(try lhs.groupPredicate(), try rhs.groupPredicate())
        case .not(let inner): return .not(try inner.groupPredicate())
        case .present(let path): return .present(try Self.groupAttribute(path))
        case .valuePath(let path, let inner):
            guard path.attribute.caseInsensitiveCompare("members") == .orderedSame else {
                throw SCIMFilterError(detail: "Only members takes a value filter on a Group")
            }
            return try inner.memberPredicate()
        case .compare(let path, let comparison, let value):
            let attribute = try Self.groupAttribute(path)
            switch (attribute, value) {
            case (.member, .string(let text)):
                guard comparison == .eq || comparison == .ne else { throw SCIMFilterError(detail: "members compares with eq or ne") }
                return .compare(.member, comparison, .text(text))
            case (.createdAt, .string(let text)), (.updatedAt, .string(let text)):
                guard let date = RFC3339.parse(text), ![.co, .sw, .ew].contains(comparison) else {
                    throw SCIMFilterError(detail: "'\(path)' is a date-time: compare it with a date-time string")
                }
                return .compare(attribute, comparison, .date(date))
            case (_, .string(let text)):
                return .compare(attribute, comparison, .text(text))
            case (_, .null) where comparison == .eq:
                return .not(.present(attribute))
            case (_, .null) where comparison == .ne:
                return .present(attribute)
            default:
                throw SCIMFilterError(detail: "'\(path)' is a string: compare it with a string in double quotes")
            }
        }
    }

    /// Inside `members[…]`: `value` names a member.
    private func memberPredicate() throws(SCIMFilterError) -> GroupPredicate {
        switch self {
        case .and(let lhs, let rhs): return .and(try lhs.memberPredicate(), try rhs.memberPredicate())
        case .or(let lhs, let rhs): return .or(try lhs.memberPredicate(), try rhs.memberPredicate())
        case .not(let inner): return .not(try inner.memberPredicate())
        case .compare(let path, let comparison, .string(let text))
        where path.attribute.caseInsensitiveCompare("value") == .orderedSame && (comparison == .eq || comparison == .ne):
            return .compare(.member, comparison, .text(text))
        case .compare(let path, _, _) where path.attribute.caseInsensitiveCompare("type") == .orderedSame:
            // Every member is a User.
            return .always(true)
        default:
            throw SCIMFilterError(detail: "Inside members[…], filters may compare value with eq or ne")
        }
    }

    private static func groupAttribute(_ path: SCIMPath) throws(SCIMFilterError) -> GroupAttribute {
        let key = (path.attribute + (path.subAttribute.map { "." + $0 } ?? "")).lowercased()
        guard path.names(.group) else { throw SCIMFilterError(detail: "'\(path)' is not an attribute of a Group") }
        switch key {
        case "displayname": return .displayName
        case "externalid": return .externalId
        case "id": return .uuid
        case "members", "members.value": return .member
        case "meta.created": return .createdAt
        case "meta.lastmodified": return .updatedAt
        default:
            throw SCIMFilterError(
                detail:
                    "The attribute '\(path)' cannot be filtered on; group filters may name displayName, externalId, id, members, meta.created and meta.lastModified"
            )
        }
    }
}
