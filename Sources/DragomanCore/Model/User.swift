public import Foundation

/// The identifiers of a stored user. One user has both, and each dialect shows the one its
/// vendor uses: a serial number, a UUID, or the UUID in another spelling (``compactUUID``).
public struct UserID: Sendable, Equatable, Hashable, Codable {
    /// A number assigned in creation order, starting at 1.
    public var serial: Int64
    public var uuid: UUID

    public init(serial: Int64, uuid: UUID) {
        self.serial = serial
        self.uuid = uuid
    }

    /// The UUID as 32 lowercase hex digits with no dashes (.NET's `Guid.ToString("N")`).
    public var compactUUID: String {
        uuid.compactText
    }
}

/// A user as the store holds it: the profile, its identifiers, its realm, its password hash and
/// its timestamps.
public struct User: Sendable, Equatable {
    public var id: UserID
    /// The namespace the user's unique keys (email, user name, phone) are unique within.
    public var realm: String
    public var profile: UserProfile
    /// The bcrypt hash of the user's password. Never sent to any caller.
    public var passwordHash: String?
    public var createdAt: Date
    public var updatedAt: Date
    /// The principal that created the user, when one was authenticated.
    public var createdBy: String?
    /// The groups the user belongs to, when the reader asked for them (a dialect that shows
    /// them, ``GroupStore/groups(containing:)``); not stored with the user.
    public var groups: [GroupRef]?

    public init(
        id: UserID,
        realm: String,
        profile: UserProfile,
        passwordHash: String?,
        createdAt: Date,
        updatedAt: Date,
        createdBy: String? = nil
    ) {
        self.id = id
        self.realm = realm
        self.profile = profile
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.createdBy = createdBy
    }
}

/// A create request in canonical form, as a dialect decoder produced it.
public struct NewUser: Sendable, Equatable {
    public var realm: String
    public var profile: UserProfile
    public var password: Secret?

    public init(realm: String = Realm.shared, profile: UserProfile, password: Secret? = nil) {
        self.realm = realm
        self.profile = profile
        self.password = password
    }
}

/// Realm names.
public enum Realm {
    /// The realm that users of every dialect without realms of its own share.
    public static let shared = ""
}
