import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

extension VoltMXAccessManagementDialect: VoltMXBackend {
    static let resourcePath = "/api/v1/accessmgmt/users"
    static let notFoundPrefix = "Invalid user ID"

    var carriedFields: Set<UserField> {
        [
            .givenName, .familyName, .displayName, .userName, .email, .password, .active, .phone, .permissionIDs, .groupIDs, .appIDs, .allowAllApps,
            .emailSubscription, .smsSubscription, .voiceSubscription, .whatsappSubscription,
        ]
    }

    func backendCreate(_ user: NewUser, tenant: String?) -> BackendRequest {
        .json(.post, Self.resourcePath, Self.fields(user))
    }

    /// "Get all users": one answer holds them all.
    func backendList(continuation: String?, tenant: String?) -> BackendRequest? {
        .get(Self.resourcePath)
    }

    func backendPage(_ response: BackendResponse, tenant: String?) throws(GatewayFailure) -> BackendPage {
        try BackendAnswer.interpret(
            response, success: [200],
            parse: { body in
                guard let users = body.member("users")?.arrayValue else { return nil }
                let page = users.compactMap { user in user.member("id")?.textValue.flatMap { id in Self.profile(from: user).map { (id, $0) } } }
                var times: [String: BackendTimes] = [:]
                for (user, entry) in zip(users, page) { times[entry.0] = backendTimes(user) }
                return page.count == users.count ? BackendPage(users: page, next: nil, times: times) : nil
            }, failure: { status, body in VoltMX.backendFailure(status, body, field: canonicalField(wire:), notFoundPrefix: Self.notFoundPrefix) })
    }

    /// `createdDate` and `lastModifiedDate`, in Volt MX's date-time form.
    func backendTimes(_ body: JSONValue) -> BackendTimes {
        BackendTimes(
            created: body.member("createdDate")?.textValue.flatMap(VoltMX.parseDateTime),
            updated: body.member("lastModifiedDate")?.textValue.flatMap(VoltMX.parseDateTime))
    }

    /// Modify takes the create's body; the password only when the caller changes it.
    func backendUpdate(id: String, user: NewUser, tenant: String?) -> BackendRequest? {
        .json(.post, "\(Self.resourcePath)/\(id)/modify", Self.fields(user))
    }

    private static func fields(_ user: NewUser) -> [String: JSONValue?] {
        let p = user.profile
        func ids(_ values: [Int64]?) -> JSONValue? { values.map { .array($0.map { .string(String($0)) }) } }
        return [
            AccessField.userName: .text(p.userName), AccessField.email: .text(p.email), AccessField.password: .text(user.password?.exposedValue),
            AccessField.displayName: .text(p.fullName), AccessField.activeFlag: .flag(p.active), AccessField.mobileNo: .text(p.phone),
            AccessField.selectedPermissionIds: ids(p.permissionIDs), AccessField.selectedGroupIds: ids(p.groupIDs),
            AccessField.selectedAppIds: ids(p.appIDs), AccessField.allowAllApps: .flag(p.allowAllApps),
            AccessField.emailSubscription: .flag(p.channels.email), AccessField.smsSubscription: .flag(p.channels.sms),
            AccessField.voiceSubscription: .flag(p.channels.voice), AccessField.whatsappSubscription: .flag(p.channels.whatsapp),
        ]
    }

    static func profile(from body: JSONValue) -> UserProfile? {
        guard body.member("id") != nil else { return nil }
        var profile = UserProfile()
        profile.userName = body.member(AccessField.userName)?.textValue
        profile.email = body.member(AccessField.email)?.textValue
        profile.displayName = body.member(AccessField.displayName)?.textValue
        profile.phone = body.member(AccessField.mobileNo)?.textValue
        profile.active = body.member(AccessField.activeFlag)?.boolValue
        profile.allowAllApps = body.member(AccessField.allowAllApps)?.boolValue
        profile.permissionIDs = body.member(AccessField.selectedPermissionIds)?.idsValue
        profile.groupIDs = body.member(AccessField.selectedGroupIds)?.idsValue
        profile.appIDs = body.member(AccessField.selectedAppIds)?.idsValue
        profile.channels.email = body.member(AccessField.emailSubscription)?.boolValue
        profile.channels.sms = body.member(AccessField.smsSubscription)?.boolValue
        profile.channels.voice = body.member(AccessField.voiceSubscription)?.boolValue
        profile.channels.whatsapp = body.member(AccessField.whatsappSubscription)?.boolValue
        return profile
    }
}
