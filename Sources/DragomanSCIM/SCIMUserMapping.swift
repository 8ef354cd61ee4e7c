import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

/// The SCIM User resource and the canonical user, both ways.
///
/// The canonical model keeps what every dialect can read: `userName`, `externalId`, the
/// name's given and family parts, `displayName`, the primary (else the first) email address
/// and phone number, that address's `country` and `region`, the language of
/// `preferredLanguage`, `active`, and the password (as a hash). Everything else the client sent
/// (the other entries and their types, the name's other parts, `title`, the enterprise
/// extension, …) is kept as sent in the user's SCIM data (``UserField/scimResource``), and
/// the canonical values are laid over it when the resource is read, so a change made through
/// another dialect shows.
enum SCIMUserMapping {
    /// Attributes kept by canonical fields alone, so not in the SCIM data.
    private static let canonicalOnly: Set<String> = ["userName", "externalId", "displayName", "active", "password"]

    /// The canonical fields a SCIM resource carries: an update changes exactly these.
    static let carried: [UserField] = [
        .userName, .externalId, .givenName, .familyName, .displayName, .email, .phone, .country, .state, .language, .active, .scimResource,
    ]

    /// The canonical profile of a checked resource, and its password.
    static func profile(of resource: SCIMResource) -> (profile: UserProfile, password: Secret?) {
        var profile = UserProfile()
        profile.userName = resource.string("userName")
        if let externalId = resource.string("externalId") { profile[.externalId] = .text(externalId) }
        profile.displayName = resource.string("displayName")
        if let name = resource.object("name") {
            profile.givenName = text(name["givenName"])
            profile.familyName = text(name["familyName"])
            if profile.givenName == nil, profile.familyName == nil, let formatted = text(name["formatted"]) {
                (profile.givenName, profile.familyName) = PersonName.split(formatted)
            }
        }
        let emails = resource.entries("emails")
        if let index = SCIMResource.chosenIndex(emails) { profile.email = text(emails[index]["value"]) }
        let phones = resource.entries("phoneNumbers")
        if let index = SCIMResource.chosenIndex(phones), let number = text(phones[index]["value"]) { profile.phone = e164(number) }
        let addresses = resource.entries("addresses")
        if let index = SCIMResource.chosenIndex(addresses) {
            profile.country = text(addresses[index]["country"])
            profile.state = text(addresses[index]["region"])
        }
        if let tag = resource.string("preferredLanguage") { profile.language = language(of: tag) }
        if case .bool(let active)? = resource["active"] { profile.active = active }
        var data = resource.members
        for name in canonicalOnly { data[name] = nil }
        if !data.isEmpty { profile[.scimResource] = .object(data) }
        return (profile, resource.string("password").map(Secret.init))
    }

    /// The resource of `user`, as a read answers it before `attributes` are applied, its URLs
    /// under `root` (the SCIM root).
    static func resource(of user: User, root: String) -> [String: JSONValue] {
        let id = user.id.uuid.text(uppercase: false)
        var resource = attributes(of: user.profile, userName: user.profile.userName ?? user.profile.email ?? id)
        resource["id"] = .string(id)
        resource["active"] = .bool(user.profile.active ?? true)
        if let groups = user.groups, !groups.isEmpty {
            let base = root + "/Groups/"
            resource["groups"] = .array(
                groups.map { group in
                    let value = group.id.text(uppercase: false)
                    return .object(["value": .string(value), "$ref": .string(base + value), "display": .string(group.displayName), "type": .string("direct")])
                })
        }
        resource["meta"] = .object([
            "resourceType": .string("User"),
            "created": .string(RFC3339.format(user.createdAt, milliseconds: true)),
            "lastModified": .string(RFC3339.format(user.updatedAt, milliseconds: true)),
            "location": .string(root + "/Users/" + id),
            "version": .string(version(of: user)),
        ])
        return resource
    }

