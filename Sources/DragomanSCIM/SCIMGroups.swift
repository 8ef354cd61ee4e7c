import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

/// SCIM's Groups (RFC 7643 §4.2), kept by Dragoman: create, read, replace, patch (members
/// added and removed by value, by value filter, or replaced), delete, list with filters, and
/// `.search`. A member is a user of the same gateway, named by its id; a user that is deleted
/// leaves every group. Answers carry versions as Users' do.
enum SCIMGroups {
    static let routes: [DialectRoute] = [
        DialectRoute(method: .post, path: SCIMPaths.groups, operation: .resource, action: "createGroup"),
        DialectRoute(method: .get, path: SCIMPaths.groups + "/:id", operation: .resource, action: "readGroup"),
        DialectRoute(method: .put, path: SCIMPaths.groups + "/:id", operation: .resource, action: "replaceGroup"),
        DialectRoute(method: .patch, path: SCIMPaths.groups + "/:id", operation: .resource, action: "patchGroup"),
        DialectRoute(method: .delete, path: SCIMPaths.groups + "/:id", operation: .resource, action: "deleteGroup"),
        DialectRoute(method: .get, path: SCIMPaths.groups, operation: .resource, action: "listGroups"),
        DialectRoute(method: .post, path: SCIMPaths.groups + "/.search", operation: .resource, action: "searchGroups"),
        // A search from the root (RFC 7644 §3.4.3): Users, then Groups.
        DialectRoute(method: .post, path: SCIMPaths.base + "/.search", operation: .resource, action: "searchAll"),
    ]

    static func respond(
        _ request: DialectRequest, action: String, resources: any DialectResources, mapping: SCIMGroupMapping? = nil
    ) async throws(GatewayFailure) -> DialectResponse {
        let store = resources.groups
        switch action {
        case "createGroup":
            let now = Date()
            var group = Group(id: UUID.timeOrdered(at: now), displayName: "", createdAt: now, updatedAt: now)
            try await apply(try body(request), to: &group, resources: resources)
            try await carry(group, replacing: nil, mapping: mapping, resources: resources)
            try await storing { try await store.insertGroup(group) }
            var response = answer(.created, group, request: request)
            response.headers[.location] = SCIMDialect.root(request) + "/Groups/" + group.id.text(uppercase: false)
            return response
        case "readGroup":
            let group = try await find(request, store)
            if let tags = request.headers[.ifNoneMatch], SCIMVersion.matches(tags, version(of: group)) {
                return DialectResponse(status: .notModified, headers: [.eTag: version(of: group)])
            }
            return answer(.ok, group, request: request)
        case "replaceGroup", "patchGroup":
            var group = try await find(request, store)
            let before = group
            try checkPrecondition(request, group)
            let replacement: [String: JSONValue]
            if action == "patchGroup" {
                var current = resource(of: group, root: "")
                for name in ["id", "meta", "schemas"] { current[name] = nil }
                replacement = try SCIMPatch(request.body).applied(to: current, schema: .group)
            } else {
                replacement = try body(request)
            }
            try await apply(replacement, to: &group, resources: resources)
            group.updatedAt = max(Date(), group.updatedAt.addingTimeInterval(0.000_001))
            try await carry(group, replacing: before, mapping: mapping, resources: resources)
            guard try await storing({ try await store.replaceGroup(group) }) else { throw .service(.notFound) }
            return answer(.ok, group, request: request)
        case "deleteGroup":
            let group = try await find(request, store)
            try checkPrecondition(request, group)
            var gone = group
            gone.members = []
            try await carry(gone, replacing: group, mapping: mapping, resources: resources)
            guard try await storing({ try await store.deleteGroup(group.id) }) else { throw .service(.notFound) }
            return DialectResponse(status: .noContent)
        case "listGroups", "searchGroups":
            let search = try SCIMGroupSearch(request)
            let page = try await storing { try await store.listGroups(search.query) }
            let root = SCIMDialect.root(request)
            let resources = page.groups.map { JSONValue.object(search.projection.apply(to: resource(of: $0, root: root))) }
            return .json(.ok, SCIMListResponse.json(resources, total: page.total, startIndex: search.query.offset + 1), contentType: SCIMPaths.mediaType)
        case "searchAll":
            return try await searchAll(request, resources: resources)
        default:
            throw .unknownOperation(action)
        }
    }

