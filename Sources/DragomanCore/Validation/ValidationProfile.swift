/// The keys a user can be unique by within a realm.
public enum UniqueKey: String, Sendable, Hashable, CaseIterable {
    case email
    case userName
    case phone
}

/// How a phone number must look.
public enum PhoneRule: Sendable, Equatable {
    /// E.164: `+`, a non-zero digit, then 7 to 14 more digits.
    case e164
    /// Volt MX: an optional `+`, a 1–3 digit country code, then exactly ten digits; a missing `+`
    /// is added.
    case countryCodeAndTenDigits
}

/// What a create must satisfy. Each dialect declares one: the fields its vendor requires, its
/// phone rule, its unique keys, its allowed values. The canonical validator applies it.
public struct ValidationProfile: Sendable, Equatable {
    public var required: Set<UserField>
    public var phoneRule: PhoneRule
    /// Whether a country of USA / United States makes `state` required.
    public var stateRequiredInUSA: Bool
    /// Keys that must not already belong to another user of the same realm.
    public var uniqueKeys: [UniqueKey]
    /// Allowed language codes; `nil` allows any two-letter lowercase code.
    public var languages: [String]?
    /// Whether passwords may contain white space.
    public var passwordAllowsWhitespace: Bool
    /// The longest string any field may hold.
    public var maxLength: Int
    /// The most entries an id array may hold.
    public var maxArrayCount: Int

    public init(
        required: Set<UserField>,
        phoneRule: PhoneRule = .e164,
        stateRequiredInUSA: Bool = false,
        uniqueKeys: [UniqueKey] = [.email],
        languages: [String]? = nil,
        passwordAllowsWhitespace: Bool = true,
        maxLength: Int = 255,
        maxArrayCount: Int = 1000
    ) {
        self.required = required
        self.phoneRule = phoneRule
        self.stateRequiredInUSA = stateRequiredInUSA
        self.uniqueKeys = uniqueKeys
        self.languages = languages
        self.passwordAllowsWhitespace = passwordAllowsWhitespace
        self.maxLength = maxLength
        self.maxArrayCount = maxArrayCount
    }
}
