import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

/// SCIM as a backend: any dialect forwarded to a SCIM service (a modern directory). Creates
/// `POST /Users`, reads `GET /Users/{id}`, replaces with `PUT` (Dragoman knows the whole
/// user), deletes, and lists in pages of 100 by `startIndex`. The upstream's base URL ends
/// where the service's `/Users` begins (`https://directory.example/scim/v2`).
extension SCIMDialect: BackendDialect {
    var carriedFields: Set<UserField> { Set(SCIMUserMapping.carried + [.password]) }

    func backendCreate(_ user: NewUser, tenant: String?) -> BackendRequest {
        Self.request(.post, "/Users", user)
    }

    func backendCreated(_ response: BackendResponse, tenant: String?) throws(GatewayFailure) -> String {
        try BackendAnswer.interpret(response, success: [200, 201], parse: { $0.member("id")?.textValue }, failure: backendFailure)
    }

    func backendRead(id: String) -> BackendRequest {
        .get("/Users/\(Self.escaped(id))")
    }

    func backendUser(_ response: BackendResponse) throws(GatewayFailure) -> UserProfile {
        try BackendAnswer.interpret(response, success: [200], parse: Self.profile(from:), failure: backendFailure)
    }

    func backendUpdate(id: String, user: NewUser, tenant: String?) -> BackendRequest? {
        Self.request(.put, "/Users/\(Self.escaped(id))", user)
    }

    func backendDelete(id: String) -> BackendRequest? {
        BackendRequest(method: .delete, path: "/Users/\(Self.escaped(id))")
    }

    func backendChanged(_ response: BackendResponse) throws(GatewayFailure) {
        try BackendAnswer.changed(response, failure: backendFailure)
    }

    /// `GET /Users?startIndex=…&count=100`; the continuation is the next page's `startIndex`.
    func backendList(continuation: String?, tenant: String?) -> BackendRequest? {
        .get("/Users?startIndex=\(continuation ?? "1")&count=\(Self.pageSize)")
    }

    private static let pageSize = 100

    func backendPage(_ response: BackendResponse, tenant: String?) throws(GatewayFailure) -> BackendPage {
        try BackendAnswer.interpret(
            response, success: [200],
            parse: { body in
                let resources = body.member("Resources")?.arrayValue ?? []
                let users = resources.compactMap { item in item.member("id")?.textValue.flatMap { id in Self.profile(from: item).map { (id, $0) } } }
                guard users.count == resources.count else { return nil }
                var times: [String: BackendTimes] = [:]
                for (item, user) in zip(resources, users) { times[user.0] = backendTimes(item) }
                let start = body.member("startIndex")?.textValue.flatMap { Int($0) } ?? 1
                let total = body.member("totalResults")?.textValue.flatMap { Int($0) } ?? 0
                let next = start + resources.count
                return BackendPage(users: users, next: !resources.isEmpty && next <= total ? String(next) : nil, times: times)
            }, failure: backendFailure)
    }

    /// `meta.created` and `meta.lastModified`.
    func backendTimes(_ body: JSONValue) -> BackendTimes {
        let meta = body.member("meta")
        return BackendTimes(
            created: meta?.member("created")?.textValue.flatMap(RFC3339.parse), updated: meta?.member("lastModified")?.textValue.flatMap(RFC3339.parse))
    }

    func canonicalField(wire: String) -> UserField? {
        let path = wire.split(separator: " ").first.map(String.init) ?? wire
        return SCIMUserMapping.carried.first { Self.wireName($0).caseInsensitiveCompare(path) == .orderedSame }
            ?? (path.caseInsensitiveCompare("password") == .orderedSame ? .password : nil)
    }

    private static func request(_ method: HTTPRequest.Method, _ path: String, _ user: NewUser) -> BackendRequest {
        var resource = SCIMUserMapping.attributes(of: user.profile, userName: user.profile.userName ?? user.profile.email)
        if let password = user.password { resource["password"] = .string(password.exposedValue) }
        var writer = JSONWriter()
        writer.value(.object(resource))
        return BackendRequest(method: method, path: path, body: writer.bytes, contentType: SCIMPaths.mediaType)
    }

    private static func profile(from body: JSONValue) -> UserProfile? {
        guard case .object(let members) = body, members["id"] != nil else { return nil }
        var ignored: [FieldViolation] = []
        return SCIMUserMapping.profile(of: SCIMResource(checking: members, violations: &ignored)).profile
    }

    private static func escaped(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? id
    }

    /// A SCIM error from the backend, in canonical terms: 404 is not found, `uniqueness` a
    /// taken `userName`, anything else a refusal with the service's `detail`.
    private func backendFailure(_ status: Int, _ body: JSONValue?) -> GatewayFailure {
        let detail = body?.member("detail")?.textValue ?? "The backend refused the request (\(status))"
        switch (status, body?.member("scimType")?.textValue) {
        case (404, _): return .service(.notFound)
        case (409, _), (_, "uniqueness"?): return .service(.duplicate(Conflict(key: .userName, existingID: nil, value: nil)))
        default: return BackendAnswer.refusal([], message: detail)
        }
    }
}
