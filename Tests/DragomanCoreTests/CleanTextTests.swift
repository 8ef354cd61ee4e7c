import Testing

@testable import DragomanCore

/// Text is kept in NFC and may hold no control, bidi or invisible format characters; one email
/// definition serves every dialect.
@Suite struct CleanTextTests {
    let validator = UserValidator()

    func validate(_ profile: UserProfile) -> Result<NewUser, ValidationFailure> {
        validator.validate(NewUser(profile: profile), profile: ValidationProfile(required: []))
    }

    @Test func namesAndEmailsArePutInNFC() throws {
        let user = try validate(UserProfile(givenName: "E\u{0301}mile", email: "e\u{0301}mile@example.com")).get()
        #expect(user.profile.givenName == "\u{00C9}mile")
        #expect(user.profile.email == "\u{00E9}mile@example.com")
    }

    @Test func precomposedAndDecomposedAddressesHaveOneKey() {
        #expect(EmailAddress.key("\u{00E9}mile@example.com") == EmailAddress.key("E\u{0301}MILE@example.com"))
    }

    @Test(arguments: ["\u{0000}", "\u{001B}[31m", "\u{007F}", "\u{0085}", "\u{202E}", "\u{200B}", "\u{00AD}", "\u{FEFF}", "\u{2028}", "\u{2066}"])
    func controlAndInvisibleCharactersAreRefusedInNamesAndEmails(character: String) {
        guard case .failure(let failure) = validate(UserProfile(givenName: "An\(character)na", email: "an\(character)na@example.com")) else {
            Issue.record("accepted")
            return
        }
        #expect(failure.violations.map(\.field) == [.canonical(.givenName), .canonical(.email)])
    }

    @Test func namesKeepTheJoinersTheirScriptsNeed() throws {
        _ = try validate(UserProfile(givenName: "\u{0645}\u{06CC}\u{200C}\u{062E}\u{0648}\u{0627}\u{0647}\u{0645}")).get()
    }

    @Test func metadataMayHoldNoControlCharacters() {
        guard case .failure(let failure) = validate(UserProfile(metadata: ["team": .string("sales\u{001B}]0;pwned\u{0007}")])) else {
            Issue.record("accepted")
            return
        }
        #expect(failure.violations.map(\.field) == [.canonical(.metadata)])
    }

    @Test(arguments: [
        "ada@example.com", "a.b+tag@sub.example.co", "\u{00E4}d\u{00E4}@ex\u{00E4}mple.com", "\u{7528}\u{6237}@\u{4F8B}\u{5B50}.\u{5E7F}\u{544A}",
        "o'brien@example.ie", "x@example-1.com",
    ])
    func validAddresses(address: String) {
        #expect(EmailAddress.isValid(address))
    }

    @Test(arguments: [
        "nope", "a@b", "@example.com", "a@@example.com", ".a@example.com", "a.@example.com", "a..b@example.com",
        "a b@example.com", "a@-example.com", "a@example.123", "\"quoted\"@example.com", "a(b)@example.com",
        String(repeating: "a", count: 65) + "@example.com", "a@" + String(repeating: "b", count: 64) + ".com",
    ])
    func invalidAddresses(address: String) {
        #expect(!EmailAddress.isValid(address))
    }

    /// The ASCII fast path of `EmailAddress.isValid` says what the rules on characters say, for
    /// every address made of a small alphabet of the characters the rules care about.
    @Test func asciiAddressesAreJudgedAsTheCharacterRulesJudgeThem() {
        let alphabet = Array("a.@-Z9_+ \t\u{7F}\"(!").map(String.init)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let length = Int.random(in: 1...14, using: &generator)
            var address = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }.joined()
            if Bool.random(using: &generator) { address += "@b.c" }
            #expect(EmailAddress.isValid(address) == EmailAddress.isValidByCharacters(address), "\(address.debugDescription)")
        }
        for address in [
            "ada@example.com", "a@b.co", String(repeating: "a", count: 64) + "@example.com", "a@example.123", "a@" + String(repeating: "b", count: 63) + ".com",
        ] {
            #expect(EmailAddress.isValid(address) == EmailAddress.isValidByCharacters(address))
        }
    }

    @Test(arguments: [
        ("Ada", "Ada"), ("  Ada ", "Ada"), ("\u{00A0}Ada\u{3000}", "Ada"), ("\tAda\n", "Ada"), ("\r\nAda\r\n", "Ada"),
        ("Émile ", "Émile"), (" Zoë", "Zoë"), ("a b", "a b"), ("   ", ""), ("", ""),
    ])
    func whitespaceIsTrimmedAtBothEndsOnly(text: String, trimmed: String) {
        #expect(text.trimmingWhitespace() == trimmed)
    }

    @Test func aTextIsTooLongByItsCharactersNotItsBytes() {
        let check = Check(violations: [], profile: ValidationProfile(required: [], maxLength: 3))
        #expect(!check.isTooLong("éèê"))  // 6 bytes, 3 characters
        #expect(!check.isTooLong("e\u{0301}e\u{0301}"))  // 2 characters
        #expect(check.isTooLong("abcd"))
        #expect(check.isTooLong("éèêë"))
    }
}
