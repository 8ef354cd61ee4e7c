package import DragomanCore
package import Foundation
package import HTTPTypes

/// A request Dragoman sends to a backend, relative to the upstream's base URL.
package struct BackendRequest: Sendable, Equatable {
    package var method: HTTPRequest.Method
    /// Path and query, starting with `/`.
    package var path: String
    package var body: [UInt8]?
    package var contentType: String?
    /// Further header fields, such as an idempotency key.
    package var headers: HTTPFields = [:]

    /// Whether `headers` carry an idempotency key the backend honours.
    package var carriesIdempotencyKey = false

    /// Whether sending the request twice is harmless: a read, or a create under an idempotency key.
    package var isRetrySafe: Bool { method == .get || carriesIdempotencyKey }

    package static func json(_ method: HTTPRequest.Method, _ path: String, _ fields: [String: JSONValue?]) -> BackendRequest {
        var writer = JSONWriter()
        writer.value(.object(fields.compactMapValues { $0 }))
        let body = writer.bytes
        return BackendRequest(method: method, path: path, body: body, contentType: "application/json; charset=utf-8")
    }

    package static func get(_ path: String) -> BackendRequest {
        BackendRequest(method: .get, path: path)
    }

    package init(method: HTTPRequest.Method, path: String, body: [UInt8]? = nil, contentType: String? = nil, headers: HTTPFields = [:]) {
        self.method = method
        self.path = path
        self.body = body
        self.contentType = contentType
        self.headers = headers
    }
}

