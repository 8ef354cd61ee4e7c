import DragomanCore
import HTTPTypes

/// Volt MX Engagement Services access management "Create User" (console users):
/// `POST /api/v1/accessmgmt/users`, also under the `/kpns` web context.
struct VoltMXAccessManagementDialect: UserDialect {
    var id: DialectID { .voltMXAccessManagement }

    var routes: [DialectRoute] { VoltMX.routes(resource: "/api/v1/accessmgmt/users") }

    var profile: ValidationProfile {
        ValidationProfile(
            required: [.userName, .email, .password, .displayName, .permissionIDs],
            phoneRule: .countryCodeAndTenDigits,
            uniqueKeys: [.userName, .email],
            passwordAllowsWhitespace: false
        )
    }

    func decodeCreate(_ request: DialectRequest) throws(GatewayFailure) -> DecodedCreate {
        var body = try WireObject(request.body)
        var profile = UserProfile()
        profile.userName = body.string(AccessField.userName)
        profile.email = body.string(AccessField.email)
        let password = body.string(AccessField.password).map(Secret.init)
        profile.displayName = body.string(AccessField.displayName)
        profile.active = body.bool(AccessField.activeFlag, acceptingStrings: true)
        profile.phone = body.digits(AccessField.mobileNo)
        profile.permissionIDs = body.ids(AccessField.selectedPermissionIds)
        profile.groupIDs = body.ids(AccessField.selectedGroupIds)
        profile.appIDs = body.ids(AccessField.selectedAppIds)
        profile.allowAllApps = body.bool(AccessField.allowAllApps, acceptingStrings: true)
        profile.channels.email = body.bool(AccessField.emailSubscription, acceptingStrings: true)
        profile.channels.sms = body.bool(AccessField.smsSubscription, acceptingStrings: true)
        profile.channels.voice = body.bool(AccessField.voiceSubscription, acceptingStrings: true)
        profile.channels.whatsapp = body.bool(AccessField.whatsappSubscription, acceptingStrings: true)
        for name in body.unknownNames(known: AccessField.all) { body.fail(name, .unknownAttribute) }
        return DecodedCreate(user: NewUser(profile: profile, password: password), violations: body.violations)
    }

    func lookup(_ request: DialectRequest) throws(GatewayFailure) -> UserLookup {
        guard let serial = VoltMX.serial(request.parameters["id"]) else { throw .service(.notFound) }
        return .serial(serial)
    }

    func created(_ user: User, request: DialectRequest) -> DialectResponse {
        .json(.ok, VoltMXMessage(id: String(user.id.serial), message: VoltMX.added))
    }

    func read(_ user: User, request: DialectRequest) -> DialectResponse {
        let p = user.profile
        let body = AccessManagementUser(
            id: user.id.serial,
            email: p.email,
            displayName: p.fullName,
            mobileNo: p.phone,
            activeFlag: p.active ?? true,
            lastModifiedBy: user.createdBy ?? Self.actor,
            lastModifiedDate: VoltMX.dateTime(user.updatedAt),
            createdDate: VoltMX.dateTime(user.createdAt),
            createdBy: user.createdBy ?? Self.actor,
            allowAllApps: p.allowAllApps ?? false,
            selectedAppIds: p.appIDs ?? [],
            userName: p.userName,
            selectedPermissionIds: p.permissionIDs ?? [],
            selectedGroupIds: p.groupIDs ?? [],
            emailSubscription: p.channels.email ?? false,
            smsSubscription: p.channels.sms ?? false,
            voiceSubscription: p.channels.voice ?? false,
            whatsappSubscription: p.channels.whatsapp ?? false
        )
        return .json(.ok, body)
    }

    /// Who the read shape says created and last modified a user no principal created.
    static let actor = "dragoman"

    func wireName(_ field: UserField) -> String { Self.wireName(field) }

    func failure(_ failure: GatewayFailure, request: DialectRequest) -> DialectResponse {
        if let common = VoltMX.common(failure) { return common }
        switch failure {
        case .service(.invalid(let violations)):
            return VoltMX.invalid(violations, wireName: Self.wireName)
        case .service(.duplicate):
            return .json(.badRequest, VoltMXMessage(message: "User already exists with this user ID"))
        default:
            return .json(.badRequest, VoltMXMessage(message: "Invalid user ID provided or no user found with provided ID"))
        }
    }

    static func wireName(_ field: UserField) -> String {
        switch field {
        case .phone: AccessField.mobileNo
        case .active: AccessField.activeFlag
        case .permissionIDs: AccessField.selectedPermissionIds
        case .groupIDs: AccessField.selectedGroupIds
        case .appIDs: AccessField.selectedAppIds
        default: field.rawValue
        }
    }
}
