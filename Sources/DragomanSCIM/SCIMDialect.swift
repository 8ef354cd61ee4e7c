import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

/// SCIM 2.0's Users (RFC 7643, RFC 7644) at `/scim/v2`, as identity providers (Okta,
/// Microsoft Entra ID, OneLogin, …) provision them: create, read, replace (`PUT`), patch,
/// delete, list with filters and paging, and `.search`. Every answer is
/// `application/scim+json`; every single resource carries its version as an `ETag`, which
/// `If-Match` (on `PUT`, `PATCH` and `DELETE`) and `If-None-Match` (on `GET`) are checked
/// against. Discovery (`/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`) is in
/// ``SCIMDiscovery``.
struct SCIMDialect: UserDialect {
    /// Group memberships carried to a canonical field of the members, when configured.
    var groupMapping: SCIMGroupMapping?

    var id: DialectID { .scim }

    var routes: [DialectRoute] {
        [
            DialectRoute(method: .post, path: SCIMPaths.users, operation: .create),
            DialectRoute(method: .get, path: SCIMPaths.users + "/:id", operation: .read),
            DialectRoute(method: .put, path: SCIMPaths.users + "/:id", operation: .update),
            DialectRoute(method: .patch, path: SCIMPaths.users + "/:id", operation: .update),
            DialectRoute(method: .delete, path: SCIMPaths.users + "/:id", operation: .delete),
            DialectRoute(method: .get, path: SCIMPaths.users, operation: .list),
            DialectRoute(method: .post, path: SCIMPaths.users + "/.search", operation: .list),
        ] + SCIMGroups.routes
    }

    /// A user's read-only `groups`.
    var showsGroups: Bool { true }

    func respond(toResource request: DialectRequest, action: String, resources: any DialectResources) async throws(GatewayFailure) -> DialectResponse {
        try await SCIMGroups.respond(request, action: action, resources: resources, mapping: groupMapping)
    }

    /// `userName` is required and unique (ignoring case, as RFC 7643 declares it); phone
    /// numbers the canonical model keeps are E.164 (others stay in the SCIM data).
    var profile: ValidationProfile {
        ValidationProfile(required: [.userName], phoneRule: .e164, uniqueKeys: [.userName])
    }

    func decodeCreate(_ request: DialectRequest) throws(GatewayFailure) -> DecodedCreate {
        guard case .object(let body)? = request.body else { throw .protocolError(status: 400, code: "invalidSyntax", detail: "The body must be a JSON object") }
        var violations: [FieldViolation] = []
        let resource = SCIMResource(checking: body, violations: &violations)
        let (profile, password) = SCIMUserMapping.profile(of: resource)
        return DecodedCreate(user: NewUser(profile: profile, password: password), violations: violations)
    }

    func lookup(_ request: DialectRequest) throws(GatewayFailure) -> UserLookup {
        guard let text = request.parameters["id"], let uuid = UUID(uuidString: text) else { throw .service(.notFound) }
        return .uuid(uuid)
    }

    func created(_ user: User, request: DialectRequest) -> DialectResponse {
        var response = answer(.created, user, request: request)
        response.headers[.location] = Self.root(request) + "/Users/" + user.id.uuid.text(uppercase: false)
        return response
    }

    func read(_ user: User, request: DialectRequest) -> DialectResponse {
        let version = SCIMUserMapping.version(of: user)
        if let tags = request.headers[.ifNoneMatch], SCIMVersion.matches(tags, version) {
            return DialectResponse(status: .notModified, headers: [.eTag: version])
        }
        return answer(.ok, user, request: request)
    }

    func updated(_ user: User, request: DialectRequest) -> DialectResponse {
        answer(.ok, user, request: request)
    }

    /// `PUT` replaces the resource: what it leaves out is removed. `PATCH` applies its
    /// operations to the resource as it is. Either way the change is the difference between
    /// the resource before and after, in canonical fields, so what the client did not touch
    /// is not rewritten.
    func decodeUpdate(_ request: DialectRequest, current: User) throws(GatewayFailure) -> DecodedUpdate {
        try Self.checkPrecondition(request, current)
        var stored = SCIMUserMapping.resource(of: current, root: "")
        for name in ["id", "meta", "schemas"] { stored[name] = nil }
        var ignored: [FieldViolation] = []
        let before = SCIMUserMapping.profile(of: SCIMResource(checking: stored, violations: &ignored)).profile
        var violations: [FieldViolation] = []
        let after: SCIMResource
        if request.method == .patch {
            let patch = try SCIMPatch(request.body)
            var patched = try patch.applied(to: stored)
            // A `formatted` the patch left alone does not outlive the parts it was made of.
            if case .object(var name)? = patched["name"], case .object(let old)? = stored["name"], name["formatted"] == old["formatted"],
                name["givenName"] != old["givenName"] || name["familyName"] != old["familyName"]
            {
                name["formatted"] = nil
                patched["name"] = .object(name)
            }
            after = SCIMResource(checking: patched, violations: &violations)
        } else {
            guard case .object(let body)? = request.body else {
                throw .protocolError(status: 400, code: "invalidSyntax", detail: "The body must be a JSON object")
            }
            after = SCIMResource(checking: body, violations: &violations)
        }
        let (profile, password) = SCIMUserMapping.profile(of: after)
        if profile.userName == nil { violations.append(FieldViolation(.userName, .required)) }
        return DecodedUpdate(patch: Self.change(from: before, to: profile, password: password), violations: violations)
    }

