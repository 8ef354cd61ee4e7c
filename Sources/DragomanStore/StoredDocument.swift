package import DragomanCore
import DragomanDialectKit
package import Foundation

/// The JSON document a user row holds in either engine: the canonical profile, the password
/// hash and the timestamps. Key columns beside it index the unique fields.
///
/// The profile object is written and read through the field table: each standard field at its
/// storage path (``UserField/storage``), then the extension data (``UserProfile/extra``) member
/// by member. Members no standard field reads are kept as extension data, so documents keep
/// what dialects and added fields store, and documents written before the table (by
/// `JSONEncoder`, with `channels` and `service` objects) read back the same.
package struct StoredDocument: Equatable {
    package var profile: UserProfile
    package var passwordHash: String?
    package var createdAt: Date
    package var updatedAt: Date
    /// Absent in documents written before it was recorded.
    package var createdBy: String?

    package init(_ record: UserRecord) {
        self.init(record.stored(serial: 0))
    }

    package init(_ user: User) {
        profile = user.profile
        passwordHash = user.passwordHash
        createdAt = user.createdAt
        updatedAt = user.updatedAt
        createdBy = user.createdBy
    }

    /// The document's JSON: the shape `JSONEncoder` gives this type's `Codable` form (dates as
    /// seconds since 2001, `nil` fields left out), written by hand because it is written on
    /// every create (issue 10's profile: Foundation's coder was a tenth of a create). Documents
    /// written by either read back the same (tests hold both ways).
    package func json() -> String {
        var writer = JSONWriter(capacity: 512)
        writer.object { writer in
            writer.field("profile", object: { writer in Self.write(profile, to: &writer) })
            writer.field("passwordHash", passwordHash)
            writer.field("createdAt", createdAt.timeIntervalSinceReferenceDate)
            writer.field("updatedAt", updatedAt.timeIntervalSinceReferenceDate)
            writer.field("createdBy", createdBy)
        }
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// The user a row holds: its key columns and its document, read with Dragoman's own parser
    /// (Foundation's decoder was a twelfth of a read).
    package static func user(serial: Int64, uuid: UUID, realm: String, document: String) throws -> User {
        let stored = try StoredDocument(json: document)
        return User(
            id: UserID(serial: serial, uuid: uuid),
            realm: realm,
            profile: stored.profile,
            passwordHash: stored.passwordHash,
            createdAt: stored.createdAt,
            updatedAt: stored.updatedAt,
            createdBy: stored.createdBy
        )
    }

    /// Reads a document written by ``json()`` or by `JSONEncoder`.
    /// - Throws: ``StoreError/corruptRow`` when it is not such a document.
    package init(json: String) throws {
        let value: JSONValue
        do {
            value = try StrictJSONParser.parse(Array(json.utf8), maxDepth: Self.maxDepth)
        } catch {
            throw StoreError.corruptRow
        }
        let fields = try DocumentFields(value)
        profile = try Self.profile(try fields.object("profile"))
        passwordHash = try fields.string("passwordHash")
        createdAt = Date(timeIntervalSinceReferenceDate: try fields.required(fields.double("createdAt")))
        updatedAt = Date(timeIntervalSinceReferenceDate: try fields.required(fields.double("updatedAt")))
        createdBy = try fields.string("createdBy")
    }

    /// Deeper than any document Dragoman writes (request bodies are parsed to a lower limit).
    package static let maxDepth = 256

    /// The standard fields stored in the profile object, grouped by their first storage key
    /// in the order of the table (a group such as `channels` is one nested object).
    private static let groups: [(key: String, fields: [UserField])] = {
        var groups: [(key: String, fields: [UserField])] = []
        // The password is never in a profile; extension fields are in `extra`, written with it.
        for field in UserField.standard where field.kind != .secret && !field.isExtension {
            if let index = groups.firstIndex(where: { $0.key == field.storage[0] }) {
                groups[index].fields.append(field)
            } else {
                groups.append((field.storage[0], [field]))
            }
        }
        return groups
    }()

    /// The profile alone as the document writes it: the same profile always writes alike
    /// (fields in the table's order, extension data by sorted member name).
    package static func profileJSON(_ profile: UserProfile) -> String {
        var writer = JSONWriter(capacity: 256)
        writer.object { writer in write(profile, to: &writer) }
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// A profile as ``profileJSON(_:)`` wrote it.
    package static func profile(json: JSONValue) throws -> UserProfile {
        try profile(json)
    }

    /// The profile's fields (inside its object).
    private static func write(_ profile: UserProfile, to writer: inout JSONWriter) {
        for group in groups {
            if group.fields.count == 1, group.fields[0].storage.count == 1 {
                write(profile[group.fields[0]], as: group.key, to: &writer)
            } else {
                writer.field(
                    group.key,
                    object: { writer in
                        for field in group.fields { write(profile[field], as: field.storage[1], to: &writer) }
                    })
            }
        }
        for key in profile.extra.keys.sorted() { writer.field(key, profile.extra[key]) }
    }

    /// One member, by the writer's typed methods (no JSON value is made for it); none when absent.
    private static func write(_ value: FieldValue?, as key: String, to writer: inout JSONWriter) {
        switch value {
        case nil: return
        case .text(let text): writer.field(key, text)
        case .flag(let flag): writer.field(key, flag)
        case .ids(let ids): writer.field(key, ids)
        case .object(let members): writer.field(key, members)
        }
    }

    private static func profile(_ value: JSONValue) throws -> UserProfile {
        guard case .object(let members) = value else { throw StoreError.corruptRow }
        var profile = UserProfile()
        var claimed = 0
        for group in groups {
            guard let stored = members[group.key] else { continue }
            claimed += 1
            guard stored != .null else { continue }
            if group.fields.count == 1, group.fields[0].storage.count == 1 {
                profile[group.fields[0]] = try Self.value(stored, of: group.fields[0])
            } else {
                guard case .object(let nested) = stored else { throw StoreError.corruptRow }
                for field in group.fields {
                    guard let member = nested[field.storage[1]], member != .null else { continue }
                    profile[field] = try Self.value(member, of: field)
                }
            }
        }
        // Members no standard field claims are the extension data (none, for most users).
        if claimed < members.count {
            profile.extra = members.filter { $0.value != .null && !Self.groupKeys.contains($0.key) }
        }
        return profile
    }

    /// The members the standard fields are stored in.
    private static let groupKeys = Set(groups.map(\.key))

    /// A stored field's value; one of the wrong type is a corrupt row.
    private static func value(_ json: JSONValue, of field: UserField) throws -> FieldValue {
        // Numbers stored by `JSONEncoder` may read as doubles where ids are whole.
        if field.kind == .ids, case .array(let items) = json {
            return .ids(
                try items.map { item in
                    switch item {
                    case .integer(let number): return number
                    case .number(let number) where number.rounded() == number && abs(number) < 9e15: return Int64(number)
                    default: throw StoreError.corruptRow
                    }
                })
        }
        guard let value = FieldValue(json: json, kind: field.kind) else { throw StoreError.corruptRow }
        return value
    }
}

/// The fields of one object of a stored document, read by type; a field of the wrong type is a
/// corrupt row, a missing or `null` one is `nil`.
private struct DocumentFields {
    package let fields: [String: JSONValue]

    package init(_ value: JSONValue) throws {
        guard case .object(let fields) = value else { throw StoreError.corruptRow }
        self.fields = fields
    }

    package func optional(_ name: String) -> JSONValue? {
        guard let value = fields[name], value != .null else { return nil }
        return value
    }

    package func required<T>(_ value: T?) throws -> T {
        guard let value else { throw StoreError.corruptRow }
        return value
    }

    package func object(_ name: String) throws -> JSONValue {
        guard let value = optional(name), case .object = value else { throw StoreError.corruptRow }
        return value
    }

    package func string(_ name: String) throws -> String? {
        guard let value = optional(name) else { return nil }
        guard case .string(let text) = value else { throw StoreError.corruptRow }
        return text
    }

    package func double(_ name: String) throws -> Double? {
        switch optional(name) {
        case nil: return nil
        case .integer(let number)?: return Double(number)
        case .number(let number)?: return number
        default: throw StoreError.corruptRow
        }
    }

}

extension UserRecord {
    /// The user this record became under `serial`.
    package func stored(serial: Int64) -> User {
        User(
            id: UserID(serial: serial, uuid: uuid), realm: realm, profile: profile, passwordHash: passwordHash, createdAt: createdAt, updatedAt: createdAt,
            createdBy: createdBy)
    }

    package var keyColumns: UniqueKeyColumns { UniqueKeyColumns(profile) }
    package func keyValue(_ key: UniqueKey) -> String? { keyColumns.value(key) }
}

extension User {
    package var keyColumns: UniqueKeyColumns { UniqueKeyColumns(profile) }
}

/// The values of a user's key columns: the email and user name folded for comparison, the
/// phone as is.
package struct UniqueKeyColumns {
    package var email: String?
    package var userName: String?
    package var phone: String?

    package init(_ profile: UserProfile) {
        email = profile.email.map(EmailAddress.key)
        userName = profile.userName?.lowercased()
        phone = profile.phone
    }

    /// The value of `key`'s column, or `nil` when the user has none.
    package func value(_ key: UniqueKey) -> String? {
        switch key {
        case .email: email
        case .userName: userName
        case .phone: phone
        }
    }
}

extension UniqueKey {
    /// The key column holding this key.
    package var column: String {
        switch self {
        case .email: "email_key"
        case .userName: "user_name_key"
        case .phone: "phone"
        }
    }
}
