import DragomanCore
import DragomanTransport
import Foundation
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// The hand-written JSON on the hot path (``JSONWriter``, the ``JSONWritable`` wire types, the
/// stored document) says byte for byte what Foundation's `JSONEncoder` said before it, so no
/// caller and no stored row sees a difference.
@Suite struct JSONWriterTests {
    /// What `JSONEncoder` writes for `value` with the wire options.
    func foundation(_ value: some Encodable) throws -> String {
        String(decoding: try WireJSON.encoder.encode(value), as: UTF8.self)
    }

    func written(_ value: some JSONWritable) -> String {
        String(decoding: value.jsonBytes, as: UTF8.self)
    }

    static let awkwardText = "q\"uo\\te/slash \u{01}\u{08}\u{0C}\n\r\t\u{1F}\u{7F} é \u{2028} 😀 <>&"

    @Test func neutralValuesAreWrittenAsJSONEncoderWritesThem() throws {
        let value = JSONValue.object([
            "b": .integer(-12), "B": .bool(true), "a10": .null, "a9": .number(1.5), "_z": .array([.number(-0.0), .number(1e21), .number(1e-7), .number(0.1)]),
            "Zeta": .string(Self.awkwardText), "éa": .object([:]), "ea": .array([]),
            "nested": .object(["y": .integer(Int64.max), "x": .integer(Int64.min), "z": .number(786_291_234.567891), "w": .number(123_456_789_012)]),
        ])
        #expect(written(value) == (try foundation(value)))
    }

    @Test func everyControlCharacterIsEscapedAsJSONEncoderEscapesIt() throws {
        let text = String(String.UnicodeScalarView((0..<0x80).compactMap(Unicode.Scalar.init)))
        #expect(written(JSONValue.string(text)) == (try foundation(JSONValue.string(text))))
    }

