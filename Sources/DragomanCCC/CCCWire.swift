import DragomanCore
import DragomanDialectKit
import HTTPTypes

/// The property names of the CCC `CreateServiceUser` request DTO, as ServiceStack binds them
/// (case-insensitively).
enum CCCField {
    static let serviceGuid = "ServiceGuid"
    static let emailAddress = "EmailAddress"
    static let password = "Password"
    static let firstName = "FirstName"
    static let lastName = "LastName"
    static let preRegister = "PreRegister"
    static let skipRegConfirmation = "SkipRegConfirmation"
    static let serviceUserGroupGuid = "ServiceUserGroupGuid"
    static let serviceUserGroupType = "ServiceUserGroupType"
    static let language = "Language"
    static let enableCampaigns = "EnableCampaigns"
    static let enableESignatures = "EnableESignatures"
    static let defaultSecure = "DefaultSecure"
    static let blacklistMode = "BlacklistMode"
    static let serviceUserGuid = "ServiceUserGuid"
}

/// `CreateServiceUserResponse`; ServiceStack leaves out null properties.
struct CreateServiceUserResponse: Encodable {
    var serviceUserGuid: String
}

/// `GetServiceUserResponse`.
struct GetServiceUserResponse: Encodable {
    var serviceUser: ServiceUser
}

/// The CCC `ServiceUser` read model.
struct ServiceUser: Encodable {
    var serviceUserGuid: String
    var emailAddress: String?
    var createdOn: String
    var firstName: String?
    var lastName: String?
    var status: String
    var language: String?
    var groupGuid: String?
    var groupType: String?
    var enableCampaigns: Bool
    var enableESignatures: Bool
    var defaultSecure: String?
    var blacklistMode: String?
}

/// A response DTO carrying only ServiceStack's `ResponseStatus`.
struct ErrorResponse: Encodable {
    var responseStatus: ResponseStatus
}

/// ServiceStack's `ResponseStatus`.
struct ResponseStatus: Encodable {
    var errorCode: String
    var message: String
    var errors: [ResponseError]
}

/// ServiceStack's `ResponseError`: one failing field.
struct ResponseError: Encodable {
    var errorCode: String
    var fieldName: String
    var message: String
}

/// The CCC request DTO names Dragoman serves (ServiceStack's operation names).
enum CCCOperation {
    static let create = "CreateServiceUser"
    static let read = "GetServiceUser"
    static let list = "GetServiceUsers"
    static let search = "SearchServiceUsers"
    static let update = "UpdateServiceUser"
    static let all = [create, read, list, search, update]

    /// The response DTO a request is answered with (its XML root element): the operation named
    /// by a pre-defined route, else the custom route's by method and path.
    static func responseName(for request: DialectRequest) -> String {
        let last = String(request.path.split(separator: "/").last ?? "").split(separator: ".").first.map(String.init) ?? ""
        if let named = all.first(where: { $0.lowercased() == last.lowercased() }) { return named + "Response" }
        // An unknown name at a pre-defined route.
        if request.path.contains("/reply/") || request.path.split(separator: "/").count == 2 { return "ErrorResponse" }
        let path = request.path.split(separator: ".").first.map(String.init) ?? request.path
        let operation: String =
            switch request.method {
            case .post: create
            case .put: update
            default: path.hasSuffix("/single") ? read : path.hasSuffix("/services/users") ? search : list
            }
        return operation + "Response"
    }
}

/// The list and search request fields.
enum CCCListField {
    static let token = "Token"
    static let page = "Page"
    static let pageSize = "PageSize"
    /// Scopes of SearchServiceUsers that Dragoman's users do not have.
    static let unsupportedScopes = ["CollectionGuid", "SiteGuid"]
}

/// `GetServiceUsersResponse` (and Dragoman's answer to SearchServiceUsers): one page of users.
struct ServiceUserPage: Encodable {
    var pageSize: Int
    var totalPages: Int
    var totalItems: Int
    var currentPage: Int
    var results: [ServiceUser]
}
