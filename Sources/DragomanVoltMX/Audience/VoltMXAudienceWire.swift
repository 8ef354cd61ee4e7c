import DragomanDialectKit

/// The wire names of Volt MX Engagement Services audience members.
enum AudienceField {
    static let firstName = "firstName"
    static let lastName = "lastName"
    static let state = "state"
    static let country = "country"
    static let email = "email"
    static let mobileNumber = "mobileNumber"
    static let smsSubscription = "smsSubscription"
    static let voiceSubscription = "voiceSubscription"
    static let emailSubscription = "emailSubscription"
    static let lastActiveDate = "lastActiveDate"

    static let all: Set<String> = [
        firstName, lastName, state, country, email, mobileNumber, smsSubscription, voiceSubscription, emailSubscription, lastActiveDate,
    ]
}

/// `GET /api/v1/audience/{id}`: the audience member as Volt MX shows it (id as a number).
struct AudienceMember: Encodable {
    var lastName: String?
    var country: String?
    var createdDateStr: String
    var mobileNumber: String?
    var active: Bool
    var smsSubscription: Bool
    var voiceSubscription: Bool
    var firstName: String?
    var lastModifiedDateStr: String
    var emailSubscription: Bool
    var id: Int64
    var state: String?
    var email: String?
    var lastActiveDateStr: String?
}

extension AudienceMember: JSONWritable {
    /// Keys in byte order, as `JSONEncoder`'s `sortedKeys` writes them.
    func write(to writer: inout JSONWriter) {
        writer.object { writer in
            writer.field("active", active)
            writer.field("country", country)
            writer.field("createdDateStr", createdDateStr)
            writer.field("email", email)
            writer.field("emailSubscription", emailSubscription)
            writer.field("firstName", firstName)
            writer.field("id", id)
            writer.field("lastActiveDateStr", lastActiveDateStr)
            writer.field("lastModifiedDateStr", lastModifiedDateStr)
            writer.field("lastName", lastName)
            writer.field("mobileNumber", mobileNumber)
            writer.field("smsSubscription", smsSubscription)
            writer.field("state", state)
            writer.field("voiceSubscription", voiceSubscription)
        }
    }
}
