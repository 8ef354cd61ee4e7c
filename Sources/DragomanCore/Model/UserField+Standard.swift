/// The canonical fields every dialect may carry: the one table of the canonical model.
///
/// Each line declares a field: its name, its kind and rules, where it lives (a stored property
/// of ``UserProfile``, read and written by the two closures, which the compiler makes direct
/// accesses: key paths were measured a fifth slower on a create) and, when it is not a member of
/// its own name, where the stored document keeps it. Adding a field with a stored property is a property in
/// ``UserProfile`` and a line here (listed in ``standard``); a field without one is a single
/// ``UserField/extension(_:_:storage:merge:)`` declaration. Fields that only one dialect knows
/// are declared in that dialect's folder, never here.
extension UserField {
    public static let givenName = UserField("givenName", .text(.name), merge: .name, slot: .text({ $0.givenName }, { $0.givenName = $1 }))
    public static let familyName = UserField("familyName", .text(.name), merge: .name, slot: .text({ $0.familyName }, { $0.familyName = $1 }))
    public static let displayName = UserField("displayName", .text(.name), merge: .name, slot: .text({ $0.displayName }, { $0.displayName = $1 }))
    public static let userName = UserField("userName", .text(.plain), slot: .text({ $0.userName }, { $0.userName = $1 }))
    public static let email = UserField("email", .text(.plain), slot: .text({ $0.email }, { $0.email = $1 }))
    /// The mobile number, in E.164 form once validated.
    public static let phone = UserField("phone", .text(.code), slot: .text({ $0.phone }, { $0.phone = $1 }))
    public static let password = UserField("password", .secret, slot: .password)
    public static let country = UserField("country", .text(.name), slot: .text({ $0.country }, { $0.country = $1 }))
    public static let state = UserField("state", .text(.name), slot: .text({ $0.state }, { $0.state = $1 }))
    /// ISO 639-1 language code, lowercase.
    public static let language = UserField("language", .text(.code), slot: .text({ $0.language }, { $0.language = $1 }))
    public static let active = UserField("active", .flag, slot: .flag({ $0.active }, { $0.active = $1 }))
    public static let emailSubscription = UserField(
        "emailSubscription", .flag, storage: ["channels", "email"], slot: .flag({ $0.channels.email }, { $0.channels.email = $1 }))
    public static let smsSubscription = UserField(
        "smsSubscription", .flag, storage: ["channels", "sms"], slot: .flag({ $0.channels.sms }, { $0.channels.sms = $1 }))
    public static let voiceSubscription = UserField(
        "voiceSubscription", .flag, storage: ["channels", "voice"], slot: .flag({ $0.channels.voice }, { $0.channels.voice = $1 }))
    public static let whatsappSubscription = UserField(
        "whatsappSubscription", .flag, storage: ["channels", "whatsapp"], slot: .flag({ $0.channels.whatsapp }, { $0.channels.whatsapp = $1 }))
    public static let permissionIDs = UserField("permissionIDs", .ids, slot: .ids({ $0.permissionIDs }, { $0.permissionIDs = $1 }))
    public static let groupIDs = UserField("groupIDs", .ids, slot: .ids({ $0.groupIDs }, { $0.groupIDs = $1 }))
    public static let appIDs = UserField("appIDs", .ids, slot: .ids({ $0.appIDs }, { $0.appIDs = $1 }))
    public static let allowAllApps = UserField("allowAllApps", .flag, slot: .flag({ $0.allowAllApps }, { $0.allowAllApps = $1 }))
    /// A national identity: personal number, organisation number and the like.
    public static let identity = UserField("identity", .text(.plain), slot: .text({ $0.identity }, { $0.identity = $1 }))
    public static let metadata = UserField("metadata", .object, slot: .object({ $0.metadata }, { $0.metadata = $1 }))
    /// When the user was last active, as the caller sent it (its format is the dialect's rule).
    public static let lastActiveDate = UserField("lastActiveDate", .text(.code), slot: .text({ $0.lastActiveDate }, { $0.lastActiveDate = $1 }))
    /// The tenant the user belongs to (a service, an organisation), in the form its dialect
    /// gives it; set once. Documents keep it where they kept it before the field table
    /// (`service.serviceID`), so stored users read back unchanged.
    public static let tenant = UserField("tenant", .text(.code), storage: ["service", "serviceID"], merge: .fixed, slot: .extra)
    /// The user's id in the system that provisions it (an identity provider's id for the
    /// user): kept as sent, compared exactly. Declared without a stored property.
    public static let externalId = UserField.extension("externalId", .text(.plain))

    /// Every standard field, in the order errors list them.
    public static let standard: [UserField] = [
        .givenName, .familyName, .displayName, .userName, .email, .phone, .password, .country, .state, .language, .active,
        .emailSubscription, .smsSubscription, .voiceSubscription, .whatsappSubscription, .permissionIDs, .groupIDs, .appIDs,
        .allowAllApps, .identity, .metadata, .lastActiveDate, .tenant, .externalId,
    ]
}

/// The fields a gateway knows: the standard ones and those its dialects add, in order, each
/// once. The validator, forwarding and the dialects' reverse mappings iterate it.
public struct FieldTable: Sendable {
    public private(set) var fields: [UserField]

    public init(_ fields: [UserField] = UserField.standard) {
        var seen = Set<String>()
        self.fields = fields.filter { seen.insert($0.rawValue).inserted }
    }

    /// The standard fields only.
    public static let standard = FieldTable()

    /// This table with `more` after its own fields (a field already listed is kept once).
    public func adding(_ more: [UserField]) -> FieldTable { FieldTable(fields + more) }

    /// The field named `name`, or `nil`.
    public func field(named name: String) -> UserField? { fields.first { $0.rawValue == name } }
}
