import DragomanCore
import DragomanTransport
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// Volt MX's own validation rules, which its dialects contribute to the canonical validator.
@Suite struct VoltMXRulesTests {
    let validator = UserValidator()

    func violations(_ profile: UserProfile, _ rules: ValidationProfile) -> [FieldViolation] {
        switch validator.validate(NewUser(profile: profile), profile: rules) {
        case .success: []
        case .failure(let failure): failure.violations
        }
    }

    @Test(arguments: ["+911235551234", "911235551234", "+12143224188"])
    func voltMXMobileNumbersAreNormalised(number: String) throws {
        let result = validator.validate(NewUser(profile: UserProfile(phone: number)), profile: ValidationProfile(required: [], phoneRule: VoltMXRules.phone))
        #expect(try result.get().profile.phone == "+" + number.filter(\.isNumber))
    }

    @Test(arguments: ["+91123", "12345678901234", "+91 1235551234", "phone", "+0123456789012"])
    func badVoltMXMobileNumbersAreRefused(number: String) {
        let found = violations(UserProfile(phone: number), ValidationProfile(required: [], phoneRule: VoltMXRules.phone))
        #expect(found == [FieldViolation(.phone, .invalidFormat(expected: "a country code followed by a ten digit number"))])
    }

    @Test(arguments: ["USA", "united states", "US", "United States of America"])
    func stateIsRequiredForTheUSA(country: String) {
        let rules = ValidationProfile(required: [], rules: [VoltMXRules.stateInUSA])
        #expect(violations(UserProfile(country: country), rules) == [FieldViolation(.state, .required)])
        #expect(violations(UserProfile(country: country, state: "Texas"), rules).isEmpty)
        #expect(violations(UserProfile(country: "India"), rules).isEmpty)
    }

    @Test func lastActiveDateMustBeARealDate() {
        let rules = ValidationProfile(required: [], rules: [VoltMXRules.lastActiveDate])
        #expect(violations(UserProfile(lastActiveDate: "08/23/2017"), rules).isEmpty)
        #expect(violations(UserProfile(lastActiveDate: "02/29/2024"), rules).isEmpty)
        #expect(violations(UserProfile(lastActiveDate: "02/30/2017"), rules) == [FieldViolation(.lastActiveDate, .invalidFormat(expected: "MM/dd/yyyy"))])
        #expect(violations(UserProfile(lastActiveDate: "2017-08-23"), rules).count == 1)
    }

    @Test func onlyTheVoltMXDialectsCarryItsRules() {
        let telness = TelnessConnectDialect().profile
        #expect(telness.rules.isEmpty && telness.phoneRule == .e164)
        #expect(VoltMXAudienceDialect().profile.rules == [VoltMXRules.stateInUSA, VoltMXRules.lastActiveDate])
    }
}

/// The CCC dialect's own fields and its service directory, a rule it contributes.
@Suite struct CCCServiceOptionsTests {
    static let service = String(repeating: "a", count: 32)
    static let group = String(repeating: "b", count: 32)

    @Test func groupTypeIsFilledFromTheDirectory() throws {
        let directory = ServiceDirectory(services: [Self.service: [Self.group: .professional]])
        var profile = UserProfile()
        profile.service = ServiceOptions(serviceID: Self.service, groupGUID: Self.group)
        let valid = try UserValidator(fields: DialectRegistry.standard.fields)
            .validate(NewUser(profile: profile), profile: ValidationProfile(required: [], rules: [directory.rule])).get()
        #expect(valid.profile.service?.groupType == .professional)
    }

    @Test func theServiceOptionsAreTheTenantAndTheDialectsOwnFields() {
        var profile = UserProfile()
        profile.service = ServiceOptions(serviceID: Self.service, enableCampaigns: true, defaultSecure: .always)
        #expect(profile.text(.tenant) == Self.service)
        #expect(
            profile.extra == ["service": .object(["serviceID": .string(Self.service), "enableCampaigns": .bool(true), "defaultSecure": .string("Always")])])
        profile.service = nil
        #expect(profile.extra.isEmpty && profile.service == nil)
    }

    @Test func theStandardRegistryTableHoldsTheCCCFieldsAfterTheStandardOnes() {
        let fields = DialectRegistry.standard.fields.fields
        #expect(Array(fields.prefix(UserField.standard.count)) == UserField.standard)
        // Then each dialect's own fields, in the registry's order: CCC's, then SCIM's.
        #expect(Array(fields.dropFirst(UserField.standard.count).prefix(UserField.serviceOptions.count)) == UserField.serviceOptions)
        #expect(fields.count == UserField.standard.count + UserField.serviceOptions.count + 1)
    }
}
