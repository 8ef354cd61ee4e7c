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

@Suite struct DeliverySlipCCCTests {
    static func isGUID(_ text: String?) -> Bool {
        guard let text else { return false }
        return text.count == 32 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    @Test func jsonSampleCreatesAServiceUser() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post(Samples.cccPath, Samples.ccc)
            #expect(reply.status == .ok)
            #expect(reply.json.keys == ["serviceUserGuid"])
            #expect(Self.isGUID(reply.json["serviceUserGuid"]?.string))
        }
    }

    @Test func formBodiesAndCaseInsensitiveNamesBind() async throws {
        try await TestGateway().run { client in
            let form = "EMAILADDRESS=ada%40example.com&password=pw+with+space&firstname=Ada&LastName=Lovelace&defaultSecure=always"
            let reply = try await client.post(Samples.cccPath, form, contentType: "application/x-www-form-urlencoded")
            #expect(reply.status == .ok)
            let guid = try #require(reply.json["serviceUserGuid"]?.string)
            let read = try await client.get("\(Samples.cccPath)/single?ServiceUserGuid=\(guid)")
            #expect(read.json["serviceUser"]?["emailAddress"]?.string == "ada@example.com")
            #expect(read.json["serviceUser"]?["defaultSecure"]?.string == "Always")
        }
    }

    @Test func jsonSuffixAndFormatParameterAreAccepted() async throws {
        try await TestGateway().run { client in
            let reply1 = try await client.post("\(Samples.cccPath).json", Samples.ccc)
            #expect(reply1.status == .ok)
            let second = Samples.ccc.replacingOccurrences(of: "ada@", with: "bob@")
            let reply2 = try await client.post("\(Samples.cccPath)?format=json", second)
            #expect(reply2.status == .ok)
        }
    }

    @Test func formatsServiceStackServesButDragomanDoesNotAre406() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post("\(Samples.cccPath)?format=html", Samples.ccc)
            #expect(reply.status == .notAcceptable)
            #expect(reply.json["responseStatus"]?["errorCode"]?.string == "NotAcceptable")
        }
    }

    @Test func callbackWrapsTheResponseInJSONP() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post("\(Samples.cccPath)?callback=handle", Samples.ccc)
            #expect(reply.status == .ok)
            #expect(reply.text.hasPrefix("handle({\"serviceUserGuid\":\""))
            #expect(reply.text.hasSuffix("})"))
            #expect(reply.headers[.contentType] == "text/javascript; charset=utf-8")
        }
    }

    @Test func unsafeCallbackIsSanitisedAsServiceStackDoes() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post("\(Samples.cccPath)?callback=alert(1)%3Bx", Samples.ccc)
            #expect(reply.status == .ok)
            #expect(reply.text.hasPrefix("alert_1__x({\"serviceUserGuid\":"))
        }
    }

    @Test func errorsUnderJSONPAreSentWithStatus200() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post("\(Samples.cccPath)?callback=cb", #"{"emailAddress":"not-an-address"}"#)
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(reply.text.hasPrefix("cb({\"responseStatus\":{\"errorCode\":\"NotEmpty\""))
        }
    }

    @Test func callbackWinsOverAnotherFormat() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post("\(Samples.cccPath)?format=xml&callback=cb", Samples.ccc)
            #expect(reply.status == .ok)
            #expect(reply.text.hasPrefix("cb({\"serviceUserGuid\":"))
        }
    }

    @Test func predefinedRouteTakesTheServiceFromTheBody() async throws {
        try await TestGateway().run { client in
            let body = Samples.ccc.replacingOccurrences(of: "00000000000000000000000000000000", with: Samples.service)
            let reply = try await client.post("/json/reply/CreateServiceUser", body)
            #expect(reply.status == .ok)
            let guid = try #require(reply.json["serviceUserGuid"]?.string)
            let reply3 = try await client.get("\(Samples.cccPath)/single?ServiceUserGuid=\(guid)")
            #expect(reply3.status == .ok)
        }
    }

    @Test func validationErrorsNameEveryField() async throws {
        try await TestGateway().run { client in
            let body =
                #"{"emailAddress":"bad","language":"EN","defaultSecure":"Sometimes","blacklistMode":"x","preRegister":"maybe","serviceUserGroupType":"Admin","serviceUserGroupGuid":"zz"}"#
            let reply = try await client.post(Samples.cccPath, body)
            #expect(reply.status == .badRequest)
            let status = try #require(reply.json["responseStatus"])
            let errors = status["errors"]?.array ?? []
            let fields = Dictionary(uniqueKeysWithValues: errors.map { ($0["fieldName"]?.string ?? "", $0["errorCode"]?.string ?? "") })
            #expect(
                fields == [
                    "EmailAddress": "Email", "Password": "NotEmpty", "FirstName": "NotEmpty", "LastName": "NotEmpty", "Language": "Enum",
                    "DefaultSecure": "Enum", "BlacklistMode": "Enum", "PreRegister": "SerializationException",
                    "ServiceUserGroupType": "Enum", "ServiceUserGroupGuid": "SerializationException",
                ]
            )
            #expect(status["errorCode"] == errors.first?["errorCode"])
            #expect(status["message"] == errors.first?["message"])
        }
    }

    @Test func requiredMessagesFollowFluentValidation() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post(Samples.cccPath, #"{"password":"pw","firstName":"A","lastName":"B"}"#)
            #expect(reply.json["responseStatus"]?["message"]?.string == "'Email Address' must not be empty.")
            #expect(reply.json["responseStatus"]?["errorCode"]?.string == "NotEmpty")
        }
    }

    @Test func invalidServiceGUIDInThePathIsReported() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post("/api/services/not-a-guid/users", Samples.ccc)
            #expect(reply.status == .badRequest)
            #expect(reply.json["responseStatus"]?["errors"]?[0]?["fieldName"]?.string == "ServiceGuid")
        }
    }

    @Test func dashedGUIDsAreAcceptedAndShownInNForm() async throws {
        try await TestGateway().run { client in
            let dashed = "5f1c2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7"
            let created = try await client.post("/api/services/\(dashed)/users", Samples.ccc)
            #expect(created.status == .ok)
            let read = try await client.get("\(Samples.cccPath)/single?EmailAddress=ADA@example.com")
            #expect(read.status == .ok)
            #expect(read.json["serviceUser"]?["serviceUserGuid"] == created.json["serviceUserGuid"])
        }
    }

    @Test func sameEmailIsADuplicateInOneServiceOnly() async throws {
        try await TestGateway().run { client in
            let reply4 = try await client.post(Samples.cccPath, Samples.ccc)
            #expect(reply4.status == .ok)
            let duplicate = try await client.post(Samples.cccPath, Samples.ccc)
            #expect(duplicate.status == .conflict)
            #expect(duplicate.json["responseStatus"]?["errorCode"]?.string == "Conflict")
            #expect(duplicate.json["responseStatus"]?["errors"]?[0]?["fieldName"]?.string == "EmailAddress")
            let otherService = "/api/services/\(String(repeating: "1", count: 32))/users"
            let reply5 = try await client.post(otherService, Samples.ccc)
            #expect(reply5.status == .ok)
        }
    }

    @Test func readIsScopedToTheService() async throws {
        try await TestGateway().run { client in
            let guid = try #require(try await client.post(Samples.cccPath, Samples.ccc).json["serviceUserGuid"]?.string)
            let elsewhere = try await client.get("/api/services/\(String(repeating: "2", count: 32))/users/single?ServiceUserGuid=\(guid)")
            #expect(elsewhere.status == .notFound)
            #expect(elsewhere.json["responseStatus"]?["errorCode"]?.string == "NotFound")
            let mismatch = try await client.get("\(Samples.cccPath)/single?ServiceUserGuid=\(guid)&EmailAddress=someone@else.com")
            #expect(mismatch.status == .notFound)
        }
    }

    @Test func readNeedsAUserGUIDOrEmail() async throws {
        try await TestGateway().run { client in
            let reply = try await client.get("\(Samples.cccPath)/single")
            #expect(reply.status == .badRequest)
            #expect(reply.json["responseStatus"]?["errors"]?[0]?["fieldName"]?.string == "ServiceUserGuid")
        }
    }

    @Test func readShowsTheServiceUser() async throws {
        try await TestGateway().run { client in
            let guid = try #require(try await client.post(Samples.cccPath, Samples.ccc).json["serviceUserGuid"]?.string)
            let user = try await client.get("\(Samples.cccPath)/single.json?ServiceUserGuid=\(guid)").json["serviceUser"]
            #expect(user?["firstName"]?.string == "Ada")
            #expect(user?["lastName"]?.string == "Lovelace")
            #expect(user?["status"]?.string == "Active")
            #expect(user?["language"]?.string == "en")
            #expect(user?["groupType"]?.string == "Guest")
            #expect(user?["blacklistMode"]?.string == "SecureOnly")
            #expect(user?["createdOn"]?.string?.hasPrefix("/Date(") == true)
            #expect(user?.keys.contains("password") == false)
        }
    }

    @Test func configuredServicesCheckGroupsAndTheirTypes() async throws {
        let gateway = TestGateway {
            $0.dialectData[ServiceDirectory.self] = ServiceDirectory(services: [
                Samples.service: [Samples.guestGroup: .guest, Samples.professionalGroup: .professional]
            ])
        }
        try await gateway.run { client in
            func create(_ extra: String, email: String) async throws -> Reply {
                let body = #"{"emailAddress":"\#(email)","password":"pw","firstName":"A","lastName":"B"\#(extra)}"#
                return try await client.post(Samples.cccPath, body)
            }
            let matching = try await create(#","serviceUserGroupGuid":"\#(Samples.guestGroup)","serviceUserGroupType":"Guest""#, email: "a@x.com")
            #expect(matching.status == .ok)
            let onlyGUID = try await create(#","serviceUserGroupGuid":"\#(Samples.professionalGroup)""#, email: "b@x.com")
            let guid = try #require(onlyGUID.json["serviceUserGuid"]?.string)
            #expect(try await client.get("\(Samples.cccPath)/single?ServiceUserGuid=\(guid)").json["serviceUser"]?["groupType"]?.string == "Professional")
            let mismatch = try await create(#","serviceUserGroupGuid":"\#(Samples.guestGroup)","serviceUserGroupType":"Professional""#, email: "c@x.com")
            #expect(mismatch.status == .badRequest)
            #expect(mismatch.json["responseStatus"]?["errors"]?[0]?["fieldName"]?.string == "ServiceUserGroupType")
            let unknownGroup = try await create(#","serviceUserGroupGuid":"\#(String(repeating: "c", count: 32))""#, email: "d@x.com")
            #expect(unknownGroup.json["responseStatus"]?["errors"]?[0]?["fieldName"]?.string == "ServiceUserGroupGuid")
            let unknownService = try await client.post("/api/services/\(String(repeating: "e", count: 32))/users", Samples.ccc)
            #expect(unknownService.status == .badRequest)
            #expect(unknownService.json["responseStatus"]?["errors"]?[0]?["fieldName"]?.string == "ServiceGuid")
        }
    }
}
