/// Validates a canonical create against a dialect's ``ValidationProfile`` and a
/// ``ServiceDirectory``, and normalises it: puts text in NFC (``CleanText``), trims strings, treats empty strings as absent, puts
/// phone numbers in E.164 form and fills a group's type from the directory.
///
/// Every failing field is reported, not only the first; fields that already failed while the
/// dialect decoded them are not reported twice.
public struct UserValidator: Sendable {
    public var directory: ServiceDirectory

    public init(directory: ServiceDirectory = .init()) {
        self.directory = directory
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
        check.normalise(&user.profile)
        check.characters(user.profile)
        check.requireFields(user)
        check.lengths(user.profile)
        check.email(user.profile.email)
        user.profile.phone = check.phone(user.profile.phone)
        check.state(user.profile)
        check.language(user.profile.language)
        check.password(user.password)
        check.arrays(user.profile)
        check.lastActiveDate(user.profile.lastActiveDate)
        check.metadata(user.profile.metadata)
        if let service = user.profile.service {
            user.profile.service = check.service(service, directory: directory)
        }
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
