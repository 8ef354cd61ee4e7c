import DragomanDialectKit

/// The wire names of Volt MX access-management users.
enum AccessField {
    static let userName = "userName"
    static let email = "email"
    static let password = "password"
    static let displayName = "displayName"
    static let activeFlag = "activeFlag"
    static let mobileNo = "mobileNo"
    static let selectedPermissionIds = "selectedPermissionIds"
    static let selectedGroupIds = "selectedGroupIds"
    static let selectedAppIds = "selectedAppIds"
    static let allowAllApps = "allowAllApps"
    static let emailSubscription = "emailSubscription"
    static let smsSubscription = "smsSubscription"
    static let voiceSubscription = "voiceSubscription"
    static let whatsappSubscription = "whatsappSubscription"

    static let all: Set<String> = [
        userName, email, password, displayName, activeFlag, mobileNo, selectedPermissionIds, selectedGroupIds, selectedAppIds,
        allowAllApps, emailSubscription, smsSubscription, voiceSubscription, whatsappSubscription,
    ]
}

/// `GET /api/v1/accessmgmt/users/{id}`: the user as Volt MX shows it (id as a number).
struct AccessManagementUser: Encodable {
    var id: Int64
    var email: String?
    var displayName: String?
    var mobileNo: String?
    var activeFlag: Bool
    var lastModifiedBy: String
    var lastModifiedDate: String
    var createdDate: String
    var createdBy: String
    var allowAllApps: Bool
    var selectedAppIds: [Int64]
    var userName: String?
    var selectedPermissionIds: [Int64]
    var selectedGroupIds: [Int64]
    var emailSubscription: Bool
    var smsSubscription: Bool
    var voiceSubscription: Bool
    var whatsappSubscription: Bool
}

/// The answer to "Get all users": `{"total":3,"users":[…]}`.
struct AccessManagementUserList: Encodable {
    var total: Int
    var users: [AccessManagementUser]
}
