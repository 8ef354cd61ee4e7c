package import DragomanCore
package import Foundation
package import HTTPTypes

/// What a route of a dialect does; its raw value is the name metrics and logs give it.
package enum DialectOperation: String, Sendable {
    case create
    case read
    /// Changes the fields sent of the user the route names.
    case update
    case delete
    case list
    /// A pattern under which the vendor names operations (`/api/{RequestName}`):
    /// a name the dialect does not define there is answered with the vendor's own refusal,
    /// before authentication, unless a reverse proxy takes unmatched paths.
    case unknownOperation
    /// A route of another resource the dialect serves (groups), behind the same
    /// authentication, answered by ``UserDialect/respond(toResource:action:resources:)``.
    case resource
}

/// One HTTP route a dialect answers, in Hummingbird's path syntax.
package struct DialectRoute: Sendable {
    package var method: HTTPRequest.Method
    package var path: String
    package var operation: DialectOperation
    /// What a ``DialectOperation/resource`` route does (`createGroup`), as logs and metrics name it.
    package var action: String?

    package init(method: HTTPRequest.Method, path: String, operation: DialectOperation, action: String? = nil) {
        self.method = method
        self.path = path
        self.operation = operation
        self.action = action
    }
}

/// What a dialect's other resources are kept in: the gateway's group store, and the users a
/// group names. The gateway implements it over its store.
package protocol DialectResources: Sendable {
    var groups: any GroupStore { get }
    /// Which of `ids` are users (a group's members must be).
    func existingUsers(_ ids: [UUID]) async throws(GatewayFailure) -> Set<UUID>
    /// A page of the users, each with its groups (a search across resources).
    func listUsers(_ query: UserListQuery) async throws(GatewayFailure) -> UserPage
    /// Applies to the user `id` the change `change` makes of it as it is (`nil`: none), through
    /// the route's backend (the store, or the upstream) under the dialect's rules.
    func updateUser(_ id: UUID, _ change: @Sendable (User) -> UserPatch?) async throws(GatewayFailure)
}

/// How a create request's body is encoded.
package enum BodyFormat: Sendable, Equatable {
    case json
    case form
    /// A format the dialect parses itself (``UserDialect/parseBody(_:as:)``), by its name.
    case dialect(String)
}

/// An update decoded into canonical form: the fields sent, with whatever the decoder could not read.
package struct DecodedUpdate: Sendable {
    package var patch: UserPatch
    package var violations: [FieldViolation]

    package init(patch: UserPatch, violations: [FieldViolation]) {
        self.patch = patch
        self.violations = violations
    }
}

/// A list request in canonical form.
package struct DialectListQuery: Sendable {
    package var query: UserListQuery
    /// Whether nothing can match (a filter on something Dragoman's users never have).
    package var matchesNothing = false

    package init(query: UserListQuery, matchesNothing: Bool = false) {
        self.query = query
        self.matchesNothing = matchesNothing
    }
}

/// A create decoded into canonical form, with whatever the decoder could not read.
package struct DecodedCreate: Sendable {
    package var user: NewUser
    package var violations: [FieldViolation]

    package init(user: NewUser, violations: [FieldViolation]) {
        self.user = user
        self.violations = violations
    }
}

