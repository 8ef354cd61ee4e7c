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

    @Test(arguments: ["+911235551234", "911235551234", "+12143224188"])
    func voltMXMobileNumbersAreNormalised(number: String) throws {
        let result = validator.validate(NewUser(profile: UserProfile(phone: number)), profile: ValidationProfile(required: [], phoneRule: .countryCodeAndTenDigits))
        let user = try result.get()
        #expect(user.profile.phone == "+" + number.filter(\.isNumber))
    }

    @Test(arguments: ["+91123", "12345678901234", "+91 1235551234", "phone", "+0123456789012"])
    func badVoltMXMobileNumbersAreRefused(number: String) {
        let found = violations(UserProfile(phone: number), ValidationProfile(required: [], phoneRule: .countryCodeAndTenDigits))
        #expect(found.map(\.field) == [.canonical(.phone)])
    }

    @Test func e164NeedsThePlus() {
        #expect(violations(UserProfile(phone: "15551234567"), ValidationProfile(required: [])).count == 1)
        #expect(violations(UserProfile(phone: "+15551234567"), ValidationProfile(required: [])).isEmpty)
    }

    @Test(arguments: ["USA", "united states", "US", "United States of America"])
    func stateIsRequiredForTheUSA(country: String) {
        let rules = ValidationProfile(required: [], stateRequiredInUSA: true)
        #expect(violations(UserProfile(country: country), rules) == [FieldViolation(.state, .required)])
        #expect(violations(UserProfile(country: country, state: "Texas"), rules).isEmpty)
        #expect(violations(UserProfile(country: "India"), rules).isEmpty)
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

    @Test func lastActiveDateMustBeARealDate() {
        #expect(violations(UserProfile(lastActiveDate: "08/23/2017"), ValidationProfile(required: [])).isEmpty)
        #expect(violations(UserProfile(lastActiveDate: "02/30/2017"), ValidationProfile(required: [])).count == 1)
        #expect(violations(UserProfile(lastActiveDate: "2017-08-23"), ValidationProfile(required: [])).count == 1)
    }

    @Test func groupTypeIsFilledFromTheDirectory() throws {
        let directory = ServiceDirectory(services: ["s": ["g": .professional]])
        let user = NewUser(profile: UserProfile(service: ServiceOptions(serviceID: "s", groupGUID: "g")))
        let valid = try UserValidator(directory: directory).validate(user, profile: ValidationProfile(required: [])).get()
        #expect(valid.profile.service?.groupType == .professional)
    }
}

@Suite struct PersonNameTests {
    @Test func lastWordIsTheFamilyName() {
        #expect(PersonName.split("Ada King Lovelace") == ("Ada King", "Lovelace"))
        #expect(PersonName.split("Cher") == ("Cher", nil))
        #expect(PersonName.split("   ") == (nil, nil))
    }

    @Test(arguments: [
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
