import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

extension TelnessConnectDialect: BackendDialect {
    var carriedFields: Set<UserField> { [.givenName, .familyName, .displayName, .email, .phone, .identity, .metadata] }

    func backendCreate(_ user: NewUser, tenant: String?) -> BackendRequest {
        .json(.post, "/users", Self.fields(user))
    }

    /// `PUT /users/{userId}`: every field optional; Dragoman sends all it knows.
    func backendUpdate(id: String, user: NewUser, tenant: String?) -> BackendRequest? {
        .json(.put, "/users/\(id)", Self.fields(user))
    }

    func backendChanged(_ response: BackendResponse) throws(GatewayFailure) {
        try BackendAnswer.changed(response, failure: backendFailure)
    }

    /// `GET /users` in the largest pages the API allows, following `nextCursor`.
    func backendList(continuation: String?, tenant: String?) -> BackendRequest? {
        let cursor =
            continuation.map {
                "&cursor=\($0.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? $0)"
            } ?? ""
        return .get("/users?limit=1000\(cursor)")
    }

    func backendPage(_ response: BackendResponse, tenant: String?) throws(GatewayFailure) -> BackendPage {
        try BackendAnswer.interpret(
            response, success: [200],
            parse: { body in
                guard let items = body.member("items")?.arrayValue else { return nil }
                let users = items.compactMap { item in item.member("userId")?.textValue.flatMap { id in Self.profile(from: item).map { (id, $0) } } }
                guard users.count == items.count else { return nil }
                var times: [String: BackendTimes] = [:]
                for (item, user) in zip(items, users) { times[user.0] = backendTimes(item) }
                return BackendPage(users: users, next: body.member("pagination")?.member("nextCursor")?.textValue, times: times)
            }, failure: backendFailure)
    }

    private static func fields(_ user: NewUser) -> [String: JSONValue?] {
        let p = user.profile
        return [
            TelnessField.name: .text(p.fullName), TelnessField.email: .text(p.email), TelnessField.msisdn: .text(p.phone),
            TelnessField.identity: .text(p.identity), TelnessField.metadata: p.metadata.map(JSONValue.object),
        ]
    }

    func backendCreated(_ response: BackendResponse, tenant: String?) throws(GatewayFailure) -> String {
        try BackendAnswer.interpret(response, success: [200, 201], parse: { $0.member("userId")?.textValue }, failure: backendFailure)
    }

    func backendRead(id: String) -> BackendRequest {
        .get("/users/\(id)")
    }

    func backendUser(_ response: BackendResponse) throws(GatewayFailure) -> UserProfile {
        try BackendAnswer.interpret(response, success: [200], parse: Self.profile(from:), failure: backendFailure)
    }

    static func profile(from body: JSONValue) -> UserProfile? {
        guard body.member("userId") != nil, let name = body.member(TelnessField.name)?.textValue else { return nil }
        var profile = UserProfile()
        profile.displayName = name
        (profile.givenName, profile.familyName) = PersonName.split(name)
        profile.email = body.member(TelnessField.email)?.textValue
        profile.phone = body.member(TelnessField.msisdn)?.textValue
        profile.identity = body.member(TelnessField.identity)?.textValue
        if case .object(let metadata)? = body.member(TelnessField.metadata), !metadata.isEmpty { profile.metadata = metadata }
        return profile
    }

    private func backendFailure(_ status: Int, _ body: JSONValue?) -> GatewayFailure {
        let code = body?.member("code")?.textValue ?? ""
        let message = body?.member("message")?.textValue ?? "The backend refused the request (\(status))"
        switch (status, code) {
        case (404, _): return .service(.notFound)
        case (409, "USER_ALREADY_EXISTS"):
            let property = body?.member("details")?.arrayValue?.first?.member("property")?.textValue
            return .service(.duplicate(Conflict(key: property == TelnessField.msisdn ? .phone : .email, existingID: nil, value: nil)))
        default:
            break
        }
        let violations = (body?.member("details")?.arrayValue ?? []).compactMap { detail -> FieldViolation? in
            guard let property = detail.member("property")?.textValue else { return nil }
            let required = detail.member("code")?.textValue == "FIELD_REQUIRED"
            return BackendAnswer.violation(
                wire: property, required: required, reason: detail.member("message")?.textValue ?? message, field: canonicalField(wire:))
        }
        return BackendAnswer.refusal(violations, message: message)
    }

    /// `createdAt` and `updatedAt`, RFC 3339.
    func backendTimes(_ body: JSONValue) -> BackendTimes {
        BackendTimes(
            created: body.member("createdAt")?.textValue.flatMap(RFC3339.parse), updated: body.member("updatedAt")?.textValue.flatMap(RFC3339.parse))
    }

    func canonicalField(wire: String) -> UserField? {
        wire == TelnessField.name ? .displayName : BackendAnswer.field(wire: wire, wireName: Self.wireName)
    }
}