    /// The change that turns `before` into `after`, in the fields SCIM carries. The name
    /// fields go together (the canonical merge reads them as one).
    static func change(from before: UserProfile, to after: UserProfile, password: Secret?) -> UserPatch {
        var after = after
        var patch = UserPatch(profile: UserProfile(), password: password)
        let names: [UserField] = [.givenName, .familyName, .displayName]
        let namesChanged = names.contains { before[$0] != after[$0] }
        // A display name that was the parts joined follows the parts when only they change,
        // so a backend or dialect with one name field shows the new name.
        if before.displayName == after.displayName, before.displayName == PersonName.join(given: before.givenName, family: before.familyName),
            before.givenName != after.givenName || before.familyName != after.familyName
        {
            after.displayName = PersonName.join(given: after.givenName, family: after.familyName)
        }
        for field in SCIMUserMapping.carried where before[field] != after[field] || (namesChanged && names.contains(field)) {
            if let value = after[field] {
                patch.profile[field] = value
            } else {
                patch.cleared.append(field)
            }
        }
        return patch
    }

    func deletionRefusal(_ user: User, request: DialectRequest) -> GatewayFailure? {
        do throws(GatewayFailure) {
            try Self.checkPrecondition(request, user)
            return nil
        } catch {
            return error
        }
    }

    func deleted(_ user: User, request: DialectRequest) -> DialectResponse {
        DialectResponse(status: .noContent)
    }

    func listQuery(_ request: DialectRequest) throws(GatewayFailure) -> DialectListQuery {
        let search = try SCIMSearch(request)
        return DialectListQuery(query: search.query)
    }

    func listed(_ page: UserPage, query: UserListQuery, request: DialectRequest) -> DialectResponse {
        // The projection only: the filter was read by `listQuery`.
        let projection = (try? SCIMSearch(request, filtering: false))?.projection ?? SCIMProjection()
        let root = Self.root(request)
        let resources = page.users.map { user in JSONValue.object(projection.apply(to: SCIMUserMapping.resource(of: user, root: root))) }
        return .json(.ok, SCIMListResponse.json(resources, total: page.total, startIndex: query.offset + 1), contentType: SCIMPaths.mediaType)
    }

    func wireName(_ field: UserField) -> String { Self.wireName(field) }

    static func wireName(_ field: UserField) -> String {
        switch field {
        case .givenName: "name.givenName"
        case .familyName: "name.familyName"
        case .email: "emails"
        case .phone: "phoneNumbers"
        case .country: "addresses.country"
        case .state: "addresses.region"
        case .language: "preferredLanguage"
        default: field.rawValue
        }
    }

    func failure(_ failure: GatewayFailure, request: DialectRequest) -> DialectResponse {
        SCIMError(failure).response
    }

    /// A single resource's answer: the resource (with the request's `attributes` and
    /// `excludedAttributes` applied) and its version as `ETag`.
    private func answer(_ status: HTTPResponse.Status, _ user: User, request: DialectRequest) -> DialectResponse {
        let projection = (try? SCIMProjection(query: request)) ?? SCIMProjection()
        let resource = projection.apply(to: SCIMUserMapping.resource(of: user, root: Self.root(request)))
        var response = DialectResponse.json(status, JSONValue.object(resource), contentType: SCIMPaths.mediaType)
        response.headers[.eTag] = SCIMUserMapping.version(of: user)
        return response
    }

    /// The SCIM root's absolute URL, as the client addressed the gateway.
    static func root(_ request: DialectRequest) -> String {
        SCIMPaths.root(authority: request.authority, secure: request.isSecure)
    }

    static func checkPrecondition(_ request: DialectRequest, _ user: User) throws(GatewayFailure) {
        try SCIMVersion.checkIfMatch(request, SCIMUserMapping.version(of: user))
    }
}

/// Entity-tag lists as `If-Match` and `If-None-Match` give them (RFC 9110 §13.1), compared
/// weakly: `W/"x"` and `"x"` are the same version.
enum SCIMVersion {
    /// A resource's version: a weak entity tag that changes with every update (its time of
    /// last change, to the microsecond).
    static func tag(updatedAt: Date) -> String {
        "W/\"\(String(UInt64(max(0, updatedAt.timeIntervalSince1970 * 1_000_000)), radix: 36))\""
    }

    /// `If-Match` must name `version` (or be `*`), else 412.
    static func checkIfMatch(_ request: DialectRequest, _ version: String) throws(GatewayFailure) {
        guard let tags = request.headers[.ifMatch], !matches(tags, version) else { return }
        throw .protocolError(status: 412, code: "preconditionFailed", detail: "The resource's version is \(version), not one If-Match names")
    }

    static func matches(_ header: String, _ version: String) -> Bool {
        let wanted = opaque(version)
        return header.split(separator: ",").contains { tag in
            let trimmed = tag.trimmingCharacters(in: .whitespaces)
            return trimmed == "*" || opaque(trimmed) == wanted
        }
    }

    private static func opaque(_ tag: String) -> String {
        tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag
    }
}