    /// A profile's attributes as a resource (no `id` or `meta`): the SCIM data with the
    /// canonical values laid over it.
    static func attributes(of p: UserProfile, userName: String?) -> [String: JSONValue] {
        var resource: [String: JSONValue] = if case .object(let data)? = p[.scimResource] { data } else { [:] }
        resource["schemas"] = .array(
            [.string(SCIMURN.user)] + (resource[SCIMURN.enterpriseUser] != nil ? [.string(SCIMURN.enterpriseUser)] : []))
        resource["externalId"] = p.text(.externalId).map(JSONValue.string)
        resource["userName"] = userName.map(JSONValue.string)
        resource["name"] = name(of: p, stored: resource["name"])
        resource["displayName"] = p.displayName.map(JSONValue.string)
        resource["emails"] = overlay(resource["emails"], canonical: ["value": p.email], newType: "work") { _, stored in stored == p.email }
        resource["phoneNumbers"] = overlay(resource["phoneNumbers"], canonical: ["value": p.phone], newType: "mobile") { _, stored in
            // A number the client wrote with spaces or dashes stays as written while it is the
            // same number, and one that is no E.164 number stays as the client wrote it.
            stored.flatMap(e164) == p.phone
        }
        resource["addresses"] = overlay(resource["addresses"], canonical: ["country": p.country, "region": p.state], newType: "work") { key, stored in
            stored == (key == "country" ? p.country : p.state)
        }
        // The tag the client gave (en-US) stays while its language is the canonical one.
        if let stored = text(resource["preferredLanguage"]), Self.language(of: stored) == p.language {
        } else {
            resource["preferredLanguage"] = p.language.map(JSONValue.string)
        }
        resource["active"] = p.active.map(JSONValue.bool)
        return resource
    }

    /// The resource's version: a weak entity tag that changes with every update.
    static func version(of user: User) -> String { SCIMVersion.tag(updatedAt: user.updatedAt) }

    /// `name`: the stored parts with the canonical given and family names laid over them. The
    /// client's `formatted` stays while those two are what they were when it was given; else it
    /// is made from them. A user created outside SCIM with a display name only (through a
    /// dialect with one name field) shows the parts split from it.
    private static func name(of p: UserProfile, stored: JSONValue?) -> JSONValue? {
        var name: [String: JSONValue] = if case .object(let members)? = stored { members } else { [:] }
        let (given, family) = p[.scimResource] == nil ? p.nameParts : (p.givenName, p.familyName)
        let unchanged = text(name["givenName"]) == given && text(name["familyName"]) == family
        name["givenName"] = given.map(JSONValue.string)
        name["familyName"] = family.map(JSONValue.string)
        if !unchanged || name["formatted"] == nil {
            name["formatted"] = PersonName.join(given: given, family: family).map(JSONValue.string)
        }
        return name.isEmpty ? nil : .object(name)
    }

    /// A multi-valued attribute with the canonical values laid on its chosen entry (the
    /// primary one, else the first): each member that is not `same` as the canonical value
    /// takes it, or is removed when the canonical model has none; an entry left with nothing
    /// but its labels is removed. With no entry, canonical values make a primary one of `newType`.
    private static func overlay(
        _ stored: JSONValue?, canonical: KeyValuePairs<String, String?>, newType: String, same: (String, String?) -> Bool
    ) -> JSONValue? {
        var entries: [[String: JSONValue]] = []
        if case .array(let items)? = stored {
            entries = items.compactMap { if case .object(let members) = $0 { members } else { nil } }
        }
        if let index = SCIMResource.chosenIndex(entries) {
            for (key, value) in canonical where !same(key, text(entries[index][key])) {
                entries[index][key] = value.map(JSONValue.string)
            }
            if entries[index].keys.allSatisfy({ ["type", "primary", "display"].contains($0) }) { entries.remove(at: index) }
        } else if canonical.contains(where: { $0.value != nil }) {
            var entry: [String: JSONValue] = ["type": .string(newType), "primary": .bool(true)]
            for (key, value) in canonical { entry[key] = value.map(JSONValue.string) }
            entries = [entry]
        }
        return entries.isEmpty ? nil : .array(entries.map(JSONValue.object))
    }

    /// The ISO 639-1 language of a language tag (`en-US` → `en`), or `nil`.
    static func language(of tag: String) -> String? {
        let primary = tag.split(whereSeparator: { $0 == "-" || $0 == "_" }).first.map(String.init) ?? ""
        guard primary.count == 2, primary.allSatisfy({ $0.isASCII && $0.isLetter }) else { return nil }
        return primary.lowercased()
    }

    /// A phone number in E.164 form, when it is one written with spaces, dashes, dots or
    /// parentheses (or a `tel:` URI); other numbers stay in the SCIM data only.
    static func e164(_ number: String) -> String? {
        var text = Substring(number)
        if text.lowercased().hasPrefix("tel:") { text = text.dropFirst(4) }
        let compact = String(text.filter { !" -.()".contains($0) })
        return PhoneRule.e164.normalise(compact)
    }

    private static func text(_ value: JSONValue?) -> String? {
        if case .string(let text)? = value, !text.isEmpty { return text }
        return nil
    }
}
