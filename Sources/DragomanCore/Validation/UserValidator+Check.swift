/// The working state of one validation: the violations so far and the rules to apply.
struct Check {
    var violations: [FieldViolation]
    let profile: ValidationProfile
    let alreadyFailed: Set<FieldViolation.Field>

    init(violations: [FieldViolation], profile: ValidationProfile) {
        self.violations = violations
        self.profile = profile
        self.alreadyFailed = Set(violations.map(\.field))
    }

    mutating func report(_ field: UserField, _ rule: FieldViolation.Rule) {
        guard !alreadyFailed.contains(.canonical(field)) else { return }
        guard !violations.contains(where: { $0.field == .canonical(field) }) else { return }
        violations.append(FieldViolation(field, rule))
    }

    /// Trims, puts every text in NFC and treats empty strings as absent.
    func normalise(_ profile: inout UserProfile, fields: FieldTable) {
        for field in fields.fields {
            switch field.kind {
            case .text, .choice:
                guard let text = profile.text(field) else { continue }
                let clean = CleanText.normalised(text).trimmingWhitespace()
                if clean.isEmpty { profile[field] = nil } else if clean != text { profile[field] = .text(clean) }
            default: continue
            }
        }
    }

    /// Refuses control, bidi and invisible format characters in every text field and in
    /// free-form objects; names keep the joiners their scripts need.
    mutating func characters(_ user: UserProfile, fields: FieldTable) {
        for field in fields.fields {
            let found: Unicode.Scalar?
            switch (field.kind, user[field]) {
            case (.text(let rules), .text(let text)?): found = CleanText.forbidden(in: text, allowJoiners: rules.allowJoiners)
            case (.choice, .text(let text)?): found = CleanText.forbidden(in: text)
            case (.object, .object(let members)?): found = Self.forbidden(in: .object(members))
            default: found = nil
            }
            if let scalar = found {
                report(field, .invalidFormat(expected: "text without control or invisible formatting characters (found \(CleanText.describe(scalar)))"))
            }
        }
    }

    private static func forbidden(in value: JSONValue) -> Unicode.Scalar? {
        switch value {
        case .string(let text): return CleanText.forbidden(in: text, allowJoiners: true)
        case .array(let items): return items.lazy.compactMap(forbidden).first
        case .object(let members):
            for (name, member) in members {
                if let scalar = CleanText.forbidden(in: name) ?? forbidden(in: member) { return scalar }
            }
            return nil
        default: return nil
        }
    }

    mutating func requireFields(_ user: NewUser, fields: FieldTable) {
        for field in fields.fields where profile.required.contains(field) {
            if !user.has(field) { report(field, .required) }
        }
        // A required field the table does not list (a dialect's own, not registered) is still required.
        for field in profile.required.sorted(by: { $0.rawValue < $1.rawValue }) where fields.field(named: field.rawValue) == nil {
            if !user.has(field) { report(field, .required) }
        }
    }

    mutating func lengths(_ user: UserProfile, fields: FieldTable) {
        for field in fields.fields {
            guard case .text(let rules) = field.kind, rules.limited, let text = user.text(field) else { continue }
            if isTooLong(text) { report(field, .tooLong(max: profile.maxLength)) }
        }
    }

    /// Whether `text` has more characters than the profile allows; a text of no more bytes
    /// than that cannot, and is not counted.
    func isTooLong(_ text: String) -> Bool {
        text.utf8.count > profile.maxLength && text.count > profile.maxLength
    }

    mutating func email(_ email: String?) {
        guard let email, !isTooLong(email) else { return }
        if !EmailAddress.isValid(email) { report(.email, .invalidFormat(expected: "an email address")) }
    }

    mutating func phone(_ phone: String?) -> String? {
        guard let phone else { return nil }
        switch profile.phoneRule.normalise(phone) {
        case .some(let normalised): return normalised
        case .none:
            report(.phone, .invalidFormat(expected: profile.phoneRule.expected))
            return phone
        }
    }

    mutating func language(_ language: String?) {
        guard let language else { return }
        if let allowed = profile.languages {
            if !allowed.contains(language) { report(.language, .notAllowed(allowed: allowed)) }
        } else if language.count != 2 || !language.allSatisfy({ $0.isASCII && $0.isLowercase }) {
            report(.language, .invalidFormat(expected: "a two-letter lowercase ISO 639-1 code"))
        }
    }

    mutating func password(_ password: Secret?) {
        guard let text = password?.exposedValue, !text.isEmpty else { return }
        if text.utf8.count > PasswordPolicy.maxBytes {
            report(.password, .tooLong(max: PasswordPolicy.maxBytes))
        } else if !profile.passwordAllowsWhitespace, text.contains(where: \.isWhitespace) {
            report(.password, .invalidFormat(expected: "no spaces"))
        }
    }

    /// Id lists within the profile's count, free-form objects within 50 members, choices
    /// among their allowed values.
    mutating func kinds(_ user: UserProfile, fields: FieldTable) {
        for field in fields.fields {
            switch (field.kind, user[field]) {
            case (.ids, .ids(let ids)?) where ids.count > profile.maxArrayCount: report(field, .tooMany(max: profile.maxArrayCount))
            case (.object, .object(let members)?) where members.count > 50: report(field, .tooMany(max: 50))
            case (.choice(let allowed), .text(let text)?) where !allowed.contains(text): report(field, .notAllowed(allowed: allowed))
            default: continue
            }
        }
    }

    /// The dialect's own rules, in order.
    mutating func rules(_ user: inout NewUser) {
        for rule in profile.rules {
            for violation in rule.check(&user) {
                guard !alreadyFailed.contains(violation.field), !violations.contains(where: { $0.field == violation.field }) else { continue }
                violations.append(violation)
            }
        }
    }
}

extension NewUser {
    /// Whether the create carries a value for `field` (an empty text or list is none).
    public func has(_ field: UserField) -> Bool {
        if field.kind == .secret { return !(password?.exposedValue.isEmpty ?? true) }
        return profile[field]?.isPresent ?? false
    }

    /// Removes the value of `field` (used when a forwarding route drops a field its backend
    /// cannot carry).
    public mutating func remove(_ field: UserField) {
        if field.kind == .secret { password = nil } else { profile[field] = nil }
    }
}
