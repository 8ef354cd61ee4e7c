import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

// A fifth dialect, written outside the gateway's targets through the dialect kit's package API
// alone (no `@testable`), step by step as CONTRIBUTING.md's "Add a dialect" walks through it.

// Step 1: the dialect's id, as configuration and logs spell it.
extension DialectID {
    static let acmePeople = DialectID(rawValue: "acme-people")
}

// Step 2: a field only this dialect knows, declared once; stored, validated and merged with
// the user like a standard field, and read by no other dialect.
extension UserField {
    static let nickname = UserField.extension("nickname", .text(.name))
}

/// Step 3: the wire types: a person as the Acme API shows one, and its error envelope.
struct AcmePerson: Codable {
    var id: String
    var fullName: String?
    var mail: String?
    var nick: String?
}

/// The Acme error envelope: what went wrong and the wire names of the fields it concerns.
struct AcmeProblem: Encodable {
    var problem: String
    var fields: [String]
}

/// Step 4: the dialect: routes, rules, the mapping both ways, and errors in Acme's shape.
struct AcmePeopleDialect: UserDialect {
    var id: DialectID { .acmePeople }

    var routes: [DialectRoute] {
        [
            DialectRoute(method: .post, path: "/acme/people", operation: .create),
            DialectRoute(method: .get, path: "/acme/people/:id", operation: .read),
            DialectRoute(method: .put, path: "/acme/people/:id", operation: .update),
        ]
    }

    var profile: ValidationProfile { ValidationProfile(required: [.displayName, .email], uniqueKeys: [.email]) }

    /// Acme's names for the canonical fields it carries.
    static let wireNames: [UserField: String] = [.displayName: "fullName", .email: "mail", .nickname: "nick"]

    func decodeCreate(_ request: DialectRequest) throws(GatewayFailure) -> DecodedCreate {
        var body = try WireObject(request.body)
        var profile = UserProfile()
        profile.displayName = body.string("fullName")
        profile.email = body.string("mail")
        profile[.nickname] = body.string("nick").map(FieldValue.text)
        for name in body.unknownNames(known: Set(Self.wireNames.values)) { body.fail(name, .unknownAttribute) }
        return DecodedCreate(user: NewUser(profile: profile), violations: body.violations)
    }

    func lookup(_ request: DialectRequest) throws(GatewayFailure) -> UserLookup {
        guard let uuid = request.parameters["id"].flatMap(UUID.init(uuidString:)) else { throw .service(.notFound) }
        return .uuid(uuid)
    }

    func created(_ user: User, request: DialectRequest) -> DialectResponse { .json(.created, Self.person(user)) }

    func read(_ user: User, request: DialectRequest) -> DialectResponse { .json(.ok, Self.person(user)) }

    func failure(_ failure: GatewayFailure, request: DialectRequest) -> DialectResponse {
        switch failure {
        case .service(.invalid(let violations)):
            return .json(.unprocessableContent, AcmeProblem(problem: "invalid", fields: violations.map { wireName(for: $0.field) }))
        case .service(.duplicate): return .json(.conflict, AcmeProblem(problem: "taken", fields: ["mail"]))
        case .service(.notFound): return .json(.notFound, AcmeProblem(problem: "no such person", fields: []))
        case .unauthenticated: return .json(.unauthorized, AcmeProblem(problem: "who are you", fields: []))
        default: return .json(.internalServerError, AcmeProblem(problem: failure.summary, fields: []))
        }
    }

    func wireName(_ field: UserField) -> String { Self.wireNames[field] ?? field.rawValue }

    private func wireName(for field: FieldViolation.Field) -> String {
        switch field {
        case .canonical(let field): wireName(field)
        case .wire(let name): name
        }
    }

    static func person(_ user: User) -> AcmePerson {
        AcmePerson(id: user.id.uuid.uuidString, fullName: user.profile.fullName, mail: user.profile.email, nick: user.profile.text(.nickname))
    }
}

/// Step 5: the backend side, so that callers of any other dialect can be forwarded to a real
/// Acme server.
extension AcmePeopleDialect: BackendDialect {
    var carriedFields: Set<UserField> { [.displayName, .givenName, .familyName, .email, .nickname] }

    func backendCreate(_ user: NewUser, tenant: String?) -> BackendRequest {
        .json(
            .post, "/acme/people", ["fullName": .text(user.profile.fullName), "mail": .text(user.profile.email), "nick": .text(user.profile.text(.nickname))])
    }

    func backendCreated(_ response: BackendResponse, tenant: String?) throws(GatewayFailure) -> String {
        try BackendAnswer.interpret(response, success: [201], parse: { $0.member("id")?.textValue }, failure: backendFailure)
    }

    func backendRead(id: String) -> BackendRequest { .get("/acme/people/\(id)") }

    func backendUser(_ response: BackendResponse) throws(GatewayFailure) -> UserProfile {
        try BackendAnswer.interpret(
            response, success: [200],
            parse: { body in
                var profile = UserProfile()
                profile.displayName = body.member("fullName")?.textValue
                profile.email = body.member("mail")?.textValue
                profile[.nickname] = body.member("nick")?.textValue.map(FieldValue.text)
                return profile
            }, failure: backendFailure)
    }

    func backendChanged(_ response: BackendResponse) throws(GatewayFailure) {
        try BackendAnswer.changed(response, failure: backendFailure)
    }

    func canonicalField(wire: String) -> UserField? {
        BackendAnswer.field(wire: wire, fields: UserField.standard + [.nickname], wireName: wireName)
    }

    /// Acme's refusals: a 409 is a duplicate address, a 422 names its fields.
    private func backendFailure(_ status: Int, _ body: JSONValue?) -> GatewayFailure {
        if status == 409 { return .service(.duplicate(Conflict(key: .email, existingID: nil, value: nil))) }
        let fields = body?.member("fields")?.arrayValue?.compactMap(\.textValue) ?? []
        let violations = fields.map { BackendAnswer.violation(wire: $0, required: false, reason: "refused by the backend", field: canonicalField(wire:)) }
        return BackendAnswer.refusal(violations, message: body?.member("problem")?.textValue ?? "refused")
    }
}

/// Step 6: the registration, the one thing a gateway needs to mount the dialect.
extension DialectRegistration {
    static let acmePeople = DialectRegistration(
        id: .acmePeople,
        defaultSchemes: [.apiKey],
        fields: [.nickname],
        make: { _ in AcmePeopleDialect() },
        backend: { AcmePeopleDialect() }
    )
}
