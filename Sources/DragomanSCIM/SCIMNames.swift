import DragomanCore
package import DragomanDialectKit
import Foundation
import HTTPTypes

/// The URNs SCIM 2.0 names its schemas and messages by (RFC 7643 §8.7, RFC 7644 §3).
enum SCIMURN {
    static let user = "urn:ietf:params:scim:schemas:core:2.0:User"
    static let group = "urn:ietf:params:scim:schemas:core:2.0:Group"
    static let enterpriseUser = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    static let listResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    static let searchRequest = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
    static let patchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    static let error = "urn:ietf:params:scim:api:messages:2.0:Error"
    static let serviceProviderConfig = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
    static let resourceType = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
    static let schema = "urn:ietf:params:scim:schemas:core:2.0:Schema"
}

/// Where SCIM is mounted and what it answers with.
enum SCIMPaths {
    /// The base path of every SCIM endpoint (`/scim/v2`, as Okta and Entra are pointed at).
    static let base = "/scim/v2"
    static let users = base + "/Users"

    /// The SCIM root's absolute URL as the client addressed the gateway (`http://host/scim/v2`),
    /// or the base path alone when the request named no host.
    static func root(authority: String?, secure: Bool) -> String {
        guard let authority, !authority.isEmpty else { return base }
        return (secure ? "https://" : "http://") + authority + base
    }
    static let groups = base + "/Groups"
    /// SCIM's media type (RFC 7644 §8.1); plain JSON is accepted too.
    static let mediaType = "application/scim+json"
    /// The most resources one list page holds (advertised as `filter.maxResults`).
    static let maxResults = 1000
    /// A page's size when the client names none.
    static let defaultCount = 100
}

/// A ListResponse (RFC 7644 §3.4.2): the page's resources with the totals.
enum SCIMListResponse {
    static func json(_ resources: [JSONValue], total: Int, startIndex: Int) -> JSONValue {
        .object([
            "schemas": .array([.string(SCIMURN.listResponse)]), "totalResults": .integer(Int64(total)), "startIndex": .integer(Int64(startIndex)),
            "itemsPerPage": .integer(Int64(resources.count)), "Resources": .array(resources),
        ])
    }
}

extension DialectID {
    /// SCIM 2.0 (RFC 7643, RFC 7644), as identity providers provision users.
    package static let scim = DialectID(rawValue: "scim")
}

extension UserField {
    /// What a SCIM resource holds beyond the canonical fields (its name's other parts, every
    /// email, phone number and address with their types, the enterprise extension, the
    /// attributes no other dialect knows), as the client sent it; the canonical fields are
    /// laid over it when the resource is read (``SCIMUserMapping``).
    static let scimResource = UserField.extension("scim", .object)
}
