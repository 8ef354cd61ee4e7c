/// What a user is, as every dialect can carry it: names, contact details, locale, channel
/// opt-ins, access rights and free-form data. Every property is optional; which ones a create
/// must carry is decided by a ``ValidationProfile``.
///
/// The standard fields (``UserField/standard``) are stored properties; fields declared with
/// ``UserField/extension(_:_:storage:merge:)`` (a dialect's own data, or a field added to the
/// canonical model without a property) live in ``extra``. ``subscript(_:)`` reads and writes
/// any field by its declaration.
public struct UserProfile: Sendable, Equatable {
    public var givenName: String?
    public var familyName: String?
    public var displayName: String?
    public var userName: String?
    public var email: String?
    /// The mobile number in E.164 form (`+` then digits).
    public var phone: String?
    public var country: String?
    public var state: String?
    /// ISO 639-1 language code, lowercase.
    public var language: String?
    public var active: Bool?
    public var channels: ChannelSubscriptions
    public var permissionIDs: [Int64]?
    public var groupIDs: [Int64]?
    public var appIDs: [Int64]?
    public var allowAllApps: Bool?
    /// A national identity: personal number, organisation number and the like.
    public var identity: String?
    public var metadata: [String: JSONValue]?
    /// When the user was last active, as the caller sent it (its form is the dialect's rule).
    public var lastActiveDate: String?
    /// Extension data: the stored document's members that no stored property holds, by member
    /// name, as JSON. Fields declared with ``UserField/extension(_:_:storage:merge:)`` live
    /// here at their storage path; members no field of this gateway declares are kept as they
    /// are, so a user written by a gateway that knows more fields loses nothing here.
    public var extra: [String: JSONValue]

    public init(
        givenName: String? = nil,
        familyName: String? = nil,
        displayName: String? = nil,
        userName: String? = nil,
        email: String? = nil,
        phone: String? = nil,
        country: String? = nil,
        state: String? = nil,
        language: String? = nil,
        active: Bool? = nil,
        channels: ChannelSubscriptions = .init(),
        permissionIDs: [Int64]? = nil,
        groupIDs: [Int64]? = nil,
        appIDs: [Int64]? = nil,
        allowAllApps: Bool? = nil,
        identity: String? = nil,
        metadata: [String: JSONValue]? = nil,
        lastActiveDate: String? = nil,
        extra: [String: JSONValue] = [:]
    ) {
        self.givenName = givenName
        self.familyName = familyName
        self.displayName = displayName
        self.userName = userName
        self.email = email
        self.phone = phone
        self.country = country
        self.state = state
        self.language = language
        self.active = active
        self.channels = channels
        self.permissionIDs = permissionIDs
        self.groupIDs = groupIDs
        self.appIDs = appIDs
        self.allowAllApps = allowAllApps
        self.identity = identity
        self.metadata = metadata
        self.lastActiveDate = lastActiveDate
        self.extra = extra
    }
}

extension UserProfile {
    /// The value of `field`, whatever its kind; setting `nil` removes it. The password is not
    /// part of a profile: it reads `nil` and cannot be set here.
    public subscript(field: UserField) -> FieldValue? {
        get {
            switch field.slot {
            case .text(let get, _): get(self).map(FieldValue.text)
            case .flag(let get, _): get(self).map(FieldValue.flag)
            case .ids(let get, _): get(self).map(FieldValue.ids)
            case .object(let get, _): get(self).map(FieldValue.object)
            case .extra: extraValue(at: field.storage[...]).flatMap { FieldValue(json: $0, kind: field.kind) }
            case .password: nil
            }
        }
        set {
            switch field.slot {
            case .text(_, let set): set(&self, newValue?.text)
            case .flag(_, let set): set(&self, newValue?.flag)
            case .ids(_, let set):
                if case .ids(let ids) = newValue { set(&self, ids) } else { set(&self, nil) }
            case .object(_, let set):
                if case .object(let members) = newValue { set(&self, members) } else { set(&self, nil) }
            case .extra: setExtraValue(newValue?.json, at: field.storage[...])
            case .password: break
            }
        }
    }

    /// The text of `field` without making a ``FieldValue`` (the validator's passes read text).
    public func text(_ field: UserField) -> String? {
        if case .text(let get, _) = field.slot { return get(self) }
        return self[field]?.text
    }

    /// The boolean of `field`, or `nil`.
    public func flag(_ field: UserField) -> Bool? { self[field]?.flag }

    private func extraValue(at path: ArraySlice<String>) -> JSONValue? {
        guard let first = path.first, var value = extra[first] else { return nil }
        for key in path.dropFirst() {
            guard case .object(let members) = value, let member = members[key] else { return nil }
            value = member
        }
        return value == .null ? nil : value
    }

    private mutating func setExtraValue(_ value: JSONValue?, at path: ArraySlice<String>) {
        guard let first = path.first else { return }
        extra[first] = Self.setting(value, at: path.dropFirst(), in: extra[first])
    }

    /// `container` with `value` at `path` (`nil` removes it); an object left empty is removed.
    private static func setting(_ value: JSONValue?, at path: ArraySlice<String>, in container: JSONValue?) -> JSONValue? {
        guard let key = path.first else { return value }
        var members: [String: JSONValue] = [:]
        if case .object(let existing)? = container { members = existing }
        members[key] = setting(value, at: path.dropFirst(), in: members[key])
        return members.isEmpty ? nil : .object(members)
    }
}
