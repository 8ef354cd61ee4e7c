import DragomanCore
import DragomanDialectKit

/// The CCC service as Dragoman serves it, described for ServiceStack's metadata page and native
/// types: the request DTOs (``CCCField`` names, the dialect's own languages and enums), the
/// response DTOs and the `ServiceUser` read model that ``DeliverySlipCCCDialect`` writes.
enum CCCTypes {
    static let defaultSecure = ServiceStackEnum(name: "ServiceUserDefaultSecure", members: ServiceOptions.DefaultSecure.allCases.map(\.rawValue))
    static let blacklistMode = ServiceStackEnum(name: "ServiceUserBlacklistMode", members: ServiceOptions.BlacklistMode.allCases.map(\.rawValue))
    static let booleans = ["true", "false"]

    /// `CreateServiceUser`, with the vendor's own descriptions.
    static let createServiceUser = ServiceStackType(
        name: CCCOperation.create,
        properties: [
            .init(name: CCCField.serviceGuid, kind: .guid, required: true, inPath: true),
            .init(name: CCCField.emailAddress, kind: .string, required: true),
            .init(name: CCCField.password, kind: .string, required: true),
            .init(name: CCCField.firstName, kind: .string, required: true),
            .init(name: CCCField.lastName, kind: .string, required: true),
            .init(
                name: CCCField.preRegister, kind: .bool,
                description: "Indicates if the user should be pre-registered on the service. Defaults to false.", allowed: booleans),
            .init(
                name: CCCField.skipRegConfirmation, kind: .bool,
                description: "Indicate if the user should be required to complete the registration page or not when first logging in. Defaults to false.",
                allowed: booleans),
            .init(name: CCCField.serviceUserGroupGuid, kind: .guid, description: "Identify the group the service user will be added to."),
            .init(
                name: CCCField.serviceUserGroupType, kind: .string, description: "Identify the group the service user will be added to.",
                allowed: ServiceOptions.GroupType.allCases.map(\.rawValue)),
            .init(
                name: CCCField.language, kind: .string,
                description: "Language code conforms to ISO 639-1. Supported languages must be two-letters and in lowercase.",
                allowed: DeliverySlipCCCDialect.languages),
            .init(name: CCCField.enableCampaigns, kind: .bool, allowed: booleans),
            .init(name: CCCField.enableESignatures, kind: .bool, allowed: booleans),
            .init(name: CCCField.defaultSecure, kind: .named(defaultSecure.name), allowed: defaultSecure.members),
            .init(name: CCCField.blacklistMode, kind: .named(blacklistMode.name), allowed: blacklistMode.members),
        ]
    )

    /// `GetServiceUser`.
    static let getServiceUser = ServiceStackType(
        name: CCCOperation.read,
        properties: [
            .init(name: CCCField.serviceGuid, kind: .guid, required: true, inPath: true),
            .init(name: CCCField.serviceUserGuid, kind: .guid, description: "One of ServiceUserGuid or EmailAddress is required; if both, they must match."),
            .init(name: CCCField.emailAddress, kind: .string, description: "One of ServiceUserGuid or EmailAddress is required; if both, they must match."),
        ]
    )

    /// `GetServiceUsers`.
    static let getServiceUsers = ServiceStackType(
        name: CCCOperation.list,
        properties: [
            .init(name: CCCField.serviceGuid, kind: .guid, required: true, inPath: true),
            .init(name: CCCField.serviceUserGroupGuid, kind: .guid),
            .init(name: CCCField.serviceUserGroupType, kind: .string, allowed: ServiceOptions.GroupType.allCases.map(\.rawValue)),
            .init(name: CCCListField.token, kind: .string, description: "Case-insensitive text over the first and last names and the email address."),
            .init(name: CCCListField.page, kind: .int, description: "The page, from 1."),
            .init(name: CCCListField.pageSize, kind: .int, description: "Users per page, 1 to 1000; defaults to 25."),
        ]
    )

    /// `SearchServiceUsers`.
    static let searchServiceUsers = ServiceStackType(
        name: CCCOperation.search,
        properties: [
            .init(name: CCCListField.token, kind: .string, description: "Case-insensitive text over the first and last names and the email address."),
            .init(name: CCCField.serviceGuid, kind: .guid, description: "Only this service's users (and users of no service)."),
            .init(name: CCCListField.page, kind: .int, description: "The page, from 1."),
            .init(name: CCCListField.pageSize, kind: .int, description: "Users per page, 1 to 1000; defaults to 25."),
        ]
    )

