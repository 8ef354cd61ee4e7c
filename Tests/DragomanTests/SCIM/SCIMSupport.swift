import DragomanCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore

@testable import DragomanSCIM

/// Requests as identity providers send them to `/scim/v2`.
extension TestClientProtocol {
    func scim(_ method: HTTPRequest.Method, _ path: String, _ body: String? = nil, headers: HTTPFields = [:]) async throws -> Reply {
        var fields = headers
        if body != nil, fields[.contentType] == nil { fields[.contentType] = SCIMPaths.mediaType }
        return try await send(SCIMPaths.base + path, method: method, headers: fields, body: body.map { ByteBuffer(string: $0) })
    }

    /// Creates a user from `body`, returning its id.
    func scimCreate(_ body: String) async throws -> String {
        let reply = try await scim(.post, "/Users", body)
        guard reply.status == .created, let id = reply.json["id"]?.string else { throw SCIMTestFailure(reply: reply.text) }
        return id
    }
}

struct SCIMTestFailure: Error {
    var reply: String
}

/// RFC 7643 §8.2's full user, trimmed of what no test reads.
enum SCIMSamples {
    static let barbara = """
        {
          "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
          "userName": "bjensen@example.com",
          "externalId": "701984",
          "name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen", "givenName": "Barbara", "middleName": "Jane"},
          "displayName": "Babs Jensen",
          "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
          ],
          "phoneNumbers": [{"value": "+1 555 555 5555", "type": "work"}],
          "addresses": [{"type": "work", "locality": "Hollywood", "region": "CA", "country": "US", "primary": true}],
          "preferredLanguage": "en-US",
          "title": "Tour Guide",
          "active": true,
          "password": "t1meMa$heen",
          "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984", "department": "Tour Operations",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
          }
        }
        """

    static func user(_ userName: String, externalId: String? = nil, email: String? = nil) -> String {
        var members = [#""schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]"#, #""userName":"\#(userName)""#]
        if let externalId { members.append(#""externalId":"\#(externalId)""#) }
        if let email { members.append(#""emails":[{"value":"\#(email)","type":"work","primary":true}]"#) }
        return "{" + members.joined(separator: ",") + "}"
    }

    static func patch(_ operations: String) -> String {
        #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":\#(operations)}"#
    }
}
