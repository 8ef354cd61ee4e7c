import DragomanCore
import DragomanDialectKit
import Foundation

/// `dialects.scim.groupMapping`: group memberships carried to the users themselves, so a
/// dialect or backend with groups of its own sees them (Volt MX access management's
/// `selectedGroupIds` through the canonical `groupIDs`). Each mapped SCIM group (by
/// `displayName`, ignoring case) stands for one value of a canonical field: an id list gets
/// every mapped group's id the user is a member of; a text field gets the first one's. What
/// the field holds that no mapped group stands for is kept.
///
/// ```yaml
/// dialects:
///   scim:
///     groupMapping:
///       field: groupIDs
///       groups: {Engineers: 7, Sales: 9}
/// ```
struct SCIMGroupMapping: Sendable, Equatable {
    var field: UserField
    /// Each mapped group's value, by lowercased display name.
    var values: [String: String]

    /// Reads the section, naming a field of `fields` (the gateway's, every dialect's included:
    /// CCC's `groupGUID` names its service group); errors name the key.
    static func read(_ section: ConfigSection, fields: FieldTable) throws(ConfigurationError) -> SCIMGroupMapping? {
        guard !section.values.isEmpty else { return nil }
        try section.allowOnly(["field", "groups"])
        guard let name = try section.string("field") else { throw ConfigurationError(key: section.key("field"), problem: "is required") }
        let choices = fields.fields.filter { field in
            switch field.kind {
            case .ids, .text: field.merge != .fixed
            default: false
            }
        }
        guard let field = choices.first(where: { $0.rawValue.caseInsensitiveCompare(name) == .orderedSame }) else {
            throw ConfigurationError(
                key: section.key("field"),
                problem: "must be a canonical id-list or text field (\(choices.map(\.rawValue).joined(separator: ", "))), not '\(name)'")
        }
        let groups = try section.section("groups")
        var values: [String: String] = [:]
        for group in groups.values.keys.sorted() {
            guard let value = try groups.string(group), !value.isEmpty else { throw ConfigurationError(key: groups.key(group), problem: "must be a value") }
            if case .ids = field.kind, Int64(value) == nil {
                throw ConfigurationError(key: groups.key(group), problem: "must be a whole number (\(field.rawValue) holds ids), not '\(value)'")
            }
            values[group.lowercased()] = value
        }
        return SCIMGroupMapping(field: field, values: values)
    }

    /// The change that gives `user`, a member of `groups`, the field's value; `nil` when it has it.
    func change(for user: User, in groups: [GroupRef]) -> UserPatch? {
        let mine = groups.compactMap { values[$0.displayName.lowercased()] }
        var profile = UserProfile()
        switch field.kind {
        case .ids:
            let mapped = Set(values.values.compactMap { Int64($0) })
            let current: [Int64] = if case .ids(let ids)? = user.profile[field] { ids } else { [] }
            var next = current.filter { !mapped.contains($0) }
            for id in mine.compactMap({ Int64($0) }) where !next.contains(id) { next.append(id) }
            guard next != current else { return nil }
            if next.isEmpty { return UserPatch(profile: profile, cleared: [field]) }
            profile[field] = .ids(next)
        default:
            let current = user.profile.text(field)
            let next = mine.first ?? (current.map { Set(values.values).contains($0) } == true ? nil : current)
            guard next != current else { return nil }
            guard let next else { return UserPatch(profile: profile, cleared: [field]) }
            profile[field] = .text(next)
        }
        return UserPatch(profile: profile)
    }
}
