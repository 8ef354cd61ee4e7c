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

@Suite struct VoltMXAudienceTests {
    @Test func vendorSampleIsCreatedWithAStringID() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post("/api/v1/audience", Samples.audience, contentType: "application/json;charset=UTF-8")
            #expect(reply.status == .ok)
            #expect(reply.json == .object(["id": .string("1"), "message": .string("Details added successfully")]))
        }
    }

    @Test func readShowsTheMemberWithANumericID() async throws {
        try await TestGateway().run { client in
            _ = try await client.post("/api/v1/audience", Samples.audience)
            let reply = try await client.get("/api/v1/audience/1")
            #expect(reply.status == .ok)
            let member = reply.json
            #expect(member["id"] == .integer(1))
            #expect(member["firstName"]?.string == "Latha")
            #expect(member["lastName"]?.string == "Ganesh")
            #expect(member["country"]?.string == "India")
            #expect(member["email"]?.string == "latha.ganesh@voltmx.com")
            #expect(member["smsSubscription"] == .bool(true))
            #expect(member["active"] == .bool(true))
            #expect(member["lastActiveDateStr"]?.string == "08/23/2017 12:00:00 AM UTC")
            #expect(member["createdDateStr"]?.string?.hasSuffix(" UTC") == true)
            #expect(member["mobileNumber"] == nil)
            #expect(member["state"] == nil)
        }
    }

    @Test func kpnsContextServesTheSameRoutes() async throws {
        try await TestGateway().run { client in
            let created = try await client.post("/kpns/api/v1/audience", Samples.audience)
            #expect(created.status == .ok)
            let read = try await client.get("/kpns/api/v1/audience/1")
            #expect(read.json["email"]?.string == "latha.ganesh@voltmx.com")
        }
    }

    @Test func duplicateEmailIs400WithTheExistingID() async throws {
        try await TestGateway().run { client in
            _ = try await client.post("/api/v1/audience", Samples.audience)
            let again = try await client.post("/api/v1/audience", Samples.audience.replacingOccurrences(of: "latha.ganesh", with: "LATHA.GANESH"))
            #expect(again.status == .badRequest)
            #expect(again.json["id"]?.string == "1")
            #expect(again.json["message"]?.string == "User already exists with this Email latha.ganesh@voltmx.com")
        }
    }

    @Test func missingRequiredFieldsAreAllReported() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post("/api/v1/audience", "{}")
            #expect(reply.status == .badRequest)
            let attributes = reply.json["errors"]?.array.compactMap { $0["attribute"]?.string }
            #expect(attributes == ["firstName", "lastName", "email", "country"])
            #expect(
                reply.json["message"]?.string
                    == "Attribute ‘firstName’ is a mandatory field. Please provide a valid value for the same"
            )
        }
    }

    @Test func stateIsRequiredInTheUSA() async throws {
        try await TestGateway().run { client in
            let body = #"{"firstName":"A","lastName":"B","country":"United States","email":"a@b.com","state":""}"#
            let reply = try await client.post("/api/v1/audience", body)
            #expect(reply.status == .badRequest)
            #expect(reply.json["errors"]?[0]?["attribute"]?.string == "state")
            let withState = body.replacingOccurrences(of: #""state":"""#, with: #""state":"California""#)
            let result1 = try await client.post("/api/v1/audience", withState)
            #expect(result1.status == .ok)
        }
    }

    @Test func mobileNumberNeedsCountryCodeAndTenDigits() async throws {
        try await TestGateway().run { client in
            let bad = #"{"firstName":"A","lastName":"B","country":"India","email":"a@b.com","mobileNumber":"+91123"}"#
            let reply = try await client.post("/api/v1/audience", bad)
            #expect(reply.status == .badRequest)
            #expect(reply.json["message"]?.string == "Mobile number should have country code followed by ten digit number")
            let good = #"{"firstName":"A","lastName":"B","country":"India","email":"a@b.com","mobileNumber":911235551234}"#
            let result2 = try await client.post("/api/v1/audience", good)
            #expect(result2.status == .ok)
            #expect(try await client.get("/api/v1/audience/1").json["mobileNumber"]?.string == "+911235551234")
        }
    }

    @Test func unknownAttributesAreRejected() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post("/api/v1/audience", #"{"firstName":"A","lastName":"B","country":"India","email":"a@b.com","nickname":"x"}"#)
            #expect(reply.status == .badRequest)
            #expect(reply.json["message"]?.string == "The request contains invalid attributes")
            #expect(reply.json["errors"]?[0]?["attribute"]?.string == "nickname")
        }
    }

    @Test func booleansMayBeSentAsStringsButNotAsOtherValues() async throws {
        try await TestGateway().run { client in
            let strings = #"{"firstName":"A","lastName":"B","country":"India","email":"a@b.com","smsSubscription":"false"}"#
            let result3 = try await client.post("/api/v1/audience", strings)
            #expect(result3.status == .ok)
            let wrong = #"{"firstName":"A","lastName":"B","country":"India","email":"c@b.com","smsSubscription":1}"#
            let reply = try await client.post("/api/v1/audience", wrong)
            #expect(reply.status == .badRequest)
            #expect(reply.json["message"]?.string == "Attribute ‘smsSubscription’ should be a boolean")
        }
    }

    @Test func mobileReconciliationRequiresAndDeduplicatesTheMobileNumber() async throws {
        try await TestGateway { $0.dialectData[VoltMXAudienceDialect.ReconciliationKey.self] = .mobileNumber }.run { client in
            let missing = try await client.post("/api/v1/audience", Samples.audience)
            #expect(missing.status == .badRequest)
            #expect(missing.json["errors"]?[0]?["attribute"]?.string == "mobileNumber")
            let first = #"{"firstName":"A","lastName":"B","country":"India","email":"a@b.com","mobileNumber":"+911235551234"}"#
            let result4 = try await client.post("/api/v1/audience", first)
            #expect(result4.status == .ok)
            let sameEmailOtherMobile = first.replacingOccurrences(of: "1235551234", with: "1235550000")
            let result5 = try await client.post("/api/v1/audience", sameEmailOtherMobile)
            #expect(result5.status == .ok)
            let sameMobile = first.replacingOccurrences(of: "a@b.com", with: "z@b.com")
            let duplicate = try await client.post("/api/v1/audience", sameMobile)
            #expect(duplicate.status == .badRequest)
            #expect(duplicate.json["message"]?.string == "User already exists with this mobile number")
            #expect(duplicate.json["id"]?.string == "1")
        }
    }

    @Test func unknownIDIs400WithTheVendorMessage() async throws {
        try await TestGateway().run { client in
            for path in ["/api/v1/audience/42", "/api/v1/audience/abc"] {
                let reply = try await client.get(path)
                #expect(reply.status == .badRequest)
                #expect(reply.json["message"]?.string == "Invalid Audience Member ID provided or no audience member found with given ID")
            }
        }
    }
}
