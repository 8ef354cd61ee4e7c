import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

extension DeliverySlipCCCDialect: BackendDialect {
    /// ServiceStack's credentials login, for upstreams with `auth.scheme: session`.
    var signIn: (any BackendSignIn)? { ServiceStackSignIn() }

    var carriedFields: Set<UserField> {
        [
            .givenName, .familyName, .displayName, .email, .password, .language, .tenant, .preRegister, .skipRegistrationConfirmation, .groupGUID,
            .groupType, .enableCampaigns, .enableESignatures, .defaultSecure, .blacklistMode,
        ]
    }

    func backendCreate(_ user: NewUser, tenant serviceID: String?) -> BackendRequest {
        let p = user.profile
        let names = p.nameParts
        let options = p.service
        let service = serviceID ?? options?.serviceID ?? ""
        return .json(
            .post,
            "/api/services/\(service)/users",
            [
                "emailAddress": .text(p.email), "password": .text(user.password?.exposedValue), "firstName": .text(names.given),
                "lastName": .text(names.family), "preRegister": .flag(options?.preRegister),
                "skipRegConfirmation": .flag(options?.skipRegistrationConfirmation), "serviceUserGroupGuid": .text(options?.groupGUID),
                "serviceUserGroupType": .text(options?.groupType?.rawValue), "language": .text(p.language),
                "enableCampaigns": .flag(options?.enableCampaigns), "enableESignatures": .flag(options?.enableESignatures),
                "defaultSecure": .text(options?.defaultSecure?.rawValue), "blacklistMode": .text(options?.blacklistMode?.rawValue),
            ]
        )
    }

    /// The backend id of a CCC user is `<service GUID>/<user GUID>`: a read needs both.
    func backendCreated(_ response: BackendResponse, tenant serviceID: String?) throws(GatewayFailure) -> String {
        let guid = try BackendAnswer.interpret(response, success: [200, 201], parse: { $0.member("serviceUserGuid")?.textValue }, failure: backendFailure)
        return "\(serviceID ?? "")/\(guid)"
    }

    /// What UpdateServiceUser changes: no address, password, group or registration options.
    var updatableFields: Set<UserField> {
        [.givenName, .familyName, .displayName, .language, .enableCampaigns, .enableESignatures, .defaultSecure, .blacklistMode]
    }

    /// UpdateServiceUser: the fields it changes, the user named in the query.
    func backendUpdate(id: String, user: NewUser, tenant serviceID: String?) -> BackendRequest? {
        let parts = id.split(separator: "/")
        let p = user.profile
        let names = p.nameParts
        let options = p.service
        return .json(
            .put,
            "/api/services/\(parts.first ?? "")/users?ServiceUserGuid=\(parts.last ?? "")",
            [
                "firstName": .text(names.given), "lastName": .text(names.family), "language": .text(p.language),
                "enableCampaigns": .flag(options?.enableCampaigns), "enableESignatures": .flag(options?.enableESignatures),
                "defaultSecure": .text(options?.defaultSecure?.rawValue), "blacklistMode": .text(options?.blacklistMode?.rawValue),
            ]
        )
    }

    func backendChanged(_ response: BackendResponse) throws(GatewayFailure) {
        try BackendAnswer.changed(response, failure: backendFailure)
    }

    /// GetServiceUsers of the upstream's service, page by page; the continuation is the page number.
    func backendList(continuation: String?, tenant serviceID: String?) -> BackendRequest? {
        guard let serviceID else { return nil }
        return .get("/api/services/\(serviceID)/users?PageSize=1000&Page=\(continuation ?? "1")")
    }

    func backendPage(_ response: BackendResponse, tenant serviceID: String?) throws(GatewayFailure) -> BackendPage {
        try BackendAnswer.interpret(
            response, success: [200],
            parse: { body in
                guard let results = body.member("results")?.arrayValue else { return nil }
                let users = results.compactMap { user -> (id: String, profile: UserProfile)? in
                    guard let guid = user.member("serviceUserGuid")?.textValue, let profile = Self.profile(from: .object(["serviceUser": user])) else {
                        return nil
                    }
                    return ("\(serviceID ?? "")/\(guid)", profile)
                }
                guard users.count == results.count else { return nil }
                let current = body.member("currentPage")?.textValue.flatMap(Int.init) ?? 1
                let pages = body.member("totalPages")?.textValue.flatMap(Int.init) ?? 1
                return BackendPage(users: users, next: current < pages ? String(current + 1) : nil)
            }, failure: backendFailure)
    }

    func backendRead(id: String) -> BackendRequest {
        let parts = id.split(separator: "/")
        return .get("/api/services/\(parts.first ?? "")/users/single?ServiceUserGuid=\(parts.last ?? "")")
    }

    func backendUser(_ response: BackendResponse) throws(GatewayFailure) -> UserProfile {
        try BackendAnswer.interpret(response, success: [200], parse: Self.profile(from:), failure: backendFailure)
    }

    static func profile(from body: JSONValue) -> UserProfile? {
        guard let user = body.member("serviceUser"), user.member("serviceUserGuid") != nil else { return nil }
        var profile = UserProfile()
        profile.email = user.member("emailAddress")?.textValue
        profile.givenName = user.member("firstName")?.textValue
        profile.familyName = user.member("lastName")?.textValue
        profile.language = user.member("language")?.textValue
        profile.active = user.member("status")?.textValue.map { $0 == "Active" }
        return profile
    }

    private func backendFailure(_ status: Int, _ body: JSONValue?) -> GatewayFailure {
        let responseStatus = body?.member("responseStatus")
        let message = responseStatus?.member("message")?.textValue ?? "The backend refused the request (\(status))"
        switch status {
        case 404: return .service(.notFound)
        case 409: return .service(.duplicate(Conflict(key: .email, existingID: nil, value: nil)))
        default: break
        }
        let violations = (responseStatus?.member("errors")?.arrayValue ?? []).compactMap { error -> FieldViolation? in
            guard let name = error.member("fieldName")?.textValue else { return nil }
            let required = error.member("errorCode")?.textValue == "NotEmpty"
            return BackendAnswer.violation(wire: name, required: required, reason: error.member("message")?.textValue ?? message, field: canonicalField(wire:))
        }
        return BackendAnswer.refusal(violations, message: message)
    }

    func canonicalField(wire: String) -> UserField? {
        BackendAnswer.field(wire: wire, fields: UserField.standard + UserField.serviceOptions, wireName: CCCErrors.wireName)
    }
}
