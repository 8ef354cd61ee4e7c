public import Foundation

/// A filter over users in canonical terms: what a dialect's query language (a filter parameter)
/// says, once its attribute names are mapped to canonical fields. The stores translate it to
/// SQL; ``matches(_:)`` evaluates it in memory with the same meaning, for lists assembled from
/// a backend's answers.
///
/// An attribute a user does not have compares false, whatever the operator but `ne` (which a
/// missing value satisfies), and is not present (`pr`).
public indirect enum UserPredicate: Sendable, Equatable {
    case compare(UserAttribute, UserComparison, FilterValue)
    /// The attribute has a non-empty value.
    case present(UserAttribute)
    case and(UserPredicate, UserPredicate)
    case or(UserPredicate, UserPredicate)
    case not(UserPredicate)
    /// Matches every user, or none (an attribute Dragoman's users never have).
    case always(Bool)
    /// Some entry of the array at `path` inside the object field `field` (a dialect's own
    /// data) passes `entry`.
    case anyEntry(UserField, path: [String], EntryPredicate)
}

/// A filter over the entries of an array kept in a dialect's own data (email addresses with
/// their `type`): each entry an object, compared by member.
public indirect enum EntryPredicate: Sendable, Equatable {
    case compare(key: String, UserComparison, FilterValue, caseExact: Bool)
    case present(key: String)
    case and(EntryPredicate, EntryPredicate)
    case or(EntryPredicate, EntryPredicate)
    case not(EntryPredicate)

    /// Whether an entry (its members) passes.
    public func matches(_ entry: [String: JSONValue]) -> Bool {
        switch self {
        case .and(let lhs, let rhs): lhs.matches(entry) && rhs.matches(entry)
        case .or(let lhs, let rhs): lhs.matches(entry) || rhs.matches(entry)
        case .not(let inner): !inner.matches(entry)
        case .present(let key): FilterValue(entry[key]).map { if case .text(let text) = $0 { !text.isEmpty } else { true } } ?? false
        case .compare(let key, let comparison, let value, let caseExact):
            UserPredicate.compare(FilterValue(entry[key]), comparison, value, caseExact: caseExact)
        }
    }
}

extension FilterValue {
    /// A JSON string or boolean as a value a filter compares; other JSON is none.
    init?(_ json: JSONValue?) {
        switch json {
        case .string(let text)?: self = .text(text)
        case .bool(let flag)?: self = .flag(flag)
        default: return nil
        }
    }
}

/// What a predicate compares: a canonical field, or one of a user's own identifiers and times.
public enum UserAttribute: Sendable, Equatable {
    /// A text or flag field; text is compared exactly, or ignoring case when `caseExact` is false.
    case field(UserField, caseExact: Bool)
    /// Text or a flag at `path` inside the object field `field` (a dialect's own data).
    case data(UserField, path: [String], caseExact: Bool)
    /// The user's UUID, compared ignoring case.
    case uuid
    case createdAt
    case updatedAt
}

/// A comparison operator (RFC 7644 §3.4.2.2's, which name them).
public enum UserComparison: String, Sendable, CaseIterable {
    case eq, ne, co, sw, ew, gt, ge, lt, le
}

/// The value a predicate compares with.
public enum FilterValue: Sendable, Equatable {
    case text(String)
    case flag(Bool)
    case date(Date)
}

extension UserPredicate {
    /// Whether `user` passes the filter.
    public func matches(_ user: User) -> Bool {
        switch self {
        case .always(let result): result
        case .and(let lhs, let rhs): lhs.matches(user) && rhs.matches(user)
        case .or(let lhs, let rhs): lhs.matches(user) || rhs.matches(user)
        case .not(let inner): !inner.matches(user)
        case .present(let attribute):
            switch attribute.value(of: user) {
            case .text(let text): !text.isEmpty
            case .flag, .date: true
            case nil: false
            }
        case .compare(let attribute, let comparison, let value):
            Self.compare(attribute.value(of: user), comparison, value, caseExact: attribute.caseExact)
        case .anyEntry(let field, let path, let entry):
            Self.json(user.profile[field]?.json, at: path[...]).map { value in
                guard case .array(let items) = value else { return false }
                return items.contains { item in
                    if case .object(let members) = item { entry.matches(members) } else { false }
                }
            } ?? false
        }
    }

    /// The JSON at `path` inside `value`.
    static func json(_ value: JSONValue?, at path: ArraySlice<String>) -> JSONValue? {
        guard let key = path.first else { return value }
        guard case .object(let members)? = value else { return nil }
        return json(members[key], at: path.dropFirst())
    }

    /// Whether a stored value (`nil`: none) passes a comparison, as the stores compare.
    public static func compare(_ stored: FilterValue?, _ comparison: UserComparison, _ value: FilterValue, caseExact: Bool) -> Bool {
        guard let stored else { return comparison == .ne }
        switch (stored, value) {
        case (.text(let have), .text(let want)):
            let a = caseExact ? have : have.lowercased()
            let b = caseExact ? want : want.lowercased()
            // Compared as the stores compare text: by UTF-8 bytes.
            switch comparison {
            case .eq: return a == b
            case .ne: return a != b
            case .co: return b.isEmpty || a.utf8.contains(b.utf8)
            case .sw: return a.utf8.starts(with: b.utf8)
            case .ew: return a.utf8.reversed().starts(with: b.utf8.reversed())
            case .gt: return a.utf8.lexicographicallyPrecedes(b.utf8) == false && a != b
            case .ge: return a.utf8.lexicographicallyPrecedes(b.utf8) == false
            case .lt: return a.utf8.lexicographicallyPrecedes(b.utf8)
            case .le: return a.utf8.lexicographicallyPrecedes(b.utf8) || a == b
            }
        case (.flag(let have), .flag(let want)):
            switch comparison {
            case .eq: return have == want
            case .ne: return have != want
            default: return false
            }
        case (.date(let have), .date(let want)):
            switch comparison {
            case .eq: return have == want
            case .ne: return have != want
            case .gt: return have > want
            case .ge: return have >= want
            case .lt: return have < want
            case .le: return have <= want
            case .co, .sw, .ew: return false
            }
        default:
            return comparison == .ne
        }
    }
}

extension UserAttribute {
    /// Whether text compares exactly.
    public var caseExact: Bool {
        switch self {
        case .field(_, let caseExact), .data(_, _, let caseExact): caseExact
        case .uuid: false
        case .createdAt, .updatedAt: true
        }
    }

    /// The attribute's value for `user`, or `nil` when the user has none.
    public func value(of user: User) -> FilterValue? {
        switch self {
        case .field(let field, _):
            switch user.profile[field] {
            case .text(let text): .text(text)
            case .flag(let flag): .flag(flag)
            default: nil
            }
        case .data(let field, let path, _): FilterValue(UserPredicate.json(user.profile[field]?.json, at: path[...]))
        case .uuid: .text(user.id.uuid.text(uppercase: false))
        case .createdAt: .date(user.createdAt)
        case .updatedAt: .date(user.updatedAt)
        }
    }
}

extension String.UTF8View {
    /// Whether `other` occurs in these bytes.
    fileprivate func contains(_ other: String.UTF8View) -> Bool {
        let haystack = Array(self)
        let needle = Array(other)
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start..<start + needle.count].elementsEqual(needle) { return true }
        return false
    }
}
