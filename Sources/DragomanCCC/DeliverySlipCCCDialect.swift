import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

/// The DeliverySlip CCC API (a ServiceStack service) `CreateServiceUser`:
/// `POST /api/services/{ServiceGuid}/users`, with ServiceStack's binding and format conventions.
struct DeliverySlipCCCDialect: UserDialect {
    static let languages = ["en", "fr", "de", "es", "ja", "nl", "zh"]

    /// The services and groups a create must name, when the configuration lists any.
    var directory = ServiceDirectory()

    var id: DialectID { .deliverySlipCCC }

    /// The custom routes, then ServiceStack's pre-defined ones under every base it answers
    /// (``ServiceStackRoutes``): `/api/{RequestName}` (the default of its current clients),
    /// `/api/json/reply/{RequestName}` and, kept from before, `/json/reply/{RequestName}`. Other
    /// names there are ServiceStack's 405.
    var routes: [DialectRoute] {
        [
            DialectRoute(method: .post, path: "/api/services/:serviceGuid/users", operation: .create),
            DialectRoute(method: .get, path: "/api/services/:serviceGuid/users/single", operation: .read),
            DialectRoute(method: .get, path: "/api/services/:serviceGuid/users", operation: .list),
            DialectRoute(method: .get, path: "/api/services/users", operation: .list),
            DialectRoute(method: .put, path: "/api/services/:serviceGuid/users", operation: .update),
        ].flatMap { route in
            // Each custom route also with a format suffix (`users.json`, `users.xml`, …).
            [route] + ServiceStackFormat.allCases.map { DialectRoute(method: route.method, path: "\(route.path).\($0.rawValue)", operation: route.operation) }
        }
            + ServiceStackRoutes.bases.flatMap { base in
                [
                    DialectRoute(method: .post, path: "\(base)/\(CCCOperation.create)", operation: .create),
                    DialectRoute(method: .get, path: "\(base)/\(CCCOperation.read)", operation: .read),
                    DialectRoute(method: .get, path: "\(base)/\(CCCOperation.list)", operation: .list),
                    DialectRoute(method: .get, path: "\(base)/\(CCCOperation.search)", operation: .list),
                    DialectRoute(method: .put, path: "\(base)/\(CCCOperation.update)", operation: .update),
                ]
                    + ServiceStackRoutes.methods.map { DialectRoute(method: $0, path: "\(base)/:operation", operation: .unknownOperation) }
            }
    }

    var profile: ValidationProfile {
        ValidationProfile(
            required: [.tenant, .email, .password, .givenName, .familyName],
            uniqueKeys: [.email],
            languages: Self.languages,
            rules: [directory.rule]
        )
    }

    /// JSON and forms, and ServiceStack's XML, JSV and CSV.
    func bodyFormat(for mediaType: MediaType?) -> BodyFormat? {
        guard let mediaType, mediaType.hasUTF8Charset else { return nil }
        if mediaType.isJSON { return .json }
        if mediaType.isForm { return .form }
        return ServiceStackFormat(mediaType: mediaType).map { .dialect($0.rawValue) }
    }

    func parseBody(_ bytes: [UInt8], as format: BodyFormat) throws(GatewayFailure) -> JSONValue {
        guard case .dialect(let name) = format, let format = ServiceStackFormat(rawValue: name) else { return try WireBody.parse(bytes, as: format) }
        return try format.parse(bytes)
    }

    func decodeCreate(_ request: DialectRequest) throws(GatewayFailure) -> DecodedCreate {
        try checkFormat(request)
        var body = try WireObject(request.body, caseInsensitive: true).merging(queryFields(request))
        var profile = UserProfile()
        let service = serviceGUID(request, body: &body)
        profile.email = body.string(CCCField.emailAddress)
        let password = body.string(CCCField.password).map(Secret.init)
        profile.givenName = body.string(CCCField.firstName)
        profile.familyName = body.string(CCCField.lastName)
        profile.language = body.string(CCCField.language)
        var options = ServiceOptions(serviceID: service ?? "")
        options.preRegister = body.bool(CCCField.preRegister, acceptingStrings: true)
        options.skipRegistrationConfirmation = body.bool(CCCField.skipRegConfirmation, acceptingStrings: true)
        options.groupGUID = guidField(CCCField.serviceUserGroupGuid, in: &body)
        options.groupType = body.enumeration(CCCField.serviceUserGroupType, ServiceOptions.GroupType.self)
        options.enableCampaigns = body.bool(CCCField.enableCampaigns, acceptingStrings: true)
        options.enableESignatures = body.bool(CCCField.enableESignatures, acceptingStrings: true)
        options.defaultSecure = body.enumeration(CCCField.defaultSecure, ServiceOptions.DefaultSecure.self)
        options.blacklistMode = body.enumeration(CCCField.blacklistMode, ServiceOptions.BlacklistMode.self)
        profile.service = options
        let realm = CCCRealm.realm(service: service ?? "")
        return DecodedCreate(user: NewUser(realm: realm, profile: profile, password: password), violations: body.violations)
    }

    /// The service: the path's, else the body's or query's `ServiceGuid`.
    private func serviceGUID(_ request: DialectRequest, body: inout WireObject) -> String? {
        if let path = request.parameters["serviceGuid"] {
            guard let guid = ServiceStack.guid(path) else {
                body.fail(CCCField.serviceGuid, .invalidFormat(expected: "a GUID"))
                return nil
            }
            return guid
        }
        return guidField(CCCField.serviceGuid, in: &body)
    }

    private func guidField(_ name: String, in body: inout WireObject) -> String? {
        guard let text = body.string(name), !text.isEmpty else { return nil }
        guard let guid = ServiceStack.guid(text) else {
            body.fail(name, .invalidFormat(expected: "a GUID"))
            return nil
        }
        return guid
    }

