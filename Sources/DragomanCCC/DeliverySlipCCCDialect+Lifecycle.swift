import DragomanCore
import DragomanDialectKit
import HTTPTypes

/// `UpdateServiceUser`, `GetServiceUsers` and `SearchServiceUsers`, as the CCC API documents
/// them. The vendor documents no delete.
extension DeliverySlipCCCDialect {
    /// The fields UpdateServiceUser changes ("Only fields sent in the request will be updated");
    /// others in the body (the identifiers, an address or a password) change nothing, since the
    /// vendor's DTO has no such property to bind.
    static let updatableFields = [
        CCCField.firstName, CCCField.lastName, CCCField.language, CCCField.enableCampaigns, CCCField.enableESignatures, CCCField.defaultSecure,
        CCCField.blacklistMode,
    ]

    func decodeUpdate(_ request: DialectRequest) throws(GatewayFailure) -> DecodedUpdate {
        let decoded = try decodeCreate(request)
        let sent = decoded.user.profile
        var patch = UserProfile()
        patch.givenName = sent.givenName
        patch.familyName = sent.familyName
        patch.language = sent.language
        if let options = sent.service {
            var changed = ServiceOptions(serviceID: options.serviceID)
            changed.enableCampaigns = options.enableCampaigns
            changed.enableESignatures = options.enableESignatures
            changed.defaultSecure = options.defaultSecure
            changed.blacklistMode = options.blacklistMode
            if changed != ServiceOptions(serviceID: options.serviceID) { patch.service = changed }
        }
        let updatable = Set(Self.updatableFields.map { $0.lowercased() })
        let violations = decoded.violations.filter { violation in
            switch violation.field {
            case .canonical(let field): updatable.contains(wireName(field).lowercased())
            case .wire(let name): updatable.contains(name.lowercased())
            }
        }
        return DecodedUpdate(patch: UserPatch(profile: patch), violations: violations)
    }

    /// The updated user, as GetServiceUser shows it (the vendor documents no response body).
    func updated(_ user: User, request: DialectRequest) -> DialectResponse {
        read(user, request: request)
    }

    /// GetServiceUsers (`/api/services/{ServiceGuid}/users`: the service's users and users of no
    /// service) and SearchServiceUsers (`/api/services/users`: every service unless
    /// `ServiceGuid` is given): `Token` (case-insensitive text over the names and the address),
    /// `ServiceUserGroupGuid`, `ServiceUserGroupType`, `Page` (from 1) and `PageSize` (1–1000,
    /// default 25).
    func listQuery(_ request: DialectRequest) throws(GatewayFailure) -> DialectListQuery {
        try checkFormat(request)
        let search = request.path.hasSuffix("/services/users") || request.path.hasSuffix(CCCOperation.search)
        for scope in CCCListField.unsupportedScopes where Self.parameter(scope, request) != nil {
            throw .invalidParameter(parameter: scope, reason: "Dragoman's services have no \(ServiceStack.label(scope)); search by ServiceGuid or Token")
        }
        var query = UserListQuery(limit: 25)
        let serviceText = request.parameters["serviceGuid"] ?? Self.parameter(CCCField.serviceGuid, request)
        if let serviceText, !serviceText.isEmpty {
            guard let service = ServiceStack.guid(serviceText) else {
                throw .invalidParameter(parameter: CCCField.serviceGuid, reason: "'\(serviceText)' is not a valid GUID")
            }
            query.realms = [CCCRealm.realm(service: service), Realm.shared]
        } else if !search {
            throw .invalidParameter(parameter: CCCField.serviceGuid, reason: "'\(ServiceStack.label(CCCField.serviceGuid))' must not be empty.")
        }
        query.text = Self.parameter(CCCListField.token, request).flatMap { $0.isEmpty ? nil : $0 }
        if let group = Self.parameter(CCCField.serviceUserGroupGuid, request), !group.isEmpty {
            guard let guid = ServiceStack.guid(group) else {
                throw .invalidParameter(parameter: CCCField.serviceUserGroupGuid, reason: "'\(group)' is not a valid GUID")
            }
            query.fieldEquals.append(FieldMatch(.groupGUID, guid))
        }
        if let type = Self.parameter(CCCField.serviceUserGroupType, request), !type.isEmpty {
            guard let groupType = ServiceOptions.GroupType.allCases.first(where: { $0.rawValue.lowercased() == type.lowercased() }) else {
                let allowed = ServiceOptions.GroupType.allCases.map(\.rawValue).joined(separator: ", ")
                throw .invalidParameter(parameter: CCCField.serviceUserGroupType, reason: "'\(type)' is not one of \(allowed)")
            }
            query.fieldEquals.append(FieldMatch(.groupType, groupType.rawValue))
        }
        let size = try Self.whole(CCCListField.pageSize, request, in: 1...1000) ?? 25
        let page = try Self.whole(CCCListField.page, request, in: 1...Int(Int32.max)) ?? 1
        query.limit = size
        query.offset = (page - 1) * size
        return DialectListQuery(query: query)
    }

    func listed(_ page: UserPage, query: UserListQuery, request: DialectRequest) -> DialectResponse {
        let size = max(query.limit, 1)
        let body = ServiceUserPage(
            pageSize: size,
            totalPages: (page.total + size - 1) / size,
            totalItems: page.total,
            currentPage: query.offset / size + 1,
            results: page.users.map(Self.serviceUser)
        )
        return present(.json(.ok, body), request: request)
    }

    /// A whole number parameter within `range`, or `nil` when absent.
    private static func whole(_ name: String, _ request: DialectRequest, in range: ClosedRange<Int>) throws(GatewayFailure) -> Int? {
        guard let text = parameter(name, request), !text.isEmpty else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw .invalidParameter(parameter: name, reason: "'\(ServiceStack.label(name))' must be between \(range.lowerBound) and \(range.upperBound).")
        }
        return value
    }
}
