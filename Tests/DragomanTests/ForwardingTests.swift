import DragomanCore
import DragomanTransport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanSCIM
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// Forwarding over real loopback HTTP: a second Dragoman, answering locally in one dialect, is
/// the backend of a first that callers speak another dialect to.
@Suite struct ForwardingTests {
    /// How to create and read a user in a dialect, as a caller.
    struct Caller {
        let id: DialectID

        func create(_ client: any TestClientProtocol, email: String) async throws -> Reply {
            switch id {
            case .voltMXAudience:
                return try await client.post(
                    "/api/v1/audience", #"{"firstName":"Ada","lastName":"Lovelace","country":"India","email":"\#(email)","smsSubscription":true}"#)
            case .voltMXAccessManagement:
                let body = #"{"userName":"ada","email":"\#(email)","password":"Pw123456","displayName":"Ada Lovelace","selectedPermissionIds":["3"]}"#
                return try await client.post("/api/v1/accessmgmt/users", body)
            case .telnessConnect:
                return try await client.post("/users", #"{"name":"Ada Lovelace","email":"\#(email)"}"#)
            case .scim:
                let body = #"{"userName":"ada","name":{"givenName":"Ada","familyName":"Lovelace"},"emails":[{"value":"\#(email)","primary":true}]}"#
                return try await client.post("/scim/v2/Users", body, contentType: "application/scim+json")
            default:  // deliveryslip-ccc
                return try await client.post(Samples.cccPath, #"{"emailAddress":"\#(email)","password":"pw","firstName":"Ada","lastName":"Lovelace"}"#)
            }
        }

        var createdStatus: HTTPResponse.Status { id == .telnessConnect || id == .scim ? .created : .ok }

        func createdID(_ reply: Reply) -> String? {
            switch id {
            case .voltMXAudience, .voltMXAccessManagement: reply.json["id"]?.string
            case .telnessConnect: reply.json["userId"]?.string
            case .scim: reply.json["id"]?.string
            default: reply.json["serviceUserGuid"]?.string  // deliveryslip-ccc
            }
        }

        func read(_ client: any TestClientProtocol, id: String) async throws -> Reply {
            switch self.id {
            case .voltMXAudience: try await client.get("/api/v1/audience/\(id)")
            case .voltMXAccessManagement: try await client.get("/api/v1/accessmgmt/users/\(id)")
            case .telnessConnect: try await client.get("/users/\(id)")
            case .scim: try await client.get("/scim/v2/Users/\(id)")
            default: try await client.get("\(Samples.cccPath)/single?ServiceUserGuid=\(id)")  // deliveryslip-ccc
            }
        }

        func email(_ reply: Reply) -> String? {
            switch id {
            case .deliverySlipCCC: reply.json["serviceUser"]?["emailAddress"]?.string
            case .scim: reply.json["emails"]?[0]?["value"]?.string
            default: reply.json["email"]?.string
            }
        }
    }

    static func upstream(port: Int, dialect: DialectID) -> UpstreamConfiguration {
        // A SCIM service's base URL is its SCIM root, where `/Users` begins.
        let root = dialect == .scim ? "/scim/v2" : ""
        var upstream = UpstreamConfiguration(name: "backend", baseURL: "http://127.0.0.1:\(port)\(root)", dialect: dialect)
        upstream.password = .generate
        upstream.userName = .fromEmail
        upstream.permissionIDs = [1]
        upstream.country = "Sweden"
        upstream.tenant = Samples.service
        // Generous: the whole suite runs in parallel; timeouts are tested with their own setting.
        upstream.requestTimeout = 10
        return upstream
    }

    /// A front gateway whose `caller` dialect forwards to `upstream`.
    static func front(_ caller: DialectID, _ upstream: UpstreamConfiguration, lostFields: LostFieldPolicy = .drop) -> TestGateway {
        TestGateway { configuration in
            configuration.upstreams = ["backend": upstream]
            configuration.dialects[caller]?.mode = .forward
            configuration.dialects[caller]?.upstream = "backend"
            configuration.dialects[caller]?.lostFields = lostFields
        }
    }

    /// Runs a local backend Dragoman and a front forwarding `caller` to it in `backend`'s dialect.
    static func withPair(
        caller: DialectID,
        backend: DialectID,
        adjust: @escaping @Sendable (inout UpstreamConfiguration) -> Void = { _ in },
        lostFields: LostFieldPolicy = .drop,
        _ body: @escaping @Sendable (_ front: any TestClientProtocol, _ back: any TestClientProtocol) async throws -> Void
    ) async throws {
        try await TestGateway().run { back in
            var upstream = upstream(port: back.port!, dialect: backend)
            adjust(&upstream)
            try await front(caller, upstream, lostFields: lostFields).run { front in try await body(front, back) }
        }
    }

    @Test(arguments: DialectRegistry.standard.ids, DialectRegistry.standard.ids)
    func everyPairRoundTripsACreateAndARead(caller: DialectID, backend: DialectID) async throws {
        try await Self.withPair(caller: caller, backend: backend) { front, _ in
            let speaker = Caller(id: caller)
            let created = try await speaker.create(front, email: "ada@example.com")
            #expect(created.status == speaker.createdStatus, "\(created.text)")
            let id = try #require(speaker.createdID(created))
            let read = try await speaker.read(front, id: id)
            #expect(read.status == .ok, "\(read.text)")
            #expect(speaker.email(read) == "ada@example.com")
        }
    }

    @Test func callerSeesIDsInItsOwnFormat() async throws {
        try await Self.withPair(caller: .voltMXAudience, backend: .telnessConnect) { front, back in
            let created = try await Caller(id: .voltMXAudience).create(front, email: "a@x.com")
            #expect(created.json["id"]?.string == "1")
            let backendUser = try await back.get("/api/v1/audience/1")
            #expect(backendUser.json["email"]?.string == "a@x.com")
            let read = try await front.get("/api/v1/audience/1")
            #expect(read.json["id"] == .integer(1))
            #expect(read.json["firstName"]?.string == "Ada")
        }
    }

    @Test func backendValidationErrorsComeBackInTheCallersFieldNames() async throws {
        try await Self.withPair(caller: .telnessConnect, backend: .voltMXAudience) { front, _ in
            let reply = try await front.post("/users", #"{"name":"Ada Lovelace","email":"a@x.com","msisdn":"+4612345678"}"#)
            #expect(reply.status == .badRequest, "\(reply.text)")
            #expect(reply.json["code"]?.string == "VALIDATION_ERROR")
            #expect(reply.json["details"]?[0]?["property"]?.string == "msisdn")
        }
    }

    @Test func backendDuplicatesComeBackInTheCallersShape() async throws {
        try await Self.withPair(caller: .telnessConnect, backend: .voltMXAudience) { front, _ in
            _ = try await front.post("/users", #"{"name":"Ada Lovelace","email":"a@x.com"}"#)
            let again = try await front.post("/users", #"{"name":"Ada Lovelace","email":"a@x.com"}"#)
            #expect(again.status == .conflict)
            #expect(again.json["code"]?.string == "USER_ALREADY_EXISTS")
        }
        try await Self.withPair(caller: .deliverySlipCCC, backend: .telnessConnect) { front, _ in
            _ = try await Caller(id: .deliverySlipCCC).create(front, email: "b@x.com")
            let again = try await Caller(id: .deliverySlipCCC).create(front, email: "b@x.com")
            #expect(again.status == .conflict)
            #expect(again.json["responseStatus"]?["errorCode"]?.string == "Conflict")
        }
    }

    @Test func missingRequiredFieldIsRefusedBeforeAnythingIsSent() async throws {
        try await Self.withPair(caller: .telnessConnect, backend: .voltMXAccessManagement, adjust: { $0.password = .reject }) { front, back in
            let reply = try await front.post("/users", #"{"name":"Ada Lovelace","email":"a@x.com"}"#)
            #expect(reply.status == .badRequest)
            #expect(reply.json["details"]?[0]?["property"]?.string == "password")
            #expect(reply.json["details"]?[0]?["code"]?.string == "FIELD_REQUIRED")
            let nothing = try await back.get("/api/v1/accessmgmt/users/1")
            #expect(nothing.status == .badRequest)
        }
    }

    @Test func singleWordNameCannotFeedAFamilyName() async throws {
        try await Self.withPair(caller: .telnessConnect, backend: .deliverySlipCCC) { front, _ in
            let reply = try await front.post("/users", #"{"name":"Cher","email":"c@x.com"}"#)
            #expect(reply.status == .badRequest)
            #expect(reply.json["details"]?[0]?["property"]?.string == "name")
        }
    }

    @Test func lostFieldsAreRejectedByDefault() async throws {
        try await Self.withPair(caller: .voltMXAudience, backend: .telnessConnect, lostFields: .reject) { front, _ in
            let reply = try await front.post(
                "/api/v1/audience", #"{"firstName":"A","lastName":"B","country":"India","email":"a@x.com","smsSubscription":true}"#)
            #expect(reply.status == .badRequest)
            let attributes = Set(reply.json["errors"]?.array.compactMap { $0["attribute"]?.string } ?? [])
            #expect(attributes == ["country", "smsSubscription"])
        }
    }

    @Test func droppedFieldsAreNamedInAHeader() async throws {
        try await Self.withPair(caller: .voltMXAudience, backend: .telnessConnect) { front, _ in
            let reply = try await front.post(
                "/api/v1/audience", #"{"firstName":"A","lastName":"B","country":"India","email":"a@x.com","smsSubscription":true}"#)
            #expect(reply.status == .ok)
            #expect(reply.headers[HTTPField.Name("Dragoman-Dropped-Fields")!] == "country, smsSubscription")
        }
    }

    @Test func unknownCallerIDIsNotFoundInTheCallersShape() async throws {
        try await Self.withPair(caller: .telnessConnect, backend: .voltMXAudience) { front, _ in
            let reply = try await front.get("/users/\(UUID().uuidString)")
            #expect(reply.status == .notFound)
            #expect(reply.json["code"]?.string == "NOT_FOUND")
        }
    }

    @Test func idMapSurvivesARestart() async throws {
        try await TestGateway().run { back in
            let front = Self.front(.telnessConnect, Self.upstream(port: back.port!, dialect: .voltMXAudience))
            let box = SessionBox()
            try await front.run { client in
                await box.set(try await client.post("/users", #"{"name":"Ada Lovelace","email":"a@x.com"}"#).json["userId"]?.string)
            }
            let id = try #require(await box.value)
            try await front.run { client in
                let read = try await client.get("/users/\(id)")
                #expect(read.status == .ok)
                #expect(read.json["name"]?.string == "Ada Lovelace")
            }
        }
    }

    @Test func backendSessionLoginIsUsedAndRenewed() async throws {
        let hash = AuthenticationTests.aliceHash
        let backend = TestGateway { configuration in
            configuration.dialects[.deliverySlipCCC]?.auth.schemes = [.session]
            configuration.principals = [Principal(name: "alice", passwordHash: hash)]
            configuration.sessionTTL = 1
        }
        try await backend.run { back in
            var upstream = Self.upstream(port: back.port!, dialect: .deliverySlipCCC)
            upstream.authentication = .session(user: "alice", password: Secret(AuthenticationTests.alicePassword))
            try await Self.front(.telnessConnect, upstream).run { front in
                let first = try await front.post("/users", #"{"name":"Ada Lovelace","email":"a@x.com"}"#)
                #expect(first.status == .created, "\(first.text)")
                try await Task.sleep(for: .milliseconds(1200))
                let second = try await front.post("/users", #"{"name":"Bob Smith","email":"b@x.com"}"#)
                #expect(second.status == .created, "\(second.text)")
            }
        }
    }
}