    /// A request DTO value outside the path: the query's, else the body's (names case-insensitive).
    static func parameter(_ name: String, _ request: DialectRequest) -> String? {
        request.queryValue(name) ?? request.body?.member(name)?.textValue
    }

    /// Query values bind to the request DTO too, below the body; `format` and `callback` are ours.
    private func queryFields(_ request: DialectRequest) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [:]
        for item in request.query where !["format", "callback"].contains(item.name.lowercased()) {
            fields[item.name] = .string(item.value)
        }
        return fields
    }

    /// JSONP (`?callback=`) answers JSON whatever else the request asks for, as ServiceStack
    /// does; otherwise `?format=` must name a format Dragoman serves.
    func checkFormat(_ request: DialectRequest) throws(GatewayFailure) {
        guard request.queryValue("callback") == nil else { return }
        if let format = request.queryValue("format"), ServiceStackFormat.requested(by: request) == nil {
            let served = ServiceStackFormat.allCases.map(\.rawValue).joined(separator: ", ")
            throw .notAcceptable("Dragoman answers the CCC API in \(served); format '\(format)' is not available")
        }
    }

    func lookup(_ request: DialectRequest) throws(GatewayFailure) -> UserLookup {
        try checkFormat(request)
        let service = request.parameters["serviceGuid"] ?? Self.parameter(CCCField.serviceGuid, request)
        guard let service, let serviceID = ServiceStack.guid(service) else {
            throw .invalidParameter(parameter: CCCField.serviceGuid, reason: "'\(service ?? "")' is not a valid GUID")
        }
        if let text = Self.parameter(CCCField.serviceUserGuid, request), !text.isEmpty {
            guard let guid = ServiceStack.guid(text), let uuid = ServiceStack.uuid(fromGUID: guid) else {
                throw .invalidParameter(parameter: CCCField.serviceUserGuid, reason: "'\(text)' is not a valid GUID")
            }
            return .uuid(uuid)
        }
        if let email = Self.parameter(CCCField.emailAddress, request), !email.isEmpty {
            return .email(realm: CCCRealm.realm(service: serviceID), address: email)
        }
        throw .invalidParameter(parameter: CCCField.serviceUserGuid, reason: "One of ServiceUserGuid or EmailAddress is required")
    }

    /// An address not found among the service's own users is looked for among the users that
    /// belong to no service (created through another dialect), as a read by ServiceUserGuid finds them.
    func fallback(after lookup: UserLookup, request: DialectRequest) -> UserLookup? {
        guard case .email(let realm, let address) = lookup, realm != Realm.shared else { return nil }
        return .email(realm: Realm.shared, address: address)
    }

    /// A read sees the service's own users and users that belong to no service (created through
    /// another dialect); with both ServiceUserGuid and EmailAddress given, they must match.
    func isVisible(_ user: User, to request: DialectRequest) -> Bool {
        let service = (request.parameters["serviceGuid"] ?? Self.parameter(CCCField.serviceGuid, request)).flatMap(ServiceStack.guid)
        if let own = user.profile.service?.serviceID, own != service { return false }
        if let email = Self.parameter(CCCField.emailAddress, request), !email.isEmpty {
            return EmailAddress.key(email) == user.profile.email.map(EmailAddress.key)
        }
        return true
    }

    func created(_ user: User, request: DialectRequest) -> DialectResponse {
        present(.json(.ok, CreateServiceUserResponse(serviceUserGuid: user.id.compactUUID)), request: request)
    }

    func read(_ user: User, request: DialectRequest) -> DialectResponse {
        present(.json(.ok, GetServiceUserResponse(serviceUser: Self.serviceUser(user))), request: request)
    }

    /// The `ServiceUser` read model of `user`.
    static func serviceUser(_ user: User) -> ServiceUser {
        let p = user.profile
        let names = p.nameParts
        let options = p.service
        return ServiceUser(
            serviceUserGuid: user.id.compactUUID,
            emailAddress: p.email,
            createdOn: ServiceStack.date(user.createdAt),
            firstName: names.given,
            lastName: names.family,
            status: (p.active ?? true) ? "Active" : "Disabled",
            language: p.language,
            groupGuid: options?.groupGUID,
            groupType: options?.groupType?.rawValue,
            enableCampaigns: options?.enableCampaigns ?? false,
            enableESignatures: options?.enableESignatures ?? false,
            defaultSecure: options?.defaultSecure?.rawValue,
            blacklistMode: options?.blacklistMode?.rawValue
        )
    }

    func wireName(_ field: UserField) -> String { CCCErrors.wireName(field) }

    func failure(_ failure: GatewayFailure, request: DialectRequest) -> DialectResponse {
        present(CCCErrors.response(for: failure), request: request)
    }

    /// `response` (JSON) in the format the request asks for: JSONP for `?callback=`, else
    /// XML, JSV or CSV as ``ServiceStackFormat`` chooses, the root named for the operation's
    /// response DTO.
    func present(_ response: DialectResponse, request: DialectRequest) -> DialectResponse {
        if let callback = request.queryValue("callback") { return ServiceStack.jsonp(response, callback: callback) }
        guard let format = ServiceStackFormat.requested(by: request), format != .json,
            response.headers[.contentType]?.hasPrefix("application/json") == true,
            let body = try? StrictJSONParser.parse(response.body, maxDepth: 64)
        else { return response }
        var converted = response
        converted.body = format.render(body, root: CCCOperation.responseName(for: request))
        converted.headers[.contentType] = format.contentType
        return converted
    }
}
