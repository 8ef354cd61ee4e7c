import DragomanCore
import Testing

/// A field added to the canonical model by one declaration: the validator, the update merge,
/// `has` and `remove` all follow it, as they follow the standard fields.
@Suite struct FieldTableTests {
    static let nickname = UserField.extension("nickname", .text(.name))
    static let tier = UserField.extension("tier", .choice(["gold", "silver"]), storage: ["membership", "tier"])
    static let since = UserField.extension("memberSince", .text(.code), storage: ["membership", "since"], merge: .fixed)

    let validator = UserValidator(fields: FieldTable.standard.adding([Self.nickname, Self.tier, Self.since]))

    @Test func anAddedFieldIsReadAndWrittenThroughTheProfile() {
        var profile = UserProfile()
        profile[Self.tier] = .text("gold")
        profile[Self.since] = .text("2024")
        #expect(profile.extra == ["membership": .object(["tier": .string("gold"), "since": .string("2024")])])
        #expect(profile.text(Self.tier) == "gold")
        profile[Self.tier] = nil
        profile[Self.since] = nil
        #expect(profile.extra.isEmpty)
    }

    @Test func anAddedFieldIsNormalisedAndValidatedByItsKind() throws {
        var profile = UserProfile()
        profile[Self.nickname] = .text("  Ada  ")
        let user = try validator.validate(NewUser(profile: profile), profile: ValidationProfile(required: [Self.nickname])).get()
        #expect(user.profile.text(Self.nickname) == "Ada")

        var bad = UserProfile()
        bad[Self.nickname] = .text(String(repeating: "a", count: 300))
        bad[Self.tier] = .text("bronze")
        let failure = validator.validate(NewUser(profile: bad), profile: ValidationProfile(required: []))
        #expect(
            failure
                == .failure(
                    ValidationFailure(violations: [
                        FieldViolation(Self.nickname, .tooLong(max: 255)), FieldViolation(Self.tier, .notAllowed(allowed: ["gold", "silver"])),
                    ])))
    }

    @Test func anAddedFieldCanBeRequired() {
        let result = validator.validate(NewUser(profile: UserProfile()), profile: ValidationProfile(required: [Self.nickname]))
        #expect(result == .failure(ValidationFailure(violations: [FieldViolation(Self.nickname, .required)])))
    }

    @Test func anUpdateMergesAnAddedFieldByItsRule() {
        var stored = UserProfile(email: "ada@example.com")
        stored[Self.nickname] = .text("Ada")
        stored[Self.since] = .text("2024")
        var patch = UserProfile()
        patch[Self.nickname] = .text("Countess")
        patch[Self.since] = .text("1999")
        let merged = stored.merging(patch, fields: validator.fields)
        #expect(merged.text(Self.nickname) == "Countess")
        #expect(merged.text(Self.since) == "2024")
        #expect(merged.email == "ada@example.com")
    }

    @Test func hasAndRemoveFollowTheDeclaration() {
        var user = NewUser(profile: UserProfile())
        user.profile[Self.tier] = .text("gold")
        #expect(user.has(Self.tier))
        user.remove(Self.tier)
        #expect(!user.has(Self.tier))
        #expect(user.profile.extra.isEmpty)
    }

    @Test func theTableListsEachFieldOnceInOrder() {
        let table = FieldTable.standard.adding([Self.nickname, .email, Self.nickname])
        #expect(table.fields.count == UserField.standard.count + 1)
        #expect(table.fields.last == Self.nickname)
        #expect(table.field(named: "nickname") == Self.nickname)
    }
}

extension FieldTableTests {
    @Test func anEmptyTextOfAnyFieldIsNoValue() throws {
        var profile = UserProfile(phone: "", state: " ")
        profile[Self.nickname] = .text("")
        let user = try validator.validate(NewUser(profile: profile), profile: ValidationProfile(required: [])).get()
        #expect(user.profile.phone == nil && user.profile.state == nil && user.profile[Self.nickname] == nil)
    }
}
