/// The canonical fields every dialect may carry: the one table of the canonical model.
///
/// Each line declares a field: its name, its kind and rules, where it lives (a stored property
/// of ``UserProfile``, by key path) and, when it is not a member of its own name, where the
/// stored document keeps it. Adding a field with a stored property is a property in
/// ``UserProfile`` and a line here (listed in ``standard``); a field without one is a single
/// ``UserField/extension(_:_:storage:merge:)`` declaration. Fields that only one dialect knows
/// are declared in that dialect's folder, never here.
extension UserField {
    public static let givenName = UserField("givenName", .text(.name), merge: .name, slot: .text(\.givenName))
    public static let familyName = UserField("familyName", .text(.name), merge: .name, slot: .text(\.familyName))
    public static let displayName = UserField("displayName", .text(.name), merge: .name, slot: .text(\.displayName))
    public static let userName = UserField("userName", .text(.plain), slot: .text(\.userName))
    public static let email = UserField("email", .text(.plain), slot: .text(\.email))
    /// The mobile number, in E.164 form once validated.
    public static let phone = UserField("phone", .text(.code), slot: .text(\.phone))
    public static let password = UserField("password", .secret, slot: .password)
    public static let country = UserField("country", .text(.name), slot: .text(\.country))
    public static let state = UserField("state", .text(.name), slot: .text(\.state))
    /// ISO 639-1 language code, lowercase.
    public static let language = UserField("language", .text(.code), slot: .text(\.language))
    public static let active = UserField("active", .flag, slot: .flag(\.active))
    public static let emailSubscription = UserField("emailSubscription", .flag, storage: ["channels", "email"], slot: .flag(\.channels.email))
    public static let smsSubscription = UserField("smsSubscription", .flag, storage: ["channels", "sms"], slot: .flag(\.channels.sms))
    public static let voiceSubscription = UserField("voiceSubscription", .flag, storage: ["channels", "voice"], slot: .flag(\.channels.voice))
    public static let whatsappSubscription = UserField("whatsappSubscription", .flag, storage: ["channels", "whatsapp"], slot: .flag(\.channels.whatsapp))
    public static let permissionIDs = UserField("permissionIDs", .ids, slot: .ids(\.permissionIDs))
    public static let groupIDs = UserField("groupIDs", .ids, slot: .ids(\.groupIDs))
    public static let appIDs = UserField("appIDs", .ids, slot: .ids(\.appIDs))
    public static let allowAllApps = UserField("allowAllApps", .flag, slot: .flag(\.allowAllApps))
    /// A national identity: personal number, organisation number and the like.
    public static let identity = UserField("identity", .text(.plain), slot: .text(\.identity))
    public static let metadata = UserField("metadata", .object, slot: .object(\.metadata))
    /// When the user was last active, as the caller sent it (its format is the dialect's rule).
    public static let lastActiveDate = UserField("lastActiveDate", .text(.code), slot: .text(\.lastActiveDate))
    /// The tenant the user belongs to (a service, an organisation), in the form its dialect
    /// gives it; set once. Documents keep it where they kept it before the field table
    /// (`service.serviceID`), so stored users read back unchanged.
    public static let tenant = UserField("tenant", .text(.code), storage: ["service", "serviceID"], merge: .fixed, slot: .extra)

    /// Every standard field, in the order errors list them.
    public static let standard: [UserField] = [
        .givenName, .familyName, .displayName, .userName, .email, .phone, .password, .country, .state, .language, .active,
        .emailSubscription, .smsSubscription, .voiceSubscription, .whatsappSubscription, .permissionIDs, .groupIDs, .appIDs,
        .allowAllApps, .identity, .metadata, .lastActiveDate, .tenant,
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