/// A vendor dialect: its routes, its wire types and its mapping to and from the canonical model.
///
/// A dialect is the only code that knows its vendor's field names, messages and status codes. The
/// route pipeline (``DialectMiddleware`` and the steps after it) reads the request, hands the dialect a parsed body to decode,
/// runs the canonical service, and asks the dialect to answer, success or failure.
package protocol UserDialect: Sendable {
    var id: DialectID { get }
    var routes: [DialectRoute] { get }
    /// The rules a create in this dialect must satisfy.
    var profile: ValidationProfile { get }
    /// The body format a `Content-Type` stands for, or `nil` when the dialect does not accept it.
    func bodyFormat(for mediaType: MediaType?) -> BodyFormat?
    /// Parses a body in `format` into neutral JSON (by default: JSON and forms as every dialect reads them).
    func parseBody(_ bytes: [UInt8], as format: BodyFormat) throws(GatewayFailure) -> JSONValue
    /// Maps a create request to canonical form.
    func decodeCreate(_ request: DialectRequest) throws(GatewayFailure) -> DecodedCreate
    /// Names the user a read request asks for.
    func lookup(_ request: DialectRequest) throws(GatewayFailure) -> UserLookup
    /// Where a read looks next when `lookup` found nobody (an address in the shared realm
    /// after the tenant's own), or `nil`.
    func fallback(after lookup: UserLookup, request: DialectRequest) -> UserLookup?
    /// Whether `user` may be shown to a read of `request` (a read scoped to a tenant).
    func isVisible(_ user: User, to request: DialectRequest) -> Bool
    /// The answer to a successful create.
    func created(_ user: User, request: DialectRequest) -> DialectResponse
    /// The answer to a successful read.
    func read(_ user: User, request: DialectRequest) -> DialectResponse
    /// The answer to a failure, in the vendor's error shape.
    func failure(_ failure: GatewayFailure, request: DialectRequest) -> DialectResponse
    /// The vendor's name for a canonical field.
    func wireName(_ field: UserField) -> String
    /// How the dialect carries idempotency keys; the IETF `Idempotency-Key` unless the vendor
    /// has its own.
    var idempotency: IdempotencyConvention { get }

    // The lifecycle beyond create and read: only dialects whose vendor documents an operation
    // declare its route; the defaults below serve the others, which never call them.

    /// Maps an update request to the fields it changes (by default: the create's fields that
    /// were sent).
    func decodeUpdate(_ request: DialectRequest) throws(GatewayFailure) -> DecodedUpdate
    /// Maps an update request to the change it makes to `current`, the user as just read (by
    /// default: ``decodeUpdate(_:)``). A dialect whose updates depend on the stored resource
    /// (a replacement, a patch of operations, a precondition on its version) implements this.
    func decodeUpdate(_ request: DialectRequest, current: User) throws(GatewayFailure) -> DecodedUpdate
    func updated(_ user: User, request: DialectRequest) -> DialectResponse
    /// Why `user` may not be deleted, in this vendor's rules, or `nil`.
    func deletionRefusal(_ user: User) -> GatewayFailure?
    /// Why `user` may not be deleted by `request` (by default: ``deletionRefusal(_:)``), such as
    /// a precondition on its version that does not hold.
    func deletionRefusal(_ user: User, request: DialectRequest) -> GatewayFailure?
    func deleted(_ user: User, request: DialectRequest) -> DialectResponse
    func listQuery(_ request: DialectRequest) throws(GatewayFailure) -> DialectListQuery
    func listed(_ page: UserPage, query: UserListQuery, request: DialectRequest) -> DialectResponse
    /// Whether its answers show the groups a user belongs to: the handlers then read them
    /// (``User/groups``) before ``read(_:request:)`` and the others render.
    var showsGroups: Bool { get }
    /// Answers a ``DialectOperation/resource`` route (`route.action` names it).
    func respond(toResource request: DialectRequest, action: String, resources: any DialectResources) async throws(GatewayFailure) -> DialectResponse
}

extension UserDialect {
    package func bodyFormat(for mediaType: MediaType?) -> BodyFormat? {
        guard let mediaType, mediaType.isJSON, mediaType.hasUTF8Charset else { return nil }
        return .json
    }

    package func isVisible(_ user: User, to request: DialectRequest) -> Bool { true }

    package func parseBody(_ bytes: [UInt8], as format: BodyFormat) throws(GatewayFailure) -> JSONValue {
        try WireBody.parse(bytes, as: format)
    }

    package func fallback(after lookup: UserLookup, request: DialectRequest) -> UserLookup? { nil }

    package func decodeUpdate(_ request: DialectRequest) throws(GatewayFailure) -> DecodedUpdate {
        let decoded = try decodeCreate(request)
        return DecodedUpdate(patch: UserPatch(profile: decoded.user.profile, password: decoded.user.password), violations: decoded.violations)
    }

    package func decodeUpdate(_ request: DialectRequest, current: User) throws(GatewayFailure) -> DecodedUpdate {
        try decodeUpdate(request)
    }

    package func updated(_ user: User, request: DialectRequest) -> DialectResponse { read(user, request: request) }

    package func deletionRefusal(_ user: User, request: DialectRequest) -> GatewayFailure? { deletionRefusal(user) }

    package func deletionRefusal(_ user: User) -> GatewayFailure? { nil }

    package func deleted(_ user: User, request: DialectRequest) -> DialectResponse { DialectResponse(status: .noContent) }

    package func listQuery(_ request: DialectRequest) throws(GatewayFailure) -> DialectListQuery {
        throw .unknownOperation("list")
    }

    package func listed(_ page: UserPage, query: UserListQuery, request: DialectRequest) -> DialectResponse {
        failure(.unknownOperation("list"), request: request)
    }

    package var idempotency: IdempotencyConvention { .ietf }

    package var showsGroups: Bool { false }

    package func respond(toResource request: DialectRequest, action: String, resources: any DialectResources) async throws(GatewayFailure) -> DialectResponse {
        throw .unknownOperation(action)
    }
}
