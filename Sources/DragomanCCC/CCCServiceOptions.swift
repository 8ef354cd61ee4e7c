import DragomanCore
import DragomanDialectKit

/// The fields only the CCC dialect knows: a service user's registration, group and secure-mail
/// options, declared as the dialect's own extension of the canonical user. They are stored with
/// the user (in the document's `service` object, beside the tenant, where documents have always
/// kept them) and no other dialect reads them.
extension UserField {
    static let preRegister = UserField.extension("preRegister", .flag, storage: ["service", "preRegister"])
    static let skipRegistrationConfirmation = UserField.extension("skipRegistrationConfirmation", .flag, storage: ["service", "skipRegistrationConfirmation"])
    static let groupGUID = UserField.extension("groupGUID", .text(.code), storage: ["service", "groupGUID"])
    static let groupType = UserField.extension("groupType", .choice(ServiceOptions.GroupType.allCases.map(\.rawValue)), storage: ["service", "groupType"])
    static let enableCampaigns = UserField.extension("enableCampaigns", .flag, storage: ["service", "enableCampaigns"])
    static let enableESignatures = UserField.extension("enableESignatures", .flag, storage: ["service", "enableESignatures"])
    static let defaultSecure = UserField.extension(
        "defaultSecure", .choice(ServiceOptions.DefaultSecure.allCases.map(\.rawValue)), storage: ["service", "defaultSecure"])
    static let blacklistMode = UserField.extension(
        "blacklistMode", .choice(ServiceOptions.BlacklistMode.allCases.map(\.rawValue)), storage: ["service", "blacklistMode"])

    /// The CCC dialect's own fields, in the order errors list them (its registration's `fields`).
    static let serviceOptions: [UserField] = [
        .preRegister, .skipRegistrationConfirmation, .groupGUID, .groupType, .enableCampaigns, .enableESignatures, .defaultSecure, .blacklistMode,
    ]
}

/// Options a user holds in a secure-messaging service (the CCC model), as the dialect's typed
/// view of its own fields: which service (the canonical tenant), which group, and how the
/// user's mail is secured.
struct ServiceOptions: Sendable, Equatable {
    /// The kind of group a user belongs to.
    enum GroupType: String, Sendable, CaseIterable {
        case guest = "Guest"
        case professional = "Professional"
    }

    /// When the user's outgoing mail is sent secured by default.
    enum DefaultSecure: String, Sendable, CaseIterable {
        case never = "Never"
        case basedOnKeywords = "BasedOnKeywords"
        case always = "Always"
    }

    /// Which of the user's mail is checked against the blacklist.
    enum BlacklistMode: String, Sendable, CaseIterable {
        case never = "Never"
        case secureOnly = "SecureOnly"
        case secureAndBasic = "SecureAndBasic"
    }

    /// The service (tenant) the user belongs to, as a lowercase 32-digit hex GUID.
    var serviceID: String
    var preRegister: Bool?
    var skipRegistrationConfirmation: Bool?
    /// The group, as a lowercase 32-digit hex GUID.
    var groupGUID: String?
    var groupType: GroupType?
    var enableCampaigns: Bool?
    var enableESignatures: Bool?
    var defaultSecure: DefaultSecure?
    var blacklistMode: BlacklistMode?

    init(
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

extension UserProfile {
    /// The user's service options, read from and written to the tenant and the CCC fields;
    /// `nil` when the user has none of them (a user created through another dialect).
    var service: ServiceOptions? {
        get {
            let tenant = text(.tenant)
            guard tenant != nil || UserField.serviceOptions.contains(where: { self[$0] != nil }) else { return nil }
            return ServiceOptions(
                serviceID: tenant ?? "",
                preRegister: flag(.preRegister),
                skipRegistrationConfirmation: flag(.skipRegistrationConfirmation),
                groupGUID: text(.groupGUID),
                groupType: text(.groupType).flatMap(ServiceOptions.GroupType.init(rawValue:)),
                enableCampaigns: flag(.enableCampaigns),
                enableESignatures: flag(.enableESignatures),
                defaultSecure: text(.defaultSecure).flatMap(ServiceOptions.DefaultSecure.init(rawValue:)),
                blacklistMode: text(.blacklistMode).flatMap(ServiceOptions.BlacklistMode.init(rawValue:))
            )
        }
        set {
            self[.tenant] = newValue.flatMap { $0.serviceID.isEmpty ? nil : .text($0.serviceID) }
            self[.preRegister] = newValue?.preRegister.map(FieldValue.flag)
            self[.skipRegistrationConfirmation] = newValue?.skipRegistrationConfirmation.map(FieldValue.flag)
            self[.groupGUID] = newValue?.groupGUID.map(FieldValue.text)
            self[.groupType] = newValue?.groupType.map { .text($0.rawValue) }
            self[.enableCampaigns] = newValue?.enableCampaigns.map(FieldValue.flag)
            self[.enableESignatures] = newValue?.enableESignatures.map(FieldValue.flag)
            self[.defaultSecure] = newValue?.defaultSecure.map { .text($0.rawValue) }
            self[.blacklistMode] = newValue?.blacklistMode.map { .text($0.rawValue) }
        }
    }
}

/// The secure-messaging services the gateway knows (`dialects.deliveryslip-ccc.services`), with
/// their user groups. When it is empty, any service id and any group id is accepted and a
/// group's type cannot be checked.
struct ServiceDirectory: Sendable, Equatable {
    /// Service id (32 lowercase hex digits) → group id (same form) → group type.
    var services: [String: [String: ServiceOptions.GroupType]]

    init(services: [String: [String: ServiceOptions.GroupType]] = [:]) {
        self.services = services
    }

    /// Whether only listed services are accepted.
    var isRestricted: Bool { !services.isEmpty }

    /// The CCC rule this directory contributes to validation: a listed service, a group of
    /// it, a group type that matches the group's (filled in when the caller gave none).
    var rule: ValidationRule {
        ValidationRule("deliveryslip-ccc.services") { user in
            guard isRestricted, var options = user.profile.service else { return [] }
            guard let groups = services[options.serviceID] else { return [FieldViolation(.tenant, .notFound)] }
            guard let groupID = options.groupGUID else { return [] }
            guard let groupType = groups[groupID] else { return [FieldViolation(.groupGUID, .notFound)] }
            if let requested = options.groupType, requested != groupType {
                return [FieldViolation(.groupType, .conflict(reason: "the group's type is \(groupType.rawValue)"))]
            }
            options.groupType = groupType
            user.profile.service = options
            return []
        }
    }
}
