public import Foundation

/// How a caller names the user it wants to read.
public enum UserLookup: Sendable, Equatable {
    case serial(Int64)
    case uuid(UUID)
    /// By email address within a realm, compared case-insensitively.
    case email(realm: String, address: String)
}

/// A user ready to be stored; the store assigns the serial number.
public struct UserRecord: Sendable, Equatable {
    public var uuid: UUID
    public var realm: String
    public var profile: UserProfile
    public var passwordHash: String?
    public var createdAt: Date
    /// The principal creating the user, when one was authenticated.
    public var createdBy: String?
    /// The claimed idempotency key this create runs under, if any: the store marks it with the
    /// user in the same transaction as the insert.
    public var mark: IdempotencyMark?

    public init(
        uuid: UUID,
        realm: String,
        profile: UserProfile,
        passwordHash: String?,
        createdAt: Date,
        createdBy: String? = nil,
        mark: IdempotencyMark? = nil
    ) {
        self.uuid = uuid
        self.realm = realm
        self.profile = profile
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.mark = mark
    }
}

/// A claimed idempotency key, named so that the insert of the user it creates can mark it in
/// the same transaction: then a retry after a crash finds the user its first attempt made and
/// is answered with it, never with a duplicate error.
public struct IdempotencyMark: Sendable, Equatable {
    public var scope: String
    public var key: String
    /// The claim's own token: only the holder's create marks the key.
    public var token: String

    public init(scope: String, key: String, token: String) {
        self.scope = scope
        self.key = key
        self.token = token
    }
}

/// What an insert did.
public enum InsertOutcome: Sendable, Equatable {
    /// The user is stored, durably, as returned.
    case created(User)
    /// Another user of the same realm already holds `key`; nothing was stored.
    case duplicate(existing: User, key: UniqueKey)
}

/// Durable storage for users: create, read, update, delete and list.
///
/// An implementation must make `insert` atomic: the uniqueness check and the write happen as one,
/// so concurrent inserts of the same user store exactly one, even from several processes sharing
/// the store. `insert` returns only once the user is durable.
public protocol UserStore: Sendable {
    /// Stores `record` unless a user of the same realm already holds one of `uniqueKeys`.
    func insert(_ record: UserRecord, uniqueKeys: [UniqueKey]) async throws -> InsertOutcome
    /// The user `lookup` names, or `nil`.
    func user(_ lookup: UserLookup) async throws -> User?
    /// Replaces the stored user `user.id.uuid` with `user` (profile, password hash, updated-at)
    /// unless another user of its realm holds one of `uniqueKeys`; atomic like `insert`, and
    /// durable once it returns.
    func update(_ user: User, uniqueKeys: [UniqueKey]) async throws -> UpdateOutcome
    /// Deletes the user; `false` when there was none.
    func delete(_ uuid: UUID) async throws -> Bool
    /// A page of users, in creation order.
    func list(_ query: UserListQuery) async throws -> UserPage
}

/// Turns a password into a hash fit to store.
public protocol PasswordHasher: Sendable {
    func hash(_ password: Secret) async throws -> String
}

/// What an update did.
public enum UpdateOutcome: Sendable, Equatable {
    /// The user now reads as returned, durably.
    case updated(User)
    /// Another user of the same realm already holds `key`; nothing was changed.
    case duplicate(existing: User, key: UniqueKey)
    /// No user has that id (any more).
    case notFound
}

/// Which users a list asks for, and which page of them.
///
/// Users are listed in creation order (by serial), so pages stay stable while users are added:
/// a cursor names the last serial seen; an offset counts from the first user that matches.
public struct UserListQuery: Sendable, Equatable {
    /// The realms to list; `nil` lists every realm.
    public var realms: [String]?
    /// Case-insensitive text that the given, family or display name, the user name or the email
    /// address must contain.
    public var text: String?
    /// Only users whose text fields hold exactly these values (a dialect's own filters, such
    /// as a group); the stores compare the value at each field's storage path.
    public var fieldEquals: [FieldMatch]
    /// Only users created after the user with this serial (cursor pagination).
    public var afterSerial: Int64?
    /// Users to skip before the page (page-number pagination).
    public var offset: Int
    /// The most users on the page.
    public var limit: Int
    /// A filter in a dialect's query language, in canonical terms; the stores translate it.
    public var predicate: UserPredicate?

    public init(
        realms: [String]? = nil,
        text: String? = nil,
        fieldEquals: [FieldMatch] = [],
        afterSerial: Int64? = nil,
        offset: Int = 0,
        limit: Int,
        predicate: UserPredicate? = nil
    ) {
        self.realms = realms
        self.text = text
        self.fieldEquals = fieldEquals
        self.afterSerial = afterSerial
        self.offset = offset
        self.limit = limit
        self.predicate = predicate
    }
}

/// A list filter: the text field `field` holds exactly `value`.
public struct FieldMatch: Sendable, Equatable {
    public var field: UserField
    public var value: String

    public init(_ field: UserField, _ value: String) {
        self.field = field
        self.value = value
    }

}

/// One page of a list.
public struct UserPage: Sendable, Equatable {
    public var users: [User]
    /// How many users match the query's realms and text, on every page.
    public var total: Int
    /// Whether users follow this page.
    public var hasMore: Bool

    public init(users: [User], total: Int, hasMore: Bool) {
        self.users = users
        self.total = total
        self.hasMore = hasMore
    }
}
