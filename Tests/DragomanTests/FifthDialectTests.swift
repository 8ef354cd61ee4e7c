import DragomanCore
import Foundation
import HTTPTypes
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanTelness
@testable import DragomanVoltMX

extension DialectID {
    /// A dialect that exists only in this test.
    static let acme = DialectID(rawValue: "acme-people")
}

/// A small fifth dialect, written here: two fields, `POST /acme/people` and
/// `GET /acme/people/:id`. It reaches the gateway through the registry alone.
struct AcmePeopleDialect: UserDialect {
    /// A person as the Acme API shows one.
    struct Person: Encodable {
        var id: String
        var fullName: String?
        var mail: String?
    }

    /// The Acme error envelope.
    struct Problem: Encodable {
        var problem: String
        var fields: [String]
    }

    static let registration = DialectRegistration(
        id: .acme,
        defaultSchemes: [.apiKey],
        make: { _ in AcmePeopleDialect() },
        backend: nil
    )

    var id: DialectID { .acme }

    var routes: [DialectRoute] {
        [
            DialectRoute(method: .post, path: "/acme/people", operation: .create),
            DialectRoute(method: .get, path: "/acme/people/:id", operation: .read),
        ]
    }

    var profile: ValidationProfile { ValidationProfile(required: [.displayName, .email], uniqueKeys: [.email]) }

    func decodeCreate(_ request: DialectRequest) throws(GatewayFailure) -> DecodedCreate {
        var body = try WireObject(request.body)
        var profile = UserProfile()
        profile.displayName = body.string("fullName")
        profile.email = body.string("mail")
        for name in body.unknownNames(known: ["fullName", "mail"]) { body.fail(name, .unknownAttribute) }
        return DecodedCreate(user: NewUser(profile: profile), violations: body.violations)
    }

    func lookup(_ request: DialectRequest) throws(GatewayFailure) -> UserLookup {
        guard let uuid = request.parameters["id"].flatMap(UUID.init(uuidString:)) else { throw .service(.notFound) }
        return .uuid(uuid)
    }

    func created(_ user: User, request: DialectRequest) -> DialectResponse { .json(.created, person(user)) }

    func read(_ user: User, request: DialectRequest) -> DialectResponse { .json(.ok, person(user)) }

    func failure(_ failure: GatewayFailure, request: DialectRequest) -> DialectResponse {
        switch failure {
        case .service(.invalid(let violations)):
            return .json(.unprocessableContent, Problem(problem: "invalid", fields: violations.map { wireName(for: $0.field) }))
        case .service(.duplicate): return .json(.conflict, Problem(problem: "taken", fields: ["mail"]))
        case .service(.notFound): return .json(.notFound, Problem(problem: "no such person", fields: []))
        case .unauthenticated: return .json(.unauthorized, Problem(problem: "who are you", fields: []))
        default: return .json(.internalServerError, Problem(problem: failure.summary, fields: []))
        }
    }

    func wireName(_ field: UserField) -> String {
        switch field {
        case .displayName: "fullName"
        case .email: "mail"
        default: field.rawValue
        }
    }

    private func wireName(for field: FieldViolation.Field) -> String {
        switch field {
        case .canonical(let field): wireName(field)
        case .wire(let name): name
        }
    }

    private func person(_ user: User) -> Person {
        Person(id: user.id.uuid.uuidString, fullName: user.profile.fullName, mail: user.profile.email)
    }
}

/// Adding a dialect is its own code plus one registration: no switch elsewhere to extend.
@Suite struct FifthDialectTests {
    static func gateway() -> TestGateway {
        TestGateway { configuration in
            configuration.registry = configuration.registry.adding(AcmePeopleDialect.registration)
            configuration.dialects[.acme] = .init(auth: AuthPolicy(schemes: []))
        }
    }

    @Test func aRegisteredDialectCreatesAndReadsAUserOverHTTP() async throws {
        try await Self.gateway().run { client in
            let created = try await client.post("/acme/people", #"{"fullName":"Ada Lovelace","mail":"ada@acme.example"}"#)
            #expect(created.status == .created)
            let id = try #require(created.json.member("id")?.textValue)
            let read = try await client.get("/acme/people/\(id)")
            #expect(read.status == .ok)
            #expect(read.json.member("fullName")?.textValue == "Ada Lovelace")
            #expect(read.json.member("mail")?.textValue == "ada@acme.example")
        }
    }

    @Test func aUserCreatedInTheFifthDialectIsReadInAnother() async throws {
        try await Self.gateway().run { client in
            let created = try await client.post("/acme/people", #"{"fullName":"Grace Hopper","mail":"grace@acme.example"}"#)
            let id = try #require(created.json.member("id")?.textValue)
            let telness = try await client.get("/users/\(id.lowercased())")
            #expect(telness.status == .ok)
            #expect(telness.json.member("email")?.textValue == "grace@acme.example")
        }
    }

    @Test func theFifthDialectAnswersItsOwnErrorsWithItsFieldNames() async throws {
        try await Self.gateway().run { client in
            let invalid = try await client.post("/acme/people", #"{"fullName":"Ada","mail":"not an address","shoe":1}"#)
            #expect(invalid.status == .unprocessableContent)
            let fields = invalid.json.member("fields")?.arrayValue?.compactMap(\.textValue) ?? []
            #expect(Set(fields) == ["mail", "shoe"])
            _ = try await client.post("/acme/people", #"{"fullName":"Ada","mail":"ada@acme.example"}"#)
            let duplicate = try await client.post("/acme/people", #"{"fullName":"Ada Two","mail":"ADA@acme.example"}"#)
            #expect(duplicate.status == .conflict)
            let missing = try await client.get("/acme/people/\(UUID().uuidString)")
            #expect(missing.status == .notFound)
        }
    }

    @Test func theFifthDialectsRoutesAreClosedByItsDefaultAuthChain() async throws {
        let gateway = TestGateway { configuration in
            configuration.registry = configuration.registry.adding(AcmePeopleDialect.registration)
        }
        try await gateway.run { client in
            let refused = try await client.post("/acme/people", #"{"fullName":"Ada Lovelace","mail":"ada@acme.example"}"#)
            #expect(refused.status == .unauthorized)
            #expect(refused.json.member("problem")?.textValue == "who are you")
        }
    }

    @Test func theStandardRegistryKnowsNothingOfTheFifthDialect() {
        #expect(!DialectRegistry.standard.ids.contains(.acme))
        #expect(GatewayConfiguration().enabledDialects.map(\.id) == DialectRegistry.standard.ids)
    }
}