    /// Users and Groups that pass the filter, as one list: the users first, then the groups,
    /// paged together. A filter naming what one type does not have matches none of that type.
    private static func searchAll(_ request: DialectRequest, resources: any DialectResources) async throws(GatewayFailure) -> DialectResponse {
        let search = try SCIMSearch(request, filtering: false)
        var userPredicate: UserPredicate?
        var groupPredicate: GroupPredicate?
        if let text = search.filter, !text.trimmingCharacters(in: .whitespaces).isEmpty {
            let filter: SCIMFilter
            do {
                filter = try SCIMFilter.parse(text)
            } catch {
                throw .protocolError(status: 400, code: "invalidFilter", detail: error.detail)
            }
            let users = Result { () throws(SCIMFilterError) in try filter.predicate() }
            let groups = Result { () throws(SCIMFilterError) in try filter.groupPredicate() }
            if case .failure(let error) = users, case .failure = groups { throw .protocolError(status: 400, code: "invalidFilter", detail: error.detail) }
            userPredicate = (try? users.get()) ?? .always(false)
            groupPredicate = (try? groups.get()) ?? .always(false)
        }
        let offset = search.query.offset
        let limit = search.query.limit
        let users = try await resources.listUsers(UserListQuery(offset: offset, limit: limit, predicate: userPredicate))
        let groupOffset = max(0, offset - users.total)
        let groups = try await storing {
            try await resources.groups.listGroups(GroupListQuery(predicate: groupPredicate, offset: groupOffset, limit: limit - users.users.count))
        }
        let root = SCIMDialect.root(request)
        let found =
            users.users.map { JSONValue.object(search.projection.apply(to: SCIMUserMapping.resource(of: $0, root: root))) }
            + groups.groups.map { JSONValue.object(search.projection.apply(to: resource(of: $0, root: root))) }
        return .json(.ok, SCIMListResponse.json(found, total: users.total + groups.total, startIndex: offset + 1), contentType: SCIMPaths.mediaType)
    }

    /// Carries a group's change (`group`, replacing `before`) to its members' mapped field,
    /// through the route's backend, before the group is stored: each member joining or
    /// leaving gets the value its groups, this one as it will be, stand for. A failure stops
    /// here, with the group unchanged; members already updated keep their value, which a retry
    /// gives them again.
    private static func carry(_ group: Group, replacing before: Group?, mapping: SCIMGroupMapping?, resources: any DialectResources)
        async throws(GatewayFailure)
    {
        guard let mapping else { return }
        let renamed = before.map { $0.displayName.lowercased() != group.displayName.lowercased() } ?? true
        let joining = Set(group.members).subtracting(before?.members ?? [])
        let leaving = Set(before?.members ?? []).subtracting(group.members)
        let affected = renamed ? Set(group.members).union(before?.members ?? []) : joining.union(leaving)
        guard !affected.isEmpty else { return }
        let memberships = try await storing { try await resources.groups.groups(containing: Array(affected)) }
        for id in affected.sorted(by: { $0.uuidString < $1.uuidString }) {
            var groups = (memberships[id] ?? []).filter { $0.id != group.id }
            if group.members.contains(id) { groups.append(GroupRef(id: group.id, displayName: group.displayName)) }
            let final = groups
            try await resources.updateUser(id) { user in mapping.change(for: user, in: final) }
        }
    }

    /// The most members a group holds, and the most that may join in one request.
    static let maxMembers = 10_000
    static let maxJoining = 1_000

    private static func body(_ request: DialectRequest) throws(GatewayFailure) -> [String: JSONValue] {
        guard case .object(let body)? = request.body else { throw .protocolError(status: 400, code: "invalidSyntax", detail: "The body must be a JSON object") }
        return body
    }

