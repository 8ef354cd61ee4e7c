import DragomanCore
import Testing

@Suite struct UserValidatorTests {
    let validator = UserValidator()

    func violations(_ profile: UserProfile, _ rules: ValidationProfile, password: String? = nil) -> [FieldViolation] {
        switch validator.validate(NewUser(profile: profile, password: password.map(Secret.init)), profile: rules) {
        case .success: []
        case .failure(let failure): failure.violations
        }
    }

    @Test func emptyStringsCountAsMissing() {
        let found = violations(UserProfile(givenName: "  ", email: ""), ValidationProfile(required: [.givenName, .email]))
        #expect(found == [FieldViolation(.givenName, .required), FieldViolation(.email, .required)])
    }

    @Test func priorViolationsAreNotReportedTwice() {
        let prior = [FieldViolation(.givenName, .invalidType(expected: "string"))]
        let result = validator.validate(NewUser(profile: UserProfile()), profile: ValidationProfile(required: [.givenName]), prior: prior)
        #expect(result == .failure(ValidationFailure(violations: prior)))
    }

    /// A phone rule of a dialect's own normalises the numbers it accepts and names itself in errors.
    static let tenDigits = PhoneRule(name: "ten", expected: "ten digits") { text in
        text.count == 10 && text.allSatisfy(\.isNumber) ? "+1" + text : nil
    }

    @Test func aDialectsPhoneRuleNormalisesAndRefuses() throws {
        let rules = ValidationProfile(required: [], phoneRule: Self.tenDigits)
        let user = try validator.validate(NewUser(profile: UserProfile(phone: "5551234567")), profile: rules).get()
        #expect(user.profile.phone == "+15551234567")
        #expect(violations(UserProfile(phone: "+15551234567"), rules) == [FieldViolation(.phone, .invalidFormat(expected: "ten digits"))])
    }

    @Test func e164NeedsThePlus() {
        #expect(violations(UserProfile(phone: "15551234567"), ValidationProfile(required: [])).count == 1)
        #expect(violations(UserProfile(phone: "+15551234567"), ValidationProfile(required: [])).isEmpty)
    }

    @Test func aDialectsOwnRuleNormalisesAndReportsAfterTheTablesChecks() throws {
        let rule = ValidationRule("upper-country") { user in
            user.profile.country = user.profile.country?.uppercased()
            return user.profile.state == nil ? [FieldViolation(.state, .required)] : []
        }
        let rules = ValidationProfile(required: [], rules: [rule])
        #expect(violations(UserProfile(country: "se"), rules) == [FieldViolation(.state, .required)])
        #expect(try validator.validate(NewUser(profile: UserProfile(country: "se", state: "S")), profile: rules).get().profile.country == "SE")
    }

    @Test func aFieldThatAlreadyFailedIsNotReportedAgainByARule() {
        let rule = ValidationRule("state") { _ in [FieldViolation(.state, .required)] }
        let found = violations(UserProfile(state: "\u{202E}x"), ValidationProfile(required: [], rules: [rule]))
        #expect(found.map(\.field) == [.canonical(.state)])
        #expect(found.first?.rule != .required)
    }

    @Test(arguments: ["a@b", "a b@c.com", "@b.com", "a@b..com", "a@-b.com"])
    func badEmailsAreRefused(email: String) {
        #expect(violations(UserProfile(email: email), ValidationProfile(required: [])).map(\.field) == [.canonical(.email)])
    }

    @Test func languagesAreCheckedAgainstTheProfile() {
        let rules = ValidationProfile(required: [], languages: ["en", "fr"])
        #expect(violations(UserProfile(language: "de"), rules) == [FieldViolation(.language, .notAllowed(allowed: ["en", "fr"]))])
        #expect(violations(UserProfile(language: "fr"), rules).isEmpty)
    }

    @Test func passwordsOver72BytesAreRefused() {
        let found = violations(UserProfile(), ValidationProfile(required: []), password: String(repeating: "é", count: 37))
        #expect(found == [FieldViolation(.password, .tooLong(max: 72))])
    }
}

@Suite struct PersonNameTests {
    @Test func lastWordIsTheFamilyName() {
        #expect(PersonName.split("Ada King Lovelace") == ("Ada King", "Lovelace"))
        #expect(PersonName.split("Cher") == ("Cher", nil))
        #expect(PersonName.split("   ") == (nil, nil))
    }

    @Test(
        arguments: [
            ("  Ada\tKing \r\n Lovelace ", "Ada King", "Lovelace"), ("Ada\u{000B}\u{000C}Lovelace", "Ada", "Lovelace"),
            ("Zoë  Ångström", "Zoë", "Ångström"), ("Ada\u{00A0}Lovelace", "Ada", "Lovelace"), ("Ada\u{3000}King\u{2003}Lovelace", "Ada King", "Lovelace"),
            ("\t\n", nil, nil), ("", nil, nil),
        ] as [(String, String?, String?)])
    func anyWhiteSpaceSeparatesWordsInASCIIAndBeyond(name: String, given: String?, family: String?) {
        #expect(PersonName.split(name) == (given, family))
    }

    @Test func joiningSkipsMissingParts() {
        #expect(PersonName.join(given: "Ada", family: "Lovelace") == "Ada Lovelace")
        #expect(PersonName.join(given: nil, family: "Lovelace") == "Lovelace")
        #expect(PersonName.join(given: nil, family: nil) == nil)
    }
}
