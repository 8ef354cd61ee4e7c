import DragomanCore
import Foundation

/// The JSON document a user row holds in either engine: the canonical profile, the password
/// hash and the timestamps. Key columns beside it index the unique fields.
struct StoredDocument: Codable, Equatable {
    var profile: UserProfile
    var passwordHash: String?
    var createdAt: Date
    var updatedAt: Date
    /// Absent in documents written before it was recorded.
    var createdBy: String?

    init(_ record: UserRecord) {
        self.init(record.stored(serial: 0))
    }

    init(_ user: User) {
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
    func json() -> String {
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
    static func user(serial: Int64, uuid: UUID, realm: String, document: String) throws -> User {
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
    init(json: String) throws {
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
    static let maxDepth = 256

    /// The profile's fields (inside its object).
    private static func write(_ profile: UserProfile, to writer: inout JSONWriter) {
        writer.field("givenName", profile.givenName)
        writer.field("familyName", profile.familyName)
        writer.field("displayName", profile.displayName)
        writer.field("userName", profile.userName)
        writer.field("email", profile.email)
        writer.field("phone", profile.phone)
        writer.field("country", profile.country)
        writer.field("state", profile.state)
        writer.field("language", profile.language)
        writer.field("active", profile.active)
        writer.field("channels", object: { writer in
            writer.field("email", profile.channels.email)
            writer.field("sms", profile.channels.sms)
            writer.field("voice", profile.channels.voice)
            writer.field("whatsapp", profile.channels.whatsapp)
        })
        writer.field("permissionIDs", profile.permissionIDs)
        writer.field("groupIDs", profile.groupIDs)
        writer.field("appIDs", profile.appIDs)
        writer.field("allowAllApps", profile.allowAllApps)
        writer.field("identity", profile.identity)
        writer.field("metadata", profile.metadata)
        writer.field("lastActiveDate", profile.lastActiveDate)
        guard let service = profile.service else { return }
        writer.field("service", object: { writer in
            writer.field("serviceID", service.serviceID)
            writer.field("preRegister", service.preRegister)
            writer.field("skipRegistrationConfirmation", service.skipRegistrationConfirmation)
            writer.field("groupGUID", service.groupGUID)
            writer.field("groupType", service.groupType?.rawValue)
            writer.field("enableCampaigns", service.enableCampaigns)
            writer.field("enableESignatures", service.enableESignatures)
            writer.field("defaultSecure", service.defaultSecure?.rawValue)
            writer.field("blacklistMode", service.blacklistMode?.rawValue)
        })
    }

    private static func profile(_ value: JSONValue) throws -> UserProfile {
        let fields = try DocumentFields(value)
        var profile = UserProfile(
            givenName: try fields.string("givenName"),
            familyName: try fields.string("familyName"),
            displayName: try fields.string("displayName"),
            userName: try fields.string("userName"),
            email: try fields.string("email"),
            phone: try fields.string("phone"),
            country: try fields.string("country"),
            state: try fields.string("state"),
            language: try fields.string("language"),
            active: try fields.bool("active"),
            permissionIDs: try fields.integers("permissionIDs"),
            groupIDs: try fields.integers("groupIDs"),
            appIDs: try fields.integers("appIDs"),
            allowAllApps: try fields.bool("allowAllApps"),
            identity: try fields.string("identity"),
            metadata: try fields.objectFields("metadata"),
            lastActiveDate: try fields.string("lastActiveDate")
        )
        let channels = try DocumentFields(try fields.object("channels"))
        profile.channels = ChannelSubscriptions(
            email: try channels.bool("email"), sms: try channels.bool("sms"), voice: try channels.bool("voice"), whatsapp: try channels.bool("whatsapp")
        )
        if let service = fields.optional("service") {
            let options = try DocumentFields(service)
            profile.service = ServiceOptions(
                serviceID: try options.required(options.string("serviceID")),
                preRegister: try options.bool("preRegister"),
                skipRegistrationConfirmation: try options.bool("skipRegistrationConfirmation"),
                groupGUID: try options.string("groupGUID"),
                groupType: try options.string("groupType").map { try options.required(ServiceOptions.GroupType(rawValue: $0)) },
                enableCampaigns: try options.bool("enableCampaigns"),
                enableESignatures: try options.bool("enableESignatures"),
                defaultSecure: try options.string("defaultSecure").map { try options.required(ServiceOptions.DefaultSecure(rawValue: $0)) },
                blacklistMode: try options.string("blacklistMode").map { try options.required(ServiceOptions.BlacklistMode(rawValue: $0)) }
            )
        }
        return profile
    }
}

/// The fields of one object of a stored document, read by type; a field of the wrong type is a
/// corrupt row, a missing or `null` one is `nil`.
private struct DocumentFields {
    let fields: [String: JSONValue]

    init(_ value: JSONValue) throws {
        guard case .object(let fields) = value else { throw StoreError.corruptRow }
        self.fields = fields
    }

    func optional(_ name: String) -> JSONValue? {
        guard let value = fields[name], value != .null else { return nil }
        return value
    }

    func required<T>(_ value: T?) throws -> T {
        guard let value else { throw StoreError.corruptRow }
        return value
    }

    func object(_ name: String) throws -> JSONValue {
        guard let value = optional(name), case .object = value else { throw StoreError.corruptRow }
        return value
    }

    func objectFields(_ name: String) throws -> [String: JSONValue]? {
        guard let value = optional(name) else { return nil }
        guard case .object(let object) = value else { throw StoreError.corruptRow }
        return object
    }

    func string(_ name: String) throws -> String? {
        guard let value = optional(name) else { return nil }
        guard case .string(let text) = value else { throw StoreError.corruptRow }
        return text
    }

    func bool(_ name: String) throws -> Bool? {
        guard let value = optional(name) else { return nil }
        guard case .bool(let flag) = value else { throw StoreError.corruptRow }
        return flag
    }

    func double(_ name: String) throws -> Double? {
        switch optional(name) {
        case nil: return nil
        case .integer(let number)?: return Double(number)
        case .number(let number)?: return number
        default: throw StoreError.corruptRow
        }
    }

    func integers(_ name: String) throws -> [Int64]? {
        guard let value = optional(name) else { return nil }
        guard case .array(let elements) = value else { throw StoreError.corruptRow }
        return try elements.map { element in
            guard case .integer(let number) = element else { throw StoreError.corruptRow }
            return number
        }
    }
}

extension UserRecord {
    /// The user this record became under `serial`.
    func stored(serial: Int64) -> User {
        User(id: UserID(serial: serial, uuid: uuid), realm: realm, profile: profile, passwordHash: passwordHash, createdAt: createdAt, updatedAt: createdAt,
             createdBy: createdBy)
    }

    var keyColumns: UniqueKeyColumns { UniqueKeyColumns(profile) }
    func keyValue(_ key: UniqueKey) -> String? { keyColumns.value(key) }
}

extension User {
    var keyColumns: UniqueKeyColumns { UniqueKeyColumns(profile) }
}

/// The values of a user's key columns: the email and user name folded for comparison, the
/// phone as is.
struct UniqueKeyColumns {
    var email: String?
    var userName: String?
    var phone: String?

    init(_ profile: UserProfile) {
        email = profile.email.map(EmailAddress.key)
        userName = profile.userName?.lowercased()
        phone = profile.phone
    }

    /// The value of `key`'s column, or `nil` when the user has none.
    func value(_ key: UniqueKey) -> String? {
        switch key {
        case .email: email
        case .userName: userName
        case .phone: phone
        }
    }
}

extension UniqueKey {
    /// The key column holding this key.
    var column: String {
        switch self {
        case .email: "email_key"
        case .userName: "user_name_key"
        case .phone: "phone"
        }
    }
}