    /// `UpdateServiceUser`: the identifiers, then the fields it changes.
    static let updateServiceUser = ServiceStackType(
        name: CCCOperation.update,
        properties: [
            .init(name: CCCField.serviceGuid, kind: .guid, required: true, inPath: true),
            .init(name: CCCField.serviceUserGuid, kind: .guid, description: "One of ServiceUserGuid or EmailAddress is required; if both, they must match."),
            .init(name: CCCField.emailAddress, kind: .string, description: "One of ServiceUserGuid or EmailAddress is required; if both, they must match."),
        ]
            + createServiceUser.properties.filter { DeliverySlipCCCDialect.updatableFields.contains($0.name) }.map { property in
                var optional = property
                optional.required = false
                return optional
            }
    )

    static let responseStatus = ServiceStackProperty(name: "ResponseStatus", kind: .named("ResponseStatus"))

    /// The `ServiceUser` read model, as ``ServiceUser`` writes it.
    static let serviceUser = ServiceStackType(
        name: "ServiceUser",
        properties: [
            .init(name: "ServiceUserGuid", kind: .guid),
            .init(name: "EmailAddress", kind: .string),
            .init(name: "CreatedOn", kind: .dateTime),
            .init(name: "FirstName", kind: .string),
            .init(name: "LastName", kind: .string),
            .init(name: "Status", kind: .string, allowed: ["Active", "Disabled"]),
            .init(name: "Language", kind: .string),
            .init(name: "GroupGuid", kind: .guid),
            .init(name: "GroupType", kind: .string),
            .init(name: "EnableCampaigns", kind: .bool),
            .init(name: "EnableESignatures", kind: .bool),
            .init(name: "DefaultSecure", kind: .named(defaultSecure.name)),
            .init(name: "BlacklistMode", kind: .named(blacklistMode.name)),
        ]
    )

    /// A page of users, as ``ServiceUserPage`` writes it.
    static let pageProperties: [ServiceStackProperty] = [
        .init(name: "PageSize", kind: .int), .init(name: "TotalPages", kind: .int), .init(name: "TotalItems", kind: .int),
        .init(name: "CurrentPage", kind: .int), .init(name: "Results", kind: .list("ServiceUser")), responseStatus,
    ]

    static let service = ServiceStackService(
        name: "CCC API",
        version: "8.4.0.0",
        namespace: "CCC.ServiceModel",
        operations: [
            ServiceStackOperation(
                request: createServiceUser,
                method: "POST",
                routes: ["/api/services/{ServiceGuid}/users"],
                response: "CreateServiceUserResponse",
                summary: """
                    Create a new user for a service. ServiceUserGroupGuid / ServiceUserGroupType - if only ServiceUserGroupGuid is specified then \
                    the group identified by that guid is used; if only ServiceUserGroupType is specified then the default group for that type is \
                    used; if both ServiceUserGroupGuid and ServiceUserGroupType are specified, the type of the group identified by the \
                    ServiceUserGroupGuid has to match the ServiceUserGroupType; if neither ServiceUserGroupGuid nor ServiceUserGroupType are \
                    specified, the user will be assigned the services' default package for users.
                    """
            ),
            ServiceStackOperation(
                request: getServiceUser,
                method: "GET",
                routes: ["/api/services/{ServiceGuid}/users/single"],
                response: "GetServiceUserResponse",
                summary: "Get one user of a service by ServiceUserGuid or EmailAddress."
            ),
            ServiceStackOperation(
                request: getServiceUsers,
                method: "GET",
                routes: ["/api/services/{ServiceGuid}/users"],
                response: "GetServiceUsersResponse",
                summary: "A page of a service's users, in creation order."
            ),
            ServiceStackOperation(
                request: searchServiceUsers,
                method: "GET",
                routes: ["/api/services/users"],
                response: "SearchServiceUsersResponse",
                summary: "Service users whose names or address contain Token."
            ),
            ServiceStackOperation(
                request: updateServiceUser,
                method: "PUT",
                routes: ["/api/services/{ServiceGuid}/users"],
                response: "UpdateServiceUserResponse",
                summary: "Update a service user. Only fields sent in the request will be updated."
            ),
        ],
        types: [
            serviceUser,
            ServiceStackType(name: "CreateServiceUserResponse", properties: [.init(name: "ServiceUserGuid", kind: .guid), responseStatus]),
            ServiceStackType(name: "GetServiceUserResponse", properties: [.init(name: "ServiceUser", kind: .named("ServiceUser")), responseStatus]),
            ServiceStackType(name: "GetServiceUsersResponse", properties: pageProperties),
            ServiceStackType(name: "SearchServiceUsersResponse", properties: pageProperties),
            ServiceStackType(name: "UpdateServiceUserResponse", properties: [.init(name: "ServiceUser", kind: .named("ServiceUser")), responseStatus]),
        ],
        enums: [defaultSecure, blacklistMode]
    )
}
