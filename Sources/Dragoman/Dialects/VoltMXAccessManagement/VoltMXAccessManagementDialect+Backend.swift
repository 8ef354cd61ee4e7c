import DragomanCore
import Foundation
import HTTPTypes

extension VoltMXAccessManagementDialect: BackendDialect {
    var carriedFields: Set<UserField> {
        [
            .givenName, .familyName, .displayName, .userName, .email, .password, .active, .phone, .permissionIDs, .groupIDs, .appIDs, .allowAllApps,
            .emailSubscription, .smsSubscription, .voiceSubscription, .whatsappSubscription,
        ]
    }

    func backendCreate(_ user: NewUser, serviceID: String?) -> BackendRequest {
        let p = user.profile
        func ids(_ values: [Int64]?) -> JSONValue? { values.map { .array($0.map { .string(String($0)) }) } }
        return .json(
            .post,
            "/api/v1/accessmgmt/users",
            [
                AccessField.userName: .text(p.userName), AccessField.email: .text(p.email), AccessField.password: .text(user.password?.exposedValue),
                AccessField.displayName: .text(p.fullName), AccessField.activeFlag: .flag(p.active), AccessField.mobileNo: .text(p.phone),
                AccessField.selectedPermissionIds: ids(p.permissionIDs), AccessField.selectedGroupIds: ids(p.groupIDs),
                AccessField.selectedAppIds: ids(p.appIDs), AccessField.allowAllApps: .flag(p.allowAllApps),
                AccessField.emailSubscription: .flag(p.channels.email), AccessField.smsSubscription: .flag(p.channels.sms),
                AccessField.voiceSubscription: .flag(p.channels.voice), AccessField.whatsappSubscription: .flag(p.channels.whatsapp),
            ]
        )
    }

    func backendCreated(_ response: BackendResponse, serviceID: String?) throws(GatewayFailure) -> String {
        try BackendAnswer.interpret(response, success: [200, 201], parse: VoltMX.createdID, failure: backendFailure)
    }

    func backendRead(id: String) -> BackendRequest {
        .get("/api/v1/accessmgmt/users/\(id)")
    }

    func backendUser(_ response: BackendResponse) throws(GatewayFailure) -> UserProfile {
        try BackendAnswer.interpret(response, success: [200], parse: Self.profile(from:), failure: backendFailure)
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

    private func backendFailure(_ status: Int, _ body: JSONValue?) -> GatewayFailure {
        VoltMX.backendFailure(status, body, field: canonicalField(wire:), notFoundPrefix: "Invalid user ID")
    }

    func canonicalField(wire: String) -> UserField? {
        BackendAnswer.field(wire: wire, wireName: Self.wireName)
    }
}
