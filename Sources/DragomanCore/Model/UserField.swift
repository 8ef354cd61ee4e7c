/// One field of the canonical user, declared once: its name, what kind of value it holds,
/// which rules its values obey, how an update merges it, and where it is stored.
///
/// Everything that treats fields alike reads this declaration: the validator (clean text,
/// lengths, allowed values, required fields), ``NewUser/has(_:)`` and ``NewUser/remove(_:)``,
/// the update merge (``UserProfile/merging(_:fields:)``), the stores' documents and list
/// filters, and error naming (dialects translate ``rawValue`` to their wire names). The
/// standard fields are in ``UserField/standard``; a dialect declares fields only it knows with
/// ``extension(_:_:storage:merge:)``, and lists them in its registration.
///
/// Two fields are the same field when their names are equal. A field is a class so that the
/// table's passes over it copy a reference, not its parts.
public final class UserField: Sendable, Hashable, CustomStringConvertible {
    /// The field's canonical name, as errors and logs give it.
    public let rawValue: String
    /// What its values are.
    public let kind: FieldKind
    /// Where its value sits inside the stored profile document (`["channels", "email"]`).
    public let storage: [String]
    /// How an update that sends it changes the stored value.
    public let merge: FieldMerge
    /// Where its value lives in a ``UserProfile``.
    let slot: FieldSlot
    /// The name's hash, computed once: sets of fields are looked up on every request.
    private let nameHash: Int

    init(_ name: String, _ kind: FieldKind, storage: [String]? = nil, merge: FieldMerge = .replace, slot: FieldSlot) {
        self.rawValue = name
        self.kind = kind
        self.storage = storage ?? [name]
        self.merge = merge
        self.slot = slot
        self.nameHash = name.hashValue
    }

    /// A field kept in the profile's extension data (``UserProfile/extra``) at `storage`
    /// (by default a member named for the field): how a dialect adds a field of its own, and
    /// how a field is added to the canonical model without a stored property.
    public static func `extension`(_ name: String, _ kind: FieldKind, storage: [String]? = nil, merge: FieldMerge = .replace) -> UserField {
        let path = storage ?? [name]
        // Storage keys name JSON members and SQL JSON paths: letters, digits and `_` only.
        precondition(
            !path.isEmpty && path.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") } },
            "a field's storage path is one or more keys of ASCII letters, digits and _")
        return UserField(name, kind, storage: storage, merge: merge, slot: .extra)
    }

    public var description: String { rawValue }

    /// Whether the field lives in the profile's extension data rather than a stored property.
    public var isExtension: Bool {
        if case .extra = slot { return true }
        return false
    }

    public static func == (lhs: UserField, rhs: UserField) -> Bool { lhs.rawValue == rhs.rawValue }

    public func hash(into hasher: inout Hasher) { hasher.combine(nameHash) }
}

/// What kind of value a field holds, and the rules every value of that kind obeys.
public enum FieldKind: Sendable, Equatable {
    /// Text: put in NFC, trimmed (an empty text is no value), without control or invisible
    /// formatting characters (``CleanText``).
    case text(TextRules)
    /// A boolean.
    case flag
    /// A list of numeric ids, at most ``ValidationProfile/maxArrayCount`` of them.
    case ids
    /// Free-form JSON members, at most 50, their texts clean.
    case object
    /// One of `allowed`, as text.
    case choice([String])
    /// The password: lives in ``NewUser/password``, never in the profile or a document.
    case secret
}

/// The rules of a text field beyond clean characters.
public struct TextRules: Sendable, Equatable {
    /// Whether the zero-width joiners that names in many scripts need are allowed.
    public var allowJoiners: Bool
    /// Whether ``ValidationProfile/maxLength`` applies.
    public var limited: Bool

    public init(allowJoiners: Bool = false, limited: Bool = true) {
        self.allowJoiners = allowJoiners
        self.limited = limited
    }

    /// Names: joiners allowed, length limited.
    public static let name = TextRules(allowJoiners: true)
    /// Identifiers, addresses, codes: no joiners, length limited.
    public static let plain = TextRules()
    /// Codes whose own format rule bounds them (phone numbers, languages, dates).
    public static let code = TextRules(limited: false)
}

/// How an update that sends a field changes it.
public enum FieldMerge: Sendable, Equatable {
    /// The value sent replaces the stored one.
    case replace
    /// Set once: a stored value never changes (a user's tenant).
    case fixed
    /// One of the name fields, merged together by the name rule of ``UserProfile/merging(_:fields:)``.
    case name
}

/// The value of one field, whatever its kind.
public enum FieldValue: Sendable, Equatable {
    case text(String)
    case flag(Bool)
    case ids([Int64])
    case object([String: JSONValue])

    /// The value as JSON, as documents store it.
    public var json: JSONValue {
        switch self {
        case .text(let text): .string(text)
        case .flag(let flag): .bool(flag)
        case .ids(let ids): .array(ids.map(JSONValue.integer))
        case .object(let members): .object(members)
        }
    }

    /// The value of a field of `kind` stored as `json`, or `nil` when `json` is not one.
    public init?(json: JSONValue, kind: FieldKind) {
        switch (kind, json) {
        case (.text, .string(let text)), (.choice, .string(let text)): self = .text(text)
        case (.flag, .bool(let flag)): self = .flag(flag)
        case (.object, .object(let members)): self = .object(members)
        case (.ids, .array(let items)):
            var ids: [Int64] = []
            for item in items {
                guard case .integer(let id) = item else { return nil }
                ids.append(id)
            }
            self = .ids(ids)
        default: return nil
        }
    }

    public var text: String? {
        if case .text(let text) = self { return text }
        return nil
    }

    public var flag: Bool? {
        if case .flag(let flag) = self { return flag }
        return nil
    }

    /// Whether the value counts as given: empty texts, lists and objects do not.
    var isPresent: Bool {
        switch self {
        case .text(let text): !text.isEmpty
        case .flag: true
        case .ids(let ids): !ids.isEmpty
        case .object: true
        }
    }
}

/// Where a field's value lives in a ``UserProfile``: one of its stored properties, read and
/// written by a pair of closures, or its extension data.
enum FieldSlot: Sendable {
    case text(@Sendable (UserProfile) -> String?, @Sendable (inout UserProfile, String?) -> Void)
    case flag(@Sendable (UserProfile) -> Bool?, @Sendable (inout UserProfile, Bool?) -> Void)
    case ids(@Sendable (UserProfile) -> [Int64]?, @Sendable (inout UserProfile, [Int64]?) -> Void)
    case object(@Sendable (UserProfile) -> [String: JSONValue]?, @Sendable (inout UserProfile, [String: JSONValue]?) -> Void)
    /// ``UserProfile/extra`` at the field's storage path.
    case extra
    /// ``NewUser/password``.
    case password
}
