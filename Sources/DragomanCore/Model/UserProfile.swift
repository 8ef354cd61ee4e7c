/// What a user is, as every dialect can carry it: names, contact details, locale, channel
/// opt-ins, access rights and free-form data. Every property is optional; which ones a create
/// must carry is decided by a ``ValidationProfile``.
public struct UserProfile: Sendable, Equatable, Codable {
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
    /// When the user was last active, as the caller sent it (Volt MX uses `MM/dd/yyyy`).
    public var lastActiveDate: String?
    /// Secure-messaging service options; present for users that belong to a service.
    public var service: ServiceOptions?

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
        service: ServiceOptions? = nil
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
        self.service = service
    }
}