    /// Sets `group` to what `members` (a Group resource, checked here) says.
    private static func apply(_ members: [String: JSONValue], to group: inout Group, resources: any DialectResources) async throws(GatewayFailure) {
        var violations: [FieldViolation] = []
        let checked = SCIMResource(checking: members, schema: .group, violations: &violations)
        guard let displayName = checked.string("displayName"), !displayName.isEmpty else {
            violations.append(FieldViolation(.wire("displayName"), .required))
            throw .service(.invalid(violations))
        }
        var ids: [UUID] = []
        var seen: Set<UUID> = []
        for (index, entry) in checked.entries("members").enumerated() {
            guard case .string(let text)? = entry["value"], let id = UUID(uuidString: text) else {
                violations.append(FieldViolation(.wire("members[\(index)].value"), .invalidFormat(expected: "the id of a User")))
                continue
            }
            if let type = entry["type"], type != .string("User") {
                violations.append(FieldViolation(.wire("members[\(index)].type"), .notAllowed(allowed: ["User"])))
                continue
            }
            if seen.insert(id).inserted { ids.append(id) }
        }
        guard violations.isEmpty else { throw .service(.invalid(violations)) }
        // Only members joining are looked up (on a forwarded route, each is a backend read),
        // at most so many at once, in a group of at most so many.
        let current = Set(group.members)
        let joining = ids.filter { !current.contains($0) }
        guard ids.count <= maxMembers else {
            throw .protocolError(status: 400, code: "tooMany", detail: "A group holds at most \(maxMembers) members, not \(ids.count)")
        }
        guard joining.count <= maxJoining else {
            throw .protocolError(status: 400, code: "tooMany", detail: "At most \(maxJoining) members may join in one request, not \(joining.count)")
        }
        let existing = try await resources.existingUsers(joining)
        let missing = joining.filter { !existing.contains($0) }
        guard missing.isEmpty else {
            throw .service(
                .invalid(missing.map { FieldViolation(.wire("members (\($0.text(uppercase: false)))"), .notFound) }))
        }
        group.displayName = displayName
        group.externalId = checked.string("externalId")
        group.members = ids
        var extra = checked.members
        for name in ["displayName", "externalId", "members"] { extra[name] = nil }
        group.extra = extra
    }

    private static func find(_ request: DialectRequest, _ store: any GroupStore) async throws(GatewayFailure) -> Group {
        guard let text = request.parameters["id"], let id = UUID(uuidString: text) else { throw .service(.notFound) }
        guard let group = try await storing({ try await store.group(id) }) else { throw .service(.notFound) }
        return group
    }

    private static func storing<T>(_ body: () async throws -> T) async throws(GatewayFailure) -> T {
        do {
            return try await body()
        } catch let failure as GatewayFailure {
            throw failure
        } catch {
            throw .service(.storeFailure(String(describing: error)))
        }
    }

    static func version(of group: Group) -> String { SCIMVersion.tag(updatedAt: group.updatedAt) }

    private static func checkPrecondition(_ request: DialectRequest, _ group: Group) throws(GatewayFailure) {
        try SCIMVersion.checkIfMatch(request, version(of: group))
    }

    /// The group as a resource, its URLs under `root` (the SCIM root).
    static func resource(of group: Group, root: String) -> [String: JSONValue] {
        var resource = group.extra
        let id = group.id.text(uppercase: false)
        let users = root + "/Users/"
        resource["schemas"] = .array([.string(SCIMURN.group)])
        resource["id"] = .string(id)
        resource["displayName"] = .string(group.displayName)
        resource["externalId"] = group.externalId.map(JSONValue.string)
        resource["members"] = .array(
            group.members.map { member in
                let value = member.text(uppercase: false)
                return .object(["value": .string(value), "$ref": .string(users + value), "type": .string("User")])
            })
        resource["meta"] = .object([
            "resourceType": .string("Group"), "created": .string(RFC3339.format(group.createdAt, milliseconds: true)),
            "lastModified": .string(RFC3339.format(group.updatedAt, milliseconds: true)), "location": .string(root + "/Groups/" + id),
            "version": .string(version(of: group)),
        ])
        return resource
    }

    private static func answer(_ status: HTTPResponse.Status, _ group: Group, request: DialectRequest) -> DialectResponse {
        let projection = (try? SCIMProjection(query: request)) ?? SCIMProjection()
        var response = DialectResponse.json(
            status, JSONValue.object(projection.apply(to: resource(of: group, root: SCIMDialect.root(request)))), contentType: SCIMPaths.mediaType)
        response.headers[.eTag] = version(of: group)
        return response
    }
}

/// A Groups list request: the Users list's parameters, its filter on what groups keep.
struct SCIMGroupSearch {
    var query: GroupListQuery
    var projection: SCIMProjection

    init(_ request: DialectRequest) throws(GatewayFailure) {
        let users = try SCIMSearch(request, filtering: false)
        projection = users.projection
        var predicate: GroupPredicate?
        if let filter = users.filter, !filter.trimmingCharacters(in: .whitespaces).isEmpty {
            do {
                predicate = try SCIMFilter.parse(filter).groupPredicate()
            } catch {
                throw .protocolError(status: 400, code: "invalidFilter", detail: error.detail)
            }
        }
        query = GroupListQuery(predicate: predicate, offset: users.query.offset, limit: users.query.limit)
    }
}
