/// The keys a user can be unique by within a realm.
public enum UniqueKey: String, Sendable, Hashable, CaseIterable {
    case email
    case userName
    case phone
}

/// How a phone number must look, and the one form it is kept in.
public struct PhoneRule: Sendable, Equatable {
    /// The rule's name, for equality and logs.
    public var name: String
    /// What the rule asks for, in words, for errors.
    public var expected: String
    /// The number in the form it is kept in (E.164), or `nil` when it breaks the rule.
    public var normalise: @Sendable (String) -> String?

    public init(name: String, expected: String, normalise: @escaping @Sendable (String) -> String?) {
        self.name = name
        self.expected = expected
        self.normalise = normalise
    }

    /// E.164: `+`, a non-zero digit, then 7 to 14 more digits.
    public static let e164 = PhoneRule(name: "e164", expected: "an E.164 number such as +15551234567") { text in
        guard text.hasPrefix("+"), let digits = PhoneNumber.digits(text), (8...15).contains(digits.count), digits.first != "0" else { return nil }
        return "+" + digits
    }

    public static func == (lhs: PhoneRule, rhs: PhoneRule) -> Bool { lhs.name == rhs.name }
}

/// A rule of a dialect's own, beside the field table's: it may normalise the user it checks
/// and returns what it found wrong. Fields that already failed are not reported twice.
public struct ValidationRule: Sendable, Equatable {
    /// The rule's name, for equality and logs.
    public var name: String
    public var check: @Sendable (inout NewUser) -> [FieldViolation]

    public init(_ name: String, check: @escaping @Sendable (inout NewUser) -> [FieldViolation]) {
        self.name = name
        self.check = check
    }

    public static func == (lhs: ValidationRule, rhs: ValidationRule) -> Bool { lhs.name == rhs.name }
}

/// What a create must satisfy. Each dialect declares one: the fields its vendor requires, its
/// phone rule, its unique keys, its allowed values, and rules of its own. The canonical
/// validator applies it, with the rules every field's declaration carries (``UserField``).
public struct ValidationProfile: Sendable, Equatable {
    public var required: Set<UserField>
    public var phoneRule: PhoneRule
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
    /// The dialect's own rules, applied in order after the field table's.
    public var rules: [ValidationRule]

    public init(
        required: Set<UserField>,
        phoneRule: PhoneRule = .e164,
        uniqueKeys: [UniqueKey] = [.email],
        languages: [String]? = nil,
        passwordAllowsWhitespace: Bool = true,
        maxLength: Int = 255,
        maxArrayCount: Int = 1000,
        rules: [ValidationRule] = []
    ) {
        self.required = required
        self.phoneRule = phoneRule
        self.uniqueKeys = uniqueKeys
        self.languages = languages
        self.passwordAllowsWhitespace = passwordAllowsWhitespace
        self.maxLength = maxLength
        self.maxArrayCount = maxArrayCount
        self.rules = rules
    }
}
