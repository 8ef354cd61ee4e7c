import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

extension VoltMXAudienceDialect: VoltMXBackend {
    static let resourcePath = "/api/v1/audience"
    static let notFoundPrefix = "Invalid Audience Member ID"

    var carriedFields: Set<UserField> {
        [.givenName, .familyName, .displayName, .email, .phone, .country, .state, .emailSubscription, .smsSubscription, .voiceSubscription, .lastActiveDate]
    }

    func backendCreate(_ user: NewUser, tenant: String?) -> BackendRequest {
        .json(.post, Self.resourcePath, Self.fields(user))
    }

    /// `createdDateStr` and `lastModifiedDateStr`, in Volt MX's date-time form.
    func backendTimes(_ body: JSONValue) -> BackendTimes {
        BackendTimes(
            created: body.member("createdDateStr")?.textValue.flatMap(VoltMX.parseDateTime),
            updated: body.member("lastModifiedDateStr")?.textValue.flatMap(VoltMX.parseDateTime))
    }

    /// Modify takes the create's fields.
    func backendUpdate(id: String, user: NewUser, tenant: String?) -> BackendRequest? {
        .json(.put, "\(Self.resourcePath)/\(id)", Self.fields(user))
    }

    private static func fields(_ user: NewUser) -> [String: JSONValue?] {
        let p = user.profile
        let names = p.nameParts
        return [
            AudienceField.firstName: .text(names.given), AudienceField.lastName: .text(names.family),
            AudienceField.country: .text(p.country), AudienceField.state: .text(p.state), AudienceField.email: .text(p.email),
            AudienceField.mobileNumber: .text(p.phone), AudienceField.smsSubscription: .flag(p.channels.sms),
            AudienceField.voiceSubscription: .flag(p.channels.voice), AudienceField.emailSubscription: .flag(p.channels.email),
            AudienceField.lastActiveDate: .text(p.lastActiveDate),
        ]
    }

    static func profile(from body: JSONValue) -> UserProfile? {
        guard body.member("id") != nil else { return nil }
        var profile = UserProfile()
        profile.givenName = body.member(AudienceField.firstName)?.textValue
        profile.familyName = body.member(AudienceField.lastName)?.textValue
        profile.country = body.member(AudienceField.country)?.textValue
        profile.state = body.member(AudienceField.state)?.textValue
        profile.email = body.member(AudienceField.email)?.textValue
        profile.phone = body.member(AudienceField.mobileNumber)?.textValue
        profile.active = body.member("active")?.boolValue
        profile.channels.sms = body.member(AudienceField.smsSubscription)?.boolValue
        profile.channels.voice = body.member(AudienceField.voiceSubscription)?.boolValue
        profile.channels.email = body.member(AudienceField.emailSubscription)?.boolValue
        profile.lastActiveDate = body.member("lastActiveDateStr")?.textValue.map { String($0.prefix(10)) }
        return profile
    }
}
