import DragomanCore
import DragomanDialectKit
import HTTPTypes

/// Volt MX Engagement Services access management "Create User" (console users):
/// `POST /api/v1/accessmgmt/users`, also under the `/kpns` web context.
struct VoltMXAccessManagementDialect: UserDialect {
    var id: DialectID { .voltMXAccessManagement }

    /// Create and read, list (`GET /api/v1/accessmgmt/users`), modify
    /// (`POST …/users/{id}/modify`) and delete (`POST …/users/{id}/delete`), at the root and
    /// under `/kpns`.
    var routes: [DialectRoute] {
        VoltMX.routes(resource: "/api/v1/accessmgmt/users")
            + VoltMX.routes([
                DialectRoute(method: .get, path: "/api/v1/accessmgmt/users", operation: .list),
                DialectRoute(method: .post, path: "/api/v1/accessmgmt/users/:id/modify", operation: .update),
                DialectRoute(method: .post, path: "/api/v1/accessmgmt/users/:id/delete", operation: .delete),
            ])
    }

    /// The largest page a list answers, and the size of a page when none is asked for.
    static let maxPageSize = 1000

    var profile: ValidationProfile {
        ValidationProfile(
            required: [.userName, .email, .password, .displayName, .permissionIDs],
            phoneRule: VoltMXRules.phone,
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

    func updated(_ user: User, request: DialectRequest) -> DialectResponse {
        .json(.ok, VoltMXMessage(id: String(user.id.serial), message: VoltMX.updated))
    }

    /// "Delete is not allowed on active users": a user must be deactivated (`activeFlag` false,
    /// by a modify) first.
    func deletionRefusal(_ user: User) -> GatewayFailure? {
        (user.profile.active ?? true) ? .refused(VoltMX.activeUserDelete) : nil
    }

    /// The vendor's sample, trailing space included.
    func deleted(_ user: User, request: DialectRequest) -> DialectResponse {
        .json(.ok, VoltMXMessage(id: String(user.id.serial), message: VoltMX.deleted + " "))
    }

    /// Every user, or one page: `pageNumber` (from 1) and `pageSize` (1–1000, default 1000).
    func listQuery(_ request: DialectRequest) throws(GatewayFailure) -> DialectListQuery {
        let size = try VoltMX.number(request.queryValue("pageSize"), named: "pageSize", in: 1...Self.maxPageSize) ?? Self.maxPageSize
        let page = try VoltMX.number(request.queryValue("pageNumber"), named: "pageNumber", in: 1...Int(Int32.max)) ?? 1
        return DialectListQuery(query: UserListQuery(offset: (page - 1) * size, limit: size))
    }

    func listed(_ page: UserPage, query: UserListQuery, request: DialectRequest) -> DialectResponse {
        .json(.ok, AccessManagementUserList(total: page.total, users: page.users.map(accessUser)))
    }

    func read(_ user: User, request: DialectRequest) -> DialectResponse {
        .json(.ok, accessUser(user))
    }

    private func accessUser(_ user: User) -> AccessManagementUser {
        let p = user.profile
        return AccessManagementUser(
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
