public import Foundation

/// A group of users, as identity providers push them: a display name, the id
/// the provider knows it by, its members (users, by id) and whatever else its dialect keeps.
public struct Group: Sendable, Equatable {
    public var id: UUID
    public var displayName: String
    public var externalId: String?
    /// The members, in the order they were added; users that no longer exist are left out.
    public var members: [UUID]
    /// What the group's dialect keeps beyond these, as JSON members.
    public var extra: [String: JSONValue]
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID, displayName: String, externalId: String? = nil, members: [UUID] = [], extra: [String: JSONValue] = [:], createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.displayName = displayName
        self.externalId = externalId
        self.members = members
        self.extra = extra
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A group a user belongs to, as a user's read shows it.
public struct GroupRef: Sendable, Equatable {
    public var id: UUID
    public var displayName: String

    public init(id: UUID, displayName: String) {
        self.id = id
        self.displayName = displayName
    }
}

/// A filter over groups, in canonical terms (``UserPredicate``'s counterpart).
public indirect enum GroupPredicate: Sendable, Equatable {
    case compare(GroupAttribute, UserComparison, FilterValue)
    case present(GroupAttribute)
    case and(GroupPredicate, GroupPredicate)
    case or(GroupPredicate, GroupPredicate)
    case not(GroupPredicate)
    case always(Bool)
}

/// What a group filter compares.
public enum GroupAttribute: Sendable, Equatable {
    /// Compared ignoring case.
    case displayName
    /// Compared exactly.
    case externalId
    case uuid
    /// A member's user id: `eq` holds when the group has that member.
    case member
    case createdAt
    case updatedAt
}

/// Which groups a list asks for: a filter and a page, in creation order.
public struct GroupListQuery: Sendable, Equatable {
    public var predicate: GroupPredicate?
    public var offset: Int
    public var limit: Int

    public init(predicate: GroupPredicate? = nil, offset: Int = 0, limit: Int) {
        self.predicate = predicate
        self.offset = offset
        self.limit = limit
    }
}

/// One page of groups.
public struct GroupPage: Sendable, Equatable {
    public var groups: [Group]
    /// How many groups match, on every page.
    public var total: Int

    public init(groups: [Group], total: Int) {
        self.groups = groups
        self.total = total
    }
}

/// Durable storage for groups. A group's members are users of the same store; a user's
/// deletion leaves it out of every group.
public protocol GroupStore: Sendable {
    /// Stores a new group.
    func insertGroup(_ group: Group) async throws
    /// The group `id` names, or `nil`.
    func group(_ id: UUID) async throws -> Group?
    /// Replaces the stored group `group.id` (members included); `false` when there is none.
    func replaceGroup(_ group: Group) async throws -> Bool
    /// Deletes the group; `false` when there was none.
    func deleteGroup(_ id: UUID) async throws -> Bool
    /// A page of groups.
    func listGroups(_ query: GroupListQuery) async throws -> GroupPage
    /// The groups each of `users` belongs to (users in none are absent).
    func groups(containing users: [UUID]) async throws -> [UUID: [GroupRef]]
}

extension GroupPredicate {
    /// Whether `group` passes the filter, as the stores' SQL says it.
    public func matches(_ group: Group) -> Bool {
        switch self {
        case .always(let result): return result
        case .and(let lhs, let rhs): return lhs.matches(group) && rhs.matches(group)
        case .or(let lhs, let rhs): return lhs.matches(group) || rhs.matches(group)
        case .not(let inner): return !inner.matches(group)
        case .present(let attribute):
            switch attribute {
            case .displayName: return !group.displayName.isEmpty
            case .externalId: return group.externalId?.isEmpty == false
            case .member: return !group.members.isEmpty
            case .uuid, .createdAt, .updatedAt: return true
            }
        case .compare(.member, let comparison, .text(let text)):
            let has = UUID(uuidString: text).map(group.members.contains) ?? false
            return comparison == .eq ? has : comparison == .ne ? !has : false
        case .compare(let attribute, let comparison, let value):
            let stored: FilterValue? =
                switch attribute {
                case .displayName: .text(group.displayName)
                case .externalId: group.externalId.map(FilterValue.text)
                case .uuid: .text(group.id.text(uppercase: false))
                case .createdAt: .date(group.createdAt)
                case .updatedAt: .date(group.updatedAt)
                case .member: nil
                }
            return UserPredicate.compare(stored, comparison, value, caseExact: attribute == .externalId)
        }
    }
}
