public import Foundation

/// A change a caller asks for: the fields it sent, as a profile in which `nil` means "not sent",
/// a new password when it sent one, and the fields it removes. Fields neither sent nor
/// removed keep their stored values. Most dialects read `null` as "not sent" and remove
/// nothing; a dialect whose protocol replaces a whole resource or removes attributes
/// lists them in ``cleared``.
public struct UserPatch: Sendable, Equatable {
    public var profile: UserProfile
    public var password: Secret?
    /// Fields the change removes; a field set once (``FieldMerge/fixed``) keeps its value.
    public var cleared: [UserField]

    public init(profile: UserProfile, password: Secret? = nil, cleared: [UserField] = []) {
        self.profile = profile
        self.password = password
        self.cleared = cleared
    }

    /// `current` with this change applied: the fields sent merged in by their rules
    /// (``UserProfile/merging(_:fields:)``), then the cleared ones removed.
    public func applied(to current: UserProfile, fields: FieldTable = .standard) -> UserProfile {
        var merged = current.merging(profile, fields: fields)
        for field in cleared where field.merge != .fixed && profile[field] == nil { merged[field] = nil }
        return merged
    }
}

extension UserProfile {
    /// This profile with every field `patch` sets taken from it, as each field's declaration
    /// says (``FieldMerge``): a value sent replaces the stored one, except that a field set
    /// once (the tenant) keeps its stored value. The name fields merge together: a display
    /// name sent replaces the whole name (given and family as the patch has them); a given or
    /// family name sent replaces that part and drops a stored display name, so the full name
    /// follows the parts.
    public func merging(_ patch: UserProfile, fields: FieldTable = .standard) -> UserProfile {
        var merged = self
        if patch.displayName != nil {
            merged.givenName = patch.givenName
            merged.familyName = patch.familyName
            merged.displayName = patch.displayName
        } else if patch.givenName != nil || patch.familyName != nil {
            if let given = patch.givenName { merged.givenName = given }
            if let family = patch.familyName { merged.familyName = family }
            merged.displayName = nil
        }
        for field in fields.fields {
            guard let value = patch[field] else { continue }
            switch field.merge {
            case .replace: merged[field] = value
            case .fixed: if merged[field] == nil { merged[field] = value }
            case .name: continue
            }
        }
        return merged
    }
}

extension ValidationProfile {
    /// The rules an update to `draft` (the stored `profile` with the change applied) must pass:
    /// these, except that a required field is demanded only when the user has it or the change
    /// sends it, and a password only when the change sends one (an update may not be able to
    /// carry a field the user was created without).
    public func forUpdate(of profile: UserProfile, to draft: NewUser) -> ValidationProfile {
        let stored = NewUser(realm: draft.realm, profile: profile)
        var rules = self
        rules.required = required.filter { field in field == .password ? draft.password != nil : stored.has(field) || draft.has(field) }
        return rules
    }
}

extension UserService {
    /// Applies `patch` to `current` and stores the result, which must pass `profile`'s
    /// rules as a create would and keep its unique keys unique. A required field must stay
    /// filled when the user has it or the patch sends it; one the user never had (created
    /// through a dialect without it) is not demanded of an update that cannot carry it.
    /// - Parameter prior: violations the dialect found while decoding, reported with the validator's.
    /// - Parameter current: the user as just read (the caller found it to check it may see it).
    public func update(
        _ current: User,
        patch: UserPatch,
        profile: ValidationProfile,
        prior: [FieldViolation] = []
    ) async throws(ServiceError) -> User {
        let draft = NewUser(realm: current.realm, profile: patch.applied(to: current.profile, fields: validator.fields), password: patch.password)
        let rules = profile.forUpdate(of: current.profile, to: draft)
        let valid: NewUser
        switch validator.validate(draft, profile: rules, prior: prior) {
        case .success(let user): valid = user
        case .failure(let failure): throw .invalid(failure.violations)
        }
        do {
            var updated = current
            updated.profile = valid.profile
            if let password = valid.password { updated.passwordHash = try await hasher.hash(password) }
            updated.updatedAt = now()
            switch try await store.update(updated, uniqueKeys: profile.uniqueKeys) {
            case .updated(let stored): return stored
            case .duplicate(let existing, let key): throw ServiceError.duplicate(Conflict(key: key, existing: existing))
            case .notFound: throw ServiceError.notFound
            }
        } catch let error as ServiceError {
            throw error
        } catch {
            throw .storeFailure(String(describing: error))
        }
    }

    /// Deletes the user `id` names.
    public func delete(_ id: UUID) async throws(ServiceError) {
        let deleted: Bool
        do {
            deleted = try await store.delete(id)
        } catch {
            throw .storeFailure(String(describing: error))
        }
        guard deleted else { throw .notFound }
    }

    /// A page of users.
    public func list(_ query: UserListQuery) async throws(ServiceError) -> UserPage {
        do {
            return try await store.list(query)
        } catch {
            throw .storeFailure(String(describing: error))
        }
    }
}

extension UserListQuery {
    /// Whether `user` passes this query's filters (realms, text, field values), as the stores'
    /// lists apply them; for lists assembled in memory, such as a backend's users.
    public func matches(_ user: User) -> Bool {
        if let realms, !realms.contains(user.realm) { return false }
        for match in fieldEquals where user.profile.text(match.field) != match.value { return false }
        if let predicate, !predicate.matches(user) { return false }
        guard let text, !text.isEmpty else { return true }
        let needle = text.lowercased()
        let p = user.profile
        return [p.givenName, p.familyName, p.displayName, p.userName, p.email].contains { $0?.lowercased().contains(needle) == true }
    }

    /// The page of `users` (every user that may be listed) this query asks for: in creation
    /// order (by serial), or with `inGivenOrder` in the order given (a backend's own), where a
    /// cursor continues after the user it names wherever that user stands.
    public func page(of users: [User], inGivenOrder: Bool = false) -> UserPage {
        let filtered = users.filter(matches)
        let matching = inGivenOrder ? filtered : filtered.sorted { $0.id.serial < $1.id.serial }
        var after = matching[...]
        if let serial = afterSerial {
            if inGivenOrder, let index = matching.firstIndex(where: { $0.id.serial == serial }) {
                after = matching[(index + 1)...]
            } else {
                after = matching.filter { $0.id.serial > serial }[...]
            }
        }
        let page = Array(after.dropFirst(offset).prefix(limit))
        return UserPage(users: page, total: matching.count, hasMore: after.count > offset + page.count)
    }
}
