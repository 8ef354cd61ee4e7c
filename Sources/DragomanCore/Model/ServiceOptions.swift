/// Options a user holds in a secure-messaging service (the DeliverySlip CCC model): which service,
/// which group, and how the user's mail is secured.
public struct ServiceOptions: Sendable, Equatable, Codable {
    /// The kind of group a user belongs to.
    public enum GroupType: String, Sendable, Codable, CaseIterable {
        case guest = "Guest"
        case professional = "Professional"
    }

    /// When the user's outgoing mail is sent secured by default.
    public enum DefaultSecure: String, Sendable, Codable, CaseIterable {
        case never = "Never"
        case basedOnKeywords = "BasedOnKeywords"
        case always = "Always"
    }

    /// Which of the user's mail is checked against the blacklist.
    public enum BlacklistMode: String, Sendable, Codable, CaseIterable {
        case never = "Never"
        case secureOnly = "SecureOnly"
        case secureAndBasic = "SecureAndBasic"
    }

    /// The service (tenant) the user belongs to, as a lowercase 32-digit hex GUID.
    public var serviceID: String
    public var preRegister: Bool?
    public var skipRegistrationConfirmation: Bool?
    /// The group, as a lowercase 32-digit hex GUID.
    public var groupGUID: String?
    public var groupType: GroupType?
    public var enableCampaigns: Bool?
    public var enableESignatures: Bool?
    public var defaultSecure: DefaultSecure?
    public var blacklistMode: BlacklistMode?

    public init(
        serviceID: String,
        preRegister: Bool? = nil,
        skipRegistrationConfirmation: Bool? = nil,
        groupGUID: String? = nil,
        groupType: GroupType? = nil,
        enableCampaigns: Bool? = nil,
        enableESignatures: Bool? = nil,
        defaultSecure: DefaultSecure? = nil,
        blacklistMode: BlacklistMode? = nil
    ) {
        self.serviceID = serviceID
        self.preRegister = preRegister
        self.skipRegistrationConfirmation = skipRegistrationConfirmation
        self.groupGUID = groupGUID
        self.groupType = groupType
        self.enableCampaigns = enableCampaigns
        self.enableESignatures = enableESignatures
        self.defaultSecure = defaultSecure
        self.blacklistMode = blacklistMode
    }
}
