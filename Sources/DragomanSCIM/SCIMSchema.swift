import DragomanCore
import Foundation

/// One attribute of a SCIM schema, with the characteristics RFC 7643 §2.2 and §7 define: what
/// `/Schemas` publishes, and what the decoder checks (types), matches names by (ignoring case)
/// and lets through (mutability).
struct SCIMAttribute: Sendable {
    enum DataType: String, Sendable {
        case string, boolean, decimal, integer, dateTime, reference, complex
    }

    enum Mutability: String, Sendable {
        case readOnly, readWrite, immutable, writeOnly
    }

    enum Returned: String, Sendable {
        case always, never, `default`, request
    }

    var name: String
    var type: DataType = .string
    var multiValued = false
    var required = false
    var caseExact = false
    var mutability: Mutability = .readWrite
    var returned: Returned = .default
    var uniqueness = "none"
    var canonicalValues: [String] = []
    var referenceTypes: [String] = []
    var subAttributes: [SCIMAttribute] = []
    var description: String

    /// The sub-attribute named `name`, ignoring case.
    func subAttribute(_ name: String) -> SCIMAttribute? {
        subAttributes.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// The attribute as `/Schemas` describes it.
    var json: JSONValue {
        var members: [String: JSONValue] = [
            "name": .string(name), "type": .string(type.rawValue), "multiValued": .bool(multiValued), "description": .string(description),
            "required": .bool(required), "caseExact": .bool(caseExact), "mutability": .string(mutability.rawValue),
            "returned": .string(returned.rawValue), "uniqueness": .string(uniqueness),
        ]
        if !canonicalValues.isEmpty { members["canonicalValues"] = .array(canonicalValues.map(JSONValue.string)) }
        if !referenceTypes.isEmpty { members["referenceTypes"] = .array(referenceTypes.map(JSONValue.string)) }
        if !subAttributes.isEmpty { members["subAttributes"] = .array(subAttributes.map(\.json)) }
        return .object(members)
    }
}

/// A SCIM schema: its URN, name and attributes.
struct SCIMSchema: Sendable {
    var id: String
    var name: String
    var description: String
    var attributes: [SCIMAttribute]

    /// The attribute named `name`, ignoring case.
    func attribute(_ name: String) -> SCIMAttribute? {
        attributes.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// The schema as `/Schemas/{id}` answers it.
    func json(location: String) -> JSONValue {
        .object([
            "schemas": .array([.string(SCIMURN.schema)]), "id": .string(id), "name": .string(name), "description": .string(description),
            "attributes": .array(attributes.map(\.json)),
            "meta": .object(["resourceType": .string("Schema"), "location": .string(location)]),
        ])
    }
}

extension SCIMSchema {
    /// The sub-attributes of a multi-valued attribute's entries (RFC 7643 §2.4).
    private static func multiValued(
        _ name: String, _ description: String, types: [String], valueType: SCIMAttribute.DataType = .string, referenceTypes: [String] = [],
        mutability: SCIMAttribute.Mutability = .readWrite
    ) -> SCIMAttribute {
        SCIMAttribute(
            name: name, type: .complex, multiValued: true, mutability: mutability,
            subAttributes: [
                SCIMAttribute(name: "value", type: valueType, mutability: mutability, referenceTypes: referenceTypes, description: "The value."),
                SCIMAttribute(name: "display", mutability: mutability, description: "A human-readable name, primarily used for display purposes."),
                SCIMAttribute(name: "type", mutability: mutability, canonicalValues: types, description: "A label indicating the attribute's function."),
                SCIMAttribute(
                    name: "primary", type: .boolean, mutability: mutability,
                    description: "Whether this is the primary value; at most one entry is primary."),
            ],
            description: description
        )
    }

