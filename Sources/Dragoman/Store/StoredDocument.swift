import DragomanCore
import Foundation

/// The JSON document a user row holds in either engine: the canonical profile, the password
/// hash and the timestamps. Key columns beside it index the unique fields.
struct StoredDocument: Codable {
    var profile: UserProfile
    var passwordHash: String?
    var createdAt: Date
    var updatedAt: Date
    /// Absent in documents written before it was recorded.
    var createdBy: String?

    init(_ record: UserRecord) {
        profile = record.profile
        passwordHash = record.passwordHash
        createdAt = record.createdAt
        updatedAt = record.createdAt
        createdBy = record.createdBy
    }

    /// One encoder and one decoder for every document (building them is not free).
    private static let encoder = JSONEncoder()
    private static let decoder = JSONDecoder()

    func json() throws -> String {
        try String(decoding: Self.encoder.encode(self), as: UTF8.self)
    }

    static func user(serial: Int64, uuid: UUID, realm: String, document: String) throws -> User {
        let stored = try decoder.decode(StoredDocument.self, from: Data(document.utf8))
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
}

extension UserRecord {
    /// The user this record became under `serial`.
    func stored(serial: Int64) -> User {
        User(id: UserID(serial: serial, uuid: uuid), realm: realm, profile: profile, passwordHash: passwordHash, createdAt: createdAt, updatedAt: createdAt,
             createdBy: createdBy)
    }

    /// The values of the key columns: the email and user name folded for comparison, the phone as is.
    var keyColumns: (email: String?, userName: String?, phone: String?) {
        (profile.email.map(EmailAddress.key), profile.userName?.lowercased(), profile.phone)
    }

    /// The value of `key`'s column for this record, or `nil` when the record has none.
    func keyValue(_ key: UniqueKey) -> String? {
        let keys = keyColumns
        return switch key {
        case .email: keys.email
        case .userName: keys.userName
        case .phone: keys.phone
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
