import DragomanCore
import DragomanDialectKit
import Foundation

/// The wire names of the Telness Connect API's users.
enum TelnessField {
    static let name = "name"
    static let email = "email"
    static let msisdn = "msisdn"
    static let identity = "identity"
    static let metadata = "metadata"
    /// List query parameters.
    static let filter = "filter"
    static let customerId = "customerId"
    static let limit = "limit"
    static let cursor = "cursor"
}

/// A user as the Telness Connect API shows it.
struct TelnessUser: Encodable {
    struct Customer: Encodable {
        var customerId: String
        var name: String
    }

    var userId: String
    var name: String
    var email: String?
    var msisdn: String?
    var identity: String?
    var customerIds: [String]
    var customers: [Customer]
    var createdAt: String
    var updatedAt: String
    var metadata: [String: JSONValue]
}

/// The Telness error envelope.
struct TelnessError: Encodable {
    struct Detail: Encodable {
        var message: String
        var code: String
        var property: String
    }

    var message: String
    var code: String
    var details: [Detail]?
    var hint: String?
}

/// The answer to `GET /users`: `{"items":[User…],"pagination":{"nextCursor":…}}`.
struct TelnessUserList: Encodable {
    struct Pagination: Encodable {
        /// `null` on the last page.
        var nextCursor: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(nextCursor, forKey: .nextCursor)
        }

        enum CodingKeys: String, CodingKey { case nextCursor }
    }

    var items: [TelnessUser]
    var pagination: Pagination
}

/// Opaque list cursors: the last user's serial, base64url-encoded behind a version tag.
enum TelnessCursor {
    static func cursor(after serial: Int64) -> String {
        Data("v1:\(serial)".utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func serial(_ cursor: String) -> Int64? {
        guard cursor.count <= 64 else { return nil }
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8), text.hasPrefix("v1:"),
            let serial = Int64(text.dropFirst(3)), serial >= 0
        else { return nil }
        return serial
    }
}

extension TelnessUser: JSONWritable {
    /// Keys in byte order, as `JSONEncoder`'s `sortedKeys` writes them.
    func write(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.field("createdAt", createdAt)
            writer.field("customerIds", customerIds)
            writer.field("customers", customers) { writer, customer in
                writer.object { writer in
                    writer.field("customerId", customer.customerId)
                    writer.field("name", customer.name)
                }
            }
            writer.field("email", email)
            writer.field("identity", identity)
            writer.field("metadata", metadata)
            writer.field("msisdn", msisdn)
            writer.field("name", name)
            writer.field("updatedAt", updatedAt)
            writer.field("userId", userId)
        }
    }
}

extension TelnessError: JSONWritable {
    func write(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.field("code", code)
            writer.field("details", details) { writer, detail in
                writer.object { writer in
                    writer.field("code", detail.code)
                    writer.field("message", detail.message)
                    writer.field("property", detail.property)
                }
            }
            writer.field("hint", hint)
            writer.field("message", message)
        }
    }
}