    /// The core User schema (RFC 7643 §4.1), every attribute of it: the canonical model keeps
    /// the ones it has, the rest are kept as the client sent them.
    static let user = SCIMSchema(
        id: SCIMURN.user, name: "User", description: "User Account",
        attributes: [
            SCIMAttribute(
                name: "userName", required: true, uniqueness: "server",
                description: "Unique identifier for the User, used by the user to directly authenticate; compared ignoring case."),
            SCIMAttribute(
                name: "name", type: .complex,
                subAttributes: [
                    SCIMAttribute(name: "formatted", description: "The full name, formatted for display."),
                    SCIMAttribute(name: "familyName", description: "The family name of the User."),
                    SCIMAttribute(name: "givenName", description: "The given name of the User."),
                    SCIMAttribute(name: "middleName", description: "The middle name(s) of the User."),
                    SCIMAttribute(name: "honorificPrefix", description: "The honorific prefix(es) of the User."),
                    SCIMAttribute(name: "honorificSuffix", description: "The honorific suffix(es) of the User."),
                ],
                description: "The components of the user's real name."
            ),
            SCIMAttribute(name: "displayName", description: "The name of the User, suitable for display to end-users."),
            SCIMAttribute(name: "nickName", description: "The casual way to address the user."),
            SCIMAttribute(name: "profileUrl", type: .reference, referenceTypes: ["external"], description: "A URI of the User's online profile."),
            SCIMAttribute(name: "title", description: "The user's title, such as \"Vice President\"."),
            SCIMAttribute(name: "userType", description: "The relationship between the organization and the user."),
            SCIMAttribute(name: "preferredLanguage", description: "The User's preferred written or spoken language (RFC 7231 §5.3.5)."),
            SCIMAttribute(name: "locale", description: "The User's default location, for localizing items (such as en-US)."),
            SCIMAttribute(name: "timezone", description: "The User's time zone in the IANA Time Zone database format."),
            SCIMAttribute(name: "active", type: .boolean, description: "The User's administrative status; false is what the other dialects show as disabled."),
            SCIMAttribute(
                name: "password", mutability: .writeOnly, returned: .never,
                description: "The User's cleartext password, for setting it; never returned, stored only as a bcrypt hash."),
            multiValued("emails", "Email addresses for the user.", types: ["work", "home", "other"]),
            multiValued("phoneNumbers", "Phone numbers for the User.", types: ["work", "home", "mobile", "fax", "pager", "other"]),
            multiValued("ims", "Instant messaging addresses for the User.", types: ["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
            multiValued("photos", "URLs of photos of the User.", types: ["photo", "thumbnail"], valueType: .reference, referenceTypes: ["external"]),
            SCIMAttribute(
                name: "addresses", type: .complex, multiValued: true,
                subAttributes: [
                    SCIMAttribute(name: "formatted", description: "The full mailing address, formatted for display."),
                    SCIMAttribute(name: "streetAddress", description: "The full street address component."),
                    SCIMAttribute(name: "locality", description: "The city or locality component."),
                    SCIMAttribute(name: "region", description: "The state or region component."),
                    SCIMAttribute(name: "postalCode", description: "The zip code or postal code component."),
                    SCIMAttribute(name: "country", description: "The country name component."),
                    SCIMAttribute(name: "type", canonicalValues: ["work", "home", "other"], description: "A label indicating the address's function."),
                    SCIMAttribute(name: "primary", type: .boolean, description: "Whether this is the primary address."),
                ],
                description: "A physical mailing address for this User."
            ),
            SCIMAttribute(
                name: "groups", type: .complex, multiValued: true, mutability: .readOnly,
                subAttributes: [
                    SCIMAttribute(name: "value", mutability: .readOnly, description: "The id of the Group."),
                    SCIMAttribute(name: "$ref", type: .reference, mutability: .readOnly, referenceTypes: ["Group"], description: "The URI of the Group."),
                    SCIMAttribute(name: "display", mutability: .readOnly, description: "The Group's displayName."),
                    SCIMAttribute(name: "type", mutability: .readOnly, canonicalValues: ["direct", "indirect"], description: "How the user is a member."),
                ],
                description: "The groups the user belongs to; read-only, changed through the Group resource."
            ),
            multiValued("entitlements", "Entitlements for the User.", types: []),
            multiValued("roles", "Roles for the User.", types: []),
            multiValued("x509Certificates", "X.509 certificates issued to the User.", types: [], valueType: .string),
        ]
    )

    /// The enterprise User extension (RFC 7643 §4.3).
    static let enterpriseUser = SCIMSchema(
        id: SCIMURN.enterpriseUser, name: "EnterpriseUser", description: "Enterprise User",
        attributes: [
            SCIMAttribute(name: "employeeNumber", description: "Numeric or alphanumeric identifier assigned to a person."),
            SCIMAttribute(name: "costCenter", description: "Identifies the name of a cost center."),
            SCIMAttribute(name: "organization", description: "Identifies the name of an organization."),
            SCIMAttribute(name: "division", description: "Identifies the name of a division."),
            SCIMAttribute(name: "department", description: "Identifies the name of a department."),
            SCIMAttribute(
                name: "manager", type: .complex,
                subAttributes: [
                    SCIMAttribute(name: "value", description: "The id of the SCIM resource representing the User's manager."),
                    SCIMAttribute(name: "$ref", type: .reference, referenceTypes: ["User"], description: "The URI of the manager's resource."),
                    SCIMAttribute(name: "displayName", mutability: .readOnly, description: "The displayName of the User's manager."),
                ],
                description: "The User's manager."
            ),
        ]
    )

    /// The Group schema (RFC 7643 §4.2).
    static let group = SCIMSchema(
        id: SCIMURN.group, name: "Group", description: "Group",
        attributes: [
            SCIMAttribute(name: "displayName", required: true, description: "A human-readable name for the Group."),
            SCIMAttribute(
                name: "members", type: .complex, multiValued: true,
                subAttributes: [
                    SCIMAttribute(name: "value", mutability: .immutable, description: "The id of a User that is a member."),
                    SCIMAttribute(name: "$ref", type: .reference, mutability: .immutable, referenceTypes: ["User"], description: "The URI of the member."),
                    SCIMAttribute(name: "display", mutability: .readOnly, description: "The member's name, as the client gave it."),
                    SCIMAttribute(name: "type", mutability: .immutable, canonicalValues: ["User"], description: "The member's resource type."),
                ],
                description: "The members of the Group: users (groups cannot be members)."
            ),
        ]
    )

    /// Every schema `/Schemas` lists.
    static let all: [SCIMSchema] = [.user, .enterpriseUser, .group]
}