/// What a backend answered.
package struct BackendResponse: Sendable {
    package var status: Int
    package var headers: HTTPFields
    package var body: [UInt8]

    /// The body as neutral JSON, or `nil` if it is not JSON.
    package var json: JSONValue? {
        guard !body.isEmpty else { return nil }
        return try? StrictJSONParser.parse(body, maxDepth: 64)
    }

    package init(status: Int, headers: HTTPFields, body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// The backend side of a dialect: how Dragoman, forwarding, speaks it to a real server.
package protocol BackendDialect: UserDialect {
    /// The canonical fields this dialect's create can carry. A backend that requires the
    /// tenant gets it as `tenant` in the calls below: the user's own, else the upstream's.
    var carriedFields: Set<UserField> { get }
    /// The canonical fields this dialect's update can change (by default, those its create carries).
    var updatableFields: Set<UserField> { get }
    func backendCreate(_ user: NewUser, tenant: String?) -> BackendRequest
    /// The backend's id for the created user, or the failure its answer means.
    func backendCreated(_ response: BackendResponse, tenant: String?) throws(GatewayFailure) -> String
    func backendRead(id: String) -> BackendRequest
    func backendUser(_ response: BackendResponse) throws(GatewayFailure) -> UserProfile
    /// The canonical field a wire name of this dialect stands for.
    func canonicalField(wire: String) -> UserField?
    /// The dialect's own session login, when it has one (`auth.scheme: session`).
    var signIn: (any BackendSignIn)? { get }
    /// The update of the backend's user `id` to `user` (every field Dragoman knows of it, the
    /// caller's change applied), or `nil` when the dialect documents no update.
    func backendUpdate(id: String, user: NewUser, tenant: String?) -> BackendRequest?
    /// The delete of the backend's user `id`, or `nil` when the dialect documents no delete.
    func backendDelete(id: String) -> BackendRequest?
    /// Nothing when the backend's answer to an update or delete is a success; its failure otherwise.
    func backendChanged(_ response: BackendResponse) throws(GatewayFailure)
    /// The request for a page of the backend's users, after the page whose continuation is
    /// `continuation` (`nil`: the first), or `nil` when the dialect documents no list.
    func backendList(continuation: String?, tenant: String?) -> BackendRequest?
    /// The users on a page (backend ids and profiles) and the continuation of the next page
    /// (`nil` on the last).
    func backendPage(_ response: BackendResponse, tenant: String?) throws(GatewayFailure) -> BackendPage
    /// When the backend says the user in `body` (a read's answer, or an entry of a list) was
    /// created and last changed, where its dialect shows it.
    func backendTimes(_ body: JSONValue) -> BackendTimes
}

/// A backend's own facts about when a user was created and last changed.
package struct BackendTimes: Sendable, Equatable {
    package var created: Date?
    package var updated: Date?

    package init(created: Date? = nil, updated: Date? = nil) {
        self.created = created
        self.updated = updated
    }
}

/// One page of a backend's users.
package struct BackendPage: Sendable {
    package var users: [(id: String, profile: UserProfile)]
    package var next: String?
    /// The backend's times for its users, by backend id, where its dialect shows them.
    package var times: [String: BackendTimes]

    package init(users: [(id: String, profile: UserProfile)], next: String? = nil, times: [String: BackendTimes] = [:]) {
        self.users = users
        self.next = next
        self.times = times
    }
}

extension BackendDialect {
    package var signIn: (any BackendSignIn)? { nil }
    package var updatableFields: Set<UserField> { carriedFields }
    package func backendUpdate(id: String, user: NewUser, tenant: String?) -> BackendRequest? { nil }
    package func backendDelete(id: String) -> BackendRequest? { nil }
    package func backendList(continuation: String?, tenant: String?) -> BackendRequest? { nil }
    package func backendPage(_ response: BackendResponse, tenant: String?) throws(GatewayFailure) -> BackendPage { BackendPage(users: [], next: nil) }
    package func backendTimes(_ body: JSONValue) -> BackendTimes { BackendTimes() }
}

/// Shared reading of backend answers.
package enum BackendAnswer {
    /// Interprets `response`: a status in `success` with a body `parse` accepts is a success;
    /// 4xx goes to the dialect's `failure`; 5xx is the backend's failure; anything else breaks
    /// the contract and is a 502.
    package static func interpret<T>(
        _ response: BackendResponse,
        success: Set<Int>,
        parse: (JSONValue) -> T?,
        failure: (Int, JSONValue?) -> GatewayFailure
    ) throws(GatewayFailure) -> T {
        if success.contains(response.status) {
            guard let json = response.json, let value = parse(json) else {
                throw .badGateway("the backend answered \(response.status) with a body its dialect does not define")
            }
            return value
        }
        switch response.status {
        case 401, 403: throw .badGateway("the backend refused Dragoman's credentials (\(response.status))")
        case 400..<500: throw failure(response.status, response.json)
        case 500..<600: throw .backendFailed
        default: throw .badGateway("the backend answered an unexpected status \(response.status)")
        }
    }

    /// Interprets the answer to an update or delete: any 2xx is a success, whatever its body;
    /// otherwise as ``interpret(_:success:parse:failure:)`` reads a failure.
    package static func changed(_ response: BackendResponse, failure: (Int, JSONValue?) -> GatewayFailure) throws(GatewayFailure) {
        guard !(200..<300).contains(response.status) else { return }
        _ = try interpret(response, success: [], parse: { _ in true }, failure: failure)
    }

    /// Reverse of a dialect's `wireName`: the first canonical field with that wire name.
    package static func field(wire: String, fields: [UserField] = UserField.standard, wireName: (UserField) -> String) -> UserField? {
        fields.first { wireName($0).lowercased() == wire.lowercased() }
    }

    /// What a backend said of its field `wire`: that it is required, or refused with `reason`;
    /// in canonical terms when the field has a canonical name, by its wire name otherwise.
    package static func violation(wire: String, required: Bool, reason: String, field: (String) -> UserField?) -> FieldViolation {
        let rule: FieldViolation.Rule = required ? .required : .backendRejected(reason: reason)
        return field(wire).map { FieldViolation($0, rule) } ?? FieldViolation(.wire(wire), rule)
    }

    /// A backend's refusal: per field when it named fields, else its message as a whole.
    package static func refusal(_ violations: [FieldViolation], message: String) -> GatewayFailure {
        violations.isEmpty ? .backendRejected(message) : .service(.invalid(violations))
    }
}

extension JSONValue {
    /// A JSON value from an optional string.
    package static func text(_ value: String?) -> JSONValue? { value.map(JSONValue.string) }
    package static func flag(_ value: Bool?) -> JSONValue? { value.map(JSONValue.bool) }

    package var textValue: String? {
        switch self {
        case .string(let text): text
        case .integer(let number): String(number)
        default: nil
        }
    }

    package var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    package var boolValue: Bool? {
        switch self {
        case .bool(let value): value
        case .string(let text): text.lowercased() == "true" ? true : text.lowercased() == "false" ? false : nil
        default: nil
        }
    }

    package var idsValue: [Int64]? {
        guard case .array(let items) = self else { return nil }
        return items.compactMap { item in
            switch item {
            case .integer(let number): number
            case .string(let text): Int64(text)
            default: nil
            }
        }
    }

    package func member(_ key: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        if let value = object[key] { return value }
        return object.first { $0.key.lowercased() == key.lowercased() }?.value
    }
}
