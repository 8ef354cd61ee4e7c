public import Foundation

/// Why the service could not do what was asked.
public enum ServiceError: Error, Sendable, Equatable {
    /// The request broke these rules; nothing was stored.
    case invalid([FieldViolation])
    /// Another user already holds a unique key; nothing was stored.
    case duplicate(Conflict)
    /// No such user.
    case notFound
    /// The store failed; the message is for the log, not the caller.
    case storeFailure(String)
}

/// A create refused because another user already holds one of its unique keys.
public struct Conflict: Sendable, Equatable {
    public var key: UniqueKey
    /// The existing user's ids, when known (a backend may not say).
    public var existingID: UserID?
    /// The value both share, e.g. the email address.
    public var value: String?

    public init(key: UniqueKey, existingID: UserID?, value: String?) {
        self.key = key
        self.existingID = existingID
        self.value = value
    }

    public init(key: UniqueKey, existing: User) {
        let value: String? =
            switch key {
            case .email: existing.profile.email
            case .userName: existing.profile.userName
            case .phone: existing.profile.phone
            }
        self.init(key: key, existingID: existing.id, value: value)
    }
}

/// The canonical create and read: validation, password hashing, duplicate detection and storage,
/// the same for every dialect. It knows nothing of HTTP or of any vendor's field names.
public struct UserService: Sendable {
    let store: any UserStore
    let hasher: any PasswordHasher
    let validator: UserValidator
    let now: @Sendable () -> Date

    public init(
        store: any UserStore,
        hasher: any PasswordHasher,
        validator: UserValidator = .init(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.hasher = hasher
        self.validator = validator
        self.now = now
    }

    /// Validates `draft` against `profile` and stores it.
    /// - Parameters:
    ///   - prior: violations the dialect found while decoding; they are reported together with
    ///     the validator's own.
    ///   - creator: the principal creating the user, recorded with it.
    ///   - mark: the claimed idempotency key, marked with the user in the insert's transaction.
    public func create(
        _ draft: NewUser,
        profile: ValidationProfile,
        prior: [FieldViolation] = [],
        by creator: String? = nil,
        mark: IdempotencyMark? = nil
    ) async throws(ServiceError) -> User {
        let user: NewUser
        switch validator.validate(draft, profile: profile, prior: prior) {
        case .success(let valid): user = valid
        case .failure(let failure): throw .invalid(failure.violations)
        }
        do {
            var hash: String? = nil
            if let password = user.password { hash = try await hasher.hash(password) }
            let createdAt = now()
            let record = UserRecord(
                uuid: .timeOrdered(at: createdAt), realm: user.realm, profile: user.profile, passwordHash: hash, createdAt: createdAt, createdBy: creator,
                mark: mark)
            switch try await store.insert(record, uniqueKeys: profile.uniqueKeys) {
            case .created(let stored): return stored
            case .duplicate(let existing, let key): throw ServiceError.duplicate(Conflict(key: key, existing: existing))
            }
        } catch let error as ServiceError {
            throw error
        } catch {
            throw .storeFailure(String(describing: error))
        }
    }

    /// The user `lookup` names.
    public func find(_ lookup: UserLookup) async throws(ServiceError) -> User {
        let found: User?
        do {
            found = try await store.user(lookup)
        } catch {
            throw .storeFailure(String(describing: error))
        }
        guard let found else { throw .notFound }
        return found
    }
}
