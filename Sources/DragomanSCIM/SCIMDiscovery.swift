import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

/// SCIM's discovery endpoints (RFC 7644 §4): `/ServiceProviderConfig`, `/ResourceTypes` and
/// `/Schemas`, answered without authentication (they describe the service, not its users).
/// They advertise what works and nothing else: PATCH, filters (with `maxResults`) and ETags;
/// no bulk, no sort, no password change endpoint; Bearer tokens (the gateway's API keys).
enum SCIMDiscovery {
    static func addRoutes(to router: any DialectRouter) {
        // The discovery endpoints are read-only (RFC 7644 §4): other methods are 405.
        let discovery = ["/ServiceProviderConfig", "/ResourceTypes", "/ResourceTypes/:name", "/Schemas", "/Schemas/:id"]
        for path in discovery {
            for method in [HTTPRequest.Method.post, .put, .patch, .delete] {
                router.add(method, SCIMPaths.base + path, bodyLimit: 0) { _ in
                    var response = SCIMError(status: .methodNotAllowed, detail: "\(path.split(separator: "/").first ?? "") is read-only; use GET").response
                    response.headers[.allow] = "GET"
                    return response
                }
            }
        }
        // Any other path under the SCIM root is SCIM's 404, not the gateway's.
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            router.add(method, SCIMPaths.base + "/**", bodyLimit: 0) { request in
                SCIMError(status: .notFound, detail: "No such endpoint: \(request.head.path ?? "")").response
            }
        }
        router.get(SCIMPaths.base + "/ServiceProviderConfig") { request in
            answer(serviceProviderConfig(base: base(request)))
        }
        router.get(SCIMPaths.base + "/ResourceTypes") { request in
            answer(list(resourceTypes(base: base(request))))
        }
        router.get(SCIMPaths.base + "/ResourceTypes/:name") { request in
            let name = request.parameters["name"] ?? ""
            guard let type = resourceTypes(base: base(request)).first(where: { Self.id(of: $0)?.caseInsensitiveCompare(name) == .orderedSame }) else {
                return SCIMError(status: .notFound, detail: "No resource type '\(name)'").response
            }
            return answer(type)
        }
        router.get(SCIMPaths.base + "/Schemas") { request in
            answer(list(SCIMSchema.all.map { $0.json(location: base(request) + "/Schemas/" + $0.id) }))
        }
        router.get(SCIMPaths.base + "/Schemas/:id") { request in
            let id = request.parameters["id"] ?? ""
            guard let schema = SCIMSchema.all.first(where: { $0.id.caseInsensitiveCompare(id) == .orderedSame }) else {
                return SCIMError(status: .notFound, detail: "No schema '\(id)'").response
            }
            return answer(schema.json(location: base(request) + "/Schemas/" + schema.id))
        }
    }

    private static func base(_ request: DialectHTTPRequest) -> String {
        SCIMPaths.root(authority: request.head.authority, secure: request.isSecure)
    }

    private static func answer(_ value: JSONValue) -> DialectResponse {
        .json(.ok, value, contentType: SCIMPaths.mediaType)
    }

    private static func list(_ resources: [JSONValue]) -> JSONValue {
        SCIMListResponse.json(resources, total: resources.count, startIndex: 1)
    }

    private static func id(of resource: JSONValue) -> String? {
        if case .object(let members) = resource, case .string(let id)? = members["id"] { return id }
        return nil
    }

    private static func supported(_ flag: Bool) -> JSONValue { .object(["supported": .bool(flag)]) }

    static func serviceProviderConfig(base: String) -> JSONValue {
        .object([
            "schemas": .array([.string(SCIMURN.serviceProviderConfig)]),
            "documentationUri": .string("https://github.com/dragoman/dragoman/blob/main/docs/dialects/scim.md"),
            "patch": supported(true),
            "bulk": .object(["supported": .bool(false), "maxOperations": .integer(0), "maxPayloadSize": .integer(0)]),
            "filter": .object(["supported": .bool(true), "maxResults": .integer(Int64(SCIMPaths.maxResults))]),
            "changePassword": supported(false),
            "sort": supported(false),
            "etag": supported(true),
            "authenticationSchemes": .array([
                .object([
                    "type": .string("oauthbearertoken"), "name": .string("Bearer token"),
                    "description": .string("Authorization: Bearer with one of the gateway's API keys (Okta's and Entra ID's secret token)"),
                    "specUri": .string("https://www.rfc-editor.org/rfc/rfc6750"), "primary": .bool(true),
                ]),
                .object([
                    "type": .string("httpbasic"), "name": .string("HTTP Basic"),
                    "description": .string("Authorization: Basic with a principal's name and password, where the configuration allows it"),
                    "specUri": .string("https://www.rfc-editor.org/rfc/rfc7617"),
                ]),
            ]),
            "meta": .object(["resourceType": .string("ServiceProviderConfig"), "location": .string(base + "/ServiceProviderConfig")]),
        ])
    }

    static func resourceTypes(base: String) -> [JSONValue] {
        [
            .object([
                "schemas": .array([.string(SCIMURN.resourceType)]), "id": .string("User"), "name": .string("User"), "endpoint": .string("/Users"),
                "description": .string("User Account"), "schema": .string(SCIMURN.user),
                "schemaExtensions": .array([.object(["schema": .string(SCIMURN.enterpriseUser), "required": .bool(false)])]),
                "meta": .object(["resourceType": .string("ResourceType"), "location": .string(base + "/ResourceTypes/User")]),
            ]),
            .object([
                "schemas": .array([.string(SCIMURN.resourceType)]), "id": .string("Group"), "name": .string("Group"), "endpoint": .string("/Groups"),
                "description": .string("Group"), "schema": .string(SCIMURN.group),
                "meta": .object(["resourceType": .string("ResourceType"), "location": .string(base + "/ResourceTypes/Group")]),
            ]),
        ]
    }
}
