import DragomanCore

/// The wire names of the Telness Connect API's users.
enum TelnessField {
    static let name = "name"
    static let email = "email"
    static let msisdn = "msisdn"
    static let identity = "identity"
    static let metadata = "metadata"
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
