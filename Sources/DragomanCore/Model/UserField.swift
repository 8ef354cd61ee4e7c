/// The fields of the canonical user, named once for validation and error reporting.
///
/// Dialects translate a `UserField` to their own wire name when they report an error, so the core
/// never needs to know a vendor's field names.
public enum UserField: String, Sendable, Hashable, CaseIterable {
    case givenName
    case familyName
    case displayName
    case userName
    case email
    case phone
    case password
    case country
    case state
    case language
    case active
    case emailSubscription
    case smsSubscription
    case voiceSubscription
    case whatsappSubscription
    case permissionIDs
    case groupIDs
    case appIDs
    case allowAllApps
    case identity
    case metadata
    case lastActiveDate
    case serviceID
    case preRegister
    case skipRegistrationConfirmation
    case groupGUID
    case groupType
    case enableCampaigns
    case enableESignatures
    case defaultSecure
    case blacklistMode
}
