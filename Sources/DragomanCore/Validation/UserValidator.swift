/// Validates a canonical create against a dialect's ``ValidationProfile`` and the rules each
/// field's declaration carries (``UserField``), and normalises it: puts text in NFC
/// (``CleanText``), trims strings, treats empty strings as absent, puts phone numbers in the
/// form the phone rule keeps, and lets the dialect's own rules normalise what they own.
///
/// Every failing field is reported, not only the first; fields that already failed while the
/// dialect decoded them are not reported twice.
public struct UserValidator: Sendable {
    /// The fields checked: the standard ones and those the gateway's dialects declare.
    public var fields: FieldTable

    public init(fields: FieldTable = .standard) {
        self.fields = fields
    }

    /// Validates and normalises `draft`.
    /// - Parameters:
    ///   - draft: the create as the dialect decoded it.
    ///   - profile: the dialect's rules.
    ///   - prior: violations the dialect already found; their fields are not checked again.
    /// - Returns: the normalised user, or every violation found (`prior` included).
    public func validate(
        _ draft: NewUser,
        profile: ValidationProfile,
        prior: [FieldViolation] = []
    ) -> Result<NewUser, ValidationFailure> {
        var check = Check(violations: prior, profile: profile)
        var user = draft
        check.normalise(&user.profile, fields: fields)
        check.characters(user.profile, fields: fields)
        check.requireFields(user, fields: fields)
        check.lengths(user.profile, fields: fields)
        check.email(user.profile.email)
        user.profile.phone = check.phone(user.profile.phone)
        check.language(user.profile.language)
        check.password(user.password)
        check.kinds(user.profile, fields: fields)
        check.rules(&user)
        if check.violations.isEmpty { return .success(user) }
        return .failure(ValidationFailure(violations: check.violations))
    }
}

/// The violations that stopped a create.
public struct ValidationFailure: Error, Sendable, Equatable {
    public var violations: [FieldViolation]

    public init(violations: [FieldViolation]) {
        self.violations = violations
    }
}
