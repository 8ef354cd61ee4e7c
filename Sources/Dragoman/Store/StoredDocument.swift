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
        self.init(record.stored(serial: 0))
    }

    init(_ user: User) {
        profile = user.profile
        passwordHash = user.passwordHash
        createdAt = user.createdAt
        updatedAt = user.updatedAt
        createdBy = user.createdBy
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
