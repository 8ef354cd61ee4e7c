import DragomanCore
import DragomanDialectKit
import HTTPTypes

/// HCL Volt MX Engagement Services "Create Users" (audience members): `POST /api/v1/audience`,
/// also under the `/kpns` web context.
struct VoltMXAudienceDialect: UserDialect {
    /// Which attribute makes an audience member unique (Volt MX allows one, server-wide).
    enum ReconciliationKey: String, Sendable, CaseIterable {
        case email
        case mobileNumber
    }

    var reconciliationKey: ReconciliationKey = .email

    var id: DialectID { .voltMXAudience }

    /// Create and read, modify (`PUT /api/v1/audience/{id}`) and delete
    /// (`POST /api/v1/audience/{id}/delete`), at the root and under `/kpns`.
    var routes: [DialectRoute] {
        VoltMX.routes(resource: "/api/v1/audience")
            + VoltMX.routes([
                DialectRoute(method: .put, path: "/api/v1/audience/:id", operation: .update),
                DialectRoute(method: .post, path: "/api/v1/audience/:id/delete", operation: .delete),
            ])
    }

    var profile: ValidationProfile {
        var required: Set<UserField> = [.givenName, .familyName, .country, .email]
        if reconciliationKey == .mobileNumber { required.insert(.phone) }
        return ValidationProfile(
            required: required,
            phoneRule: VoltMXRules.phone,
            uniqueKeys: reconciliationKey == .email ? [.email] : [.phone],
            rules: [VoltMXRules.stateInUSA, VoltMXRules.lastActiveDate]
        )
    }

    func decodeCreate(_ request: DialectRequest) throws(GatewayFailure) -> DecodedCreate {
        var body = try WireObject(request.body)
        var profile = UserProfile()
        profile.givenName = body.string(AudienceField.firstName)
        profile.familyName = body.string(AudienceField.lastName)
        profile.state = body.string(AudienceField.state)
        profile.country = body.string(AudienceField.country)
        profile.email = body.string(AudienceField.email)
        profile.phone = body.digits(AudienceField.mobileNumber)
        profile.channels.sms = body.bool(AudienceField.smsSubscription, acceptingStrings: true)
        profile.channels.voice = body.bool(AudienceField.voiceSubscription, acceptingStrings: true)
        profile.channels.email = body.bool(AudienceField.emailSubscription, acceptingStrings: true)
        profile.lastActiveDate = body.string(AudienceField.lastActiveDate)
        for name in body.unknownNames(known: AudienceField.all) { body.fail(name, .unknownAttribute) }
        return DecodedCreate(user: NewUser(profile: profile), violations: body.violations)
    }

    func lookup(_ request: DialectRequest) throws(GatewayFailure) -> UserLookup {
        guard let serial = VoltMX.serial(request.parameters["id"]) else { throw .service(.notFound) }
        return .serial(serial)
    }

    func created(_ user: User, request: DialectRequest) -> DialectResponse {
        .json(.ok, VoltMXMessage(id: String(user.id.serial), message: VoltMX.added))
    }

    func updated(_ user: User, request: DialectRequest) -> DialectResponse {
        .json(.ok, VoltMXMessage(id: String(user.id.serial), message: VoltMX.updated))
    }

    func deleted(_ user: User, request: DialectRequest) -> DialectResponse {
        .json(.ok, VoltMXMessage(id: String(user.id.serial), message: VoltMX.deleted))
    }

    func read(_ user: User, request: DialectRequest) -> DialectResponse {
        let p = user.profile
        let names = p.nameParts
        let member = AudienceMember(
            lastName: names.family,
            country: p.country,
            createdDateStr: VoltMX.dateTime(user.createdAt),
            mobileNumber: p.phone,
            active: p.active ?? true,
            smsSubscription: p.channels.sms ?? false,
            voiceSubscription: p.channels.voice ?? false,
            firstName: names.given,
            lastModifiedDateStr: VoltMX.dateTime(user.updatedAt),
            emailSubscription: p.channels.email ?? false,
            id: user.id.serial,
            state: p.state,
            email: p.email,
            lastActiveDateStr: p.lastActiveDate.map { "\($0) 12:00:00 AM UTC" }
        )
        return .json(.ok, member)
    }

    func wireName(_ field: UserField) -> String { Self.wireName(field) }

    func failure(_ failure: GatewayFailure, request: DialectRequest) -> DialectResponse {
        if let common = VoltMX.common(failure) { return common }
        switch failure {
        case .service(.invalid(let violations)):
            return VoltMX.invalid(violations, wireName: Self.wireName)
        case .service(.duplicate(let conflict)):
            let message =
                conflict.key == .phone
                ? "User already exists with this mobile number"
                : "User already exists with this Email \(conflict.value ?? "")"
            return .json(.badRequest, VoltMXMessage(id: conflict.existingID.map { String($0.serial) }, message: message))
        default:
            return .json(
                .badRequest,
                VoltMXMessage(message: "Invalid Audience Member ID provided or no audience member found with given ID")
            )
        }
    }

    static func wireName(_ field: UserField) -> String {
        switch field {
        case .givenName: AudienceField.firstName
        case .familyName: AudienceField.lastName
        case .phone: AudienceField.mobileNumber
        case .emailSubscription: AudienceField.emailSubscription
        case .smsSubscription: AudienceField.smsSubscription
        case .voiceSubscription: AudienceField.voiceSubscription
        default: field.rawValue
        }
    }
}