    @Test func telnessUsersAreWrittenAsJSONEncoderWritesThem() throws {
        let full = TelnessUser(
            userId: "7c8f", name: Self.awkwardText, email: "a@b.se", msisdn: "+46701234567", identity: "19121212-1212",
            customerIds: ["c1", "c2"], customers: [.init(customerId: "c1", name: "One"), .init(customerId: "c2", name: "Two")],
            createdAt: "2026-12-02T03:00:00Z", updatedAt: "2026-12-02T03:00:01Z", metadata: ["k": .string("v"), "n": .integer(3)]
        )
        let bare = TelnessUser(
            userId: "x", name: "", email: nil, msisdn: nil, identity: nil, customerIds: [], customers: [], createdAt: "c", updatedAt: "u", metadata: [:])
        for user in [full, bare] { #expect(written(user) == (try foundation(user))) }
    }

    @Test func telnessErrorsAreWrittenAsJSONEncoderWritesThem() throws {
        let errors = [
            TelnessError(message: "Validation failed", code: "VALIDATION_ERROR", details: [.init(message: "m", code: "c", property: "email")], hint: "h"),
            TelnessError(message: "Not found", code: "NOT_FOUND"),
        ]
        for error in errors { #expect(written(error) == (try foundation(error))) }
    }

    @Test func voltMXMessagesAreWrittenAsJSONEncoderWritesThem() throws {
        let messages = [
            VoltMXMessage(id: "12", message: VoltMX.added),
            VoltMXMessage(message: VoltMX.invalidAttributes, errors: [.init(attribute: "email", message: Self.awkwardText)]),
        ]
        for message in messages { #expect(written(message) == (try foundation(message))) }
    }

    @Test func audienceMembersAreWrittenAsJSONEncoderWritesThem() throws {
        let members = [
            AudienceMember(
                lastName: "Lovelace", country: "Sweden", createdDateStr: "12/02/2026 03:00:00 AM", mobileNumber: "+46701234567", active: true,
                smsSubscription: false,
                voiceSubscription: true, firstName: "Ada", lastModifiedDateStr: "12/02/2026 03:00:00 AM", emailSubscription: true, id: 42, state: "S",
                email: "ada@example.com", lastActiveDateStr: "08/23/2017"
            ),
            AudienceMember(
                lastName: nil, country: nil, createdDateStr: "c", mobileNumber: nil, active: false, smsSubscription: false, voiceSubscription: false,
                firstName: nil,
                lastModifiedDateStr: "m", emailSubscription: false, id: 1, state: nil, email: nil, lastActiveDateStr: nil
            ),
        ]
        for member in members { #expect(written(member) == (try foundation(member))) }
    }

    @Test func forwardedBodiesAreWrittenAsJSONEncoderWrotePresentFields() throws {
        let request = BackendRequest.json(.post, "/users", ["name": .string("Ada"), "email": nil, "metadata": .object(["b": .integer(1), "a": .bool(false)])])
        let expected = try foundation(["name": JSONValue.string("Ada"), "metadata": .object(["b": .integer(1), "a": .bool(false)])])
        #expect(request.body.map { String(decoding: $0, as: UTF8.self) } == expected)
    }

    static let fullDocument: StoredDocument = {
        var profile = UserProfile(
            givenName: "Ada", familyName: "Lovelace", displayName: Self.awkwardText, userName: "ada", email: "ada@example.com", phone: "+46701234567",
            country: "Sweden", state: "S", language: "sv", active: true, channels: ChannelSubscriptions(email: true, sms: false, voice: nil, whatsapp: true),
            permissionIDs: [1, 2], groupIDs: [], appIDs: [9], allowAllApps: false, identity: "19121212-1212",
            metadata: ["k": .string("v"), "deep": .object(["list": .array([.integer(1), .number(2.5), .null, .bool(true)])])], lastActiveDate: "08/23/2017",
            extra: ["unknownToThisGateway": .object(["kept": .bool(true)])]
        )
        profile.service = ServiceOptions(
            serviceID: String(repeating: "a", count: 32), preRegister: true, skipRegistrationConfirmation: false, groupGUID: String(repeating: "b", count: 32),
            groupType: .professional, enableCampaigns: true, enableESignatures: false, defaultSecure: .basedOnKeywords, blacklistMode: .secureAndBasic
        )
        return StoredDocument(
            User(
                id: UserID(serial: 7, uuid: UUID()),
                realm: "shared",
                profile: profile,
                passwordHash: "$2b$10$abcdefghijklmnopqrstuv",
                createdAt: Date(timeIntervalSinceReferenceDate: 786_291_234.567891),
                updatedAt: Date(timeIntervalSinceReferenceDate: 786_291_299),
                createdBy: "bench"
            )
        )
    }()

    static let bareDocument = StoredDocument(
        User(
            id: UserID(serial: 1, uuid: UUID()), realm: "shared", profile: UserProfile(), passwordHash: nil, createdAt: Date(), updatedAt: Date(),
            createdBy: nil)
    )

    @Test(arguments: [fullDocument, bareDocument])
    func storedDocumentsReadBackWhatWasWritten(document: StoredDocument) throws {
        #expect(try StoredDocument(json: document.json()) == document)
    }

    /// A row as `JSONEncoder` wrote it before the field table (the profile with its `channels`
    /// and `service` objects, ids as numbers), byte for byte the old encoder's form of a CCC user.
    static let documentBeforeTheFieldTable =
        #"{"createdAt":786291234.567891,"createdBy":"bench","passwordHash":"$2b$10$x","profile":{"active":true,"allowAllApps":false,"appIDs":[9],"channels":{"email":true,"sms":false,"whatsapp":true},"country":"Sweden","displayName":"Ada","email":"ada@example.com","familyName":"Lovelace","givenName":"Ada","groupIDs":[],"identity":"19121212-1212","language":"sv","lastActiveDate":"08\/23\/2017","metadata":{"k":"v"},"permissionIDs":[1,2],"phone":"+46701234567","service":{"blacklistMode":"SecureAndBasic","defaultSecure":"BasedOnKeywords","enableCampaigns":true,"enableESignatures":false,"groupGUID":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","groupType":"Professional","preRegister":true,"serviceID":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","skipRegistrationConfirmation":false},"state":"S","userName":"ada"},"updatedAt":786291299}"#

    @Test func documentsWrittenBeforeTheFieldTableReadTheSame() throws {
        let document = try StoredDocument(json: Self.documentBeforeTheFieldTable)
        let profile = document.profile
        #expect(
            profile.givenName == "Ada" && profile.lastActiveDate == "08/23/2017"
                && profile.channels == ChannelSubscriptions(email: true, sms: false, whatsapp: true))
        #expect(profile.permissionIDs == [1, 2] && profile.groupIDs == [] && profile.metadata == ["k": .string("v")])
        #expect(profile.text(.tenant) == String(repeating: "a", count: 32))
        #expect(
            profile.service
                == ServiceOptions(
                    serviceID: String(repeating: "a", count: 32), preRegister: true, skipRegistrationConfirmation: false,
                    groupGUID: String(repeating: "b", count: 32),
                    groupType: .professional, enableCampaigns: true, enableESignatures: false, defaultSecure: .basedOnKeywords, blacklistMode: .secureAndBasic
                ))
        #expect(try StoredDocument(json: document.json()) == document)
    }

    @Test(arguments: [
        "", "[]", #"{"profile":{"channels":{}},"createdAt":"yesterday","updatedAt":0}"#, #"{"profile":{"channels":{}},"createdAt":0}"#,
        #"{"profile":{"channels":{},"email":5},"createdAt":0,"updatedAt":0}"#, #"{"profile":[],"createdAt":0,"updatedAt":0}"#,
        #"{"profile":{"channels":[]},"createdAt":0,"updatedAt":0}"#, #"{"profile":{"permissionIDs":[1.5]},"createdAt":0,"updatedAt":0}"#,
    ])
    func aDocumentOfTheWrongShapeIsACorruptRow(text: String) {
        #expect(throws: StoreError.self) { try StoredDocument(json: text) }
    }

    @Test func recordedHeadersReadBackAndReadWhatJSONEncoderWrote() throws {
        let headers = [RecordedResponse.HeaderField(name: "Content-Type", value: "application/json"), .init(name: "X-Odd", value: Self.awkwardText)]
        let response = RecordedResponse(status: 201, headers: headers, body: [])
        #expect(RecordedResponse.headers(fromJSON: response.headersJSON) == headers)
        let old = String(decoding: try JSONEncoder().encode(headers), as: UTF8.self)
        #expect(RecordedResponse.headers(fromJSON: old) == headers)
        #expect(try JSONDecoder().decode([RecordedResponse.HeaderField].self, from: Data(response.headersJSON.utf8)) == headers)
        #expect(RecordedResponse.headers(fromJSON: "not json").isEmpty)
    }
}
