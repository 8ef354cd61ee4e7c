import DragomanCore
import DragomanTransport
import Foundation

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanSCIM
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// The libFuzzer targets, one per parser that reads what a client or an operator sends: the
/// JSON parser, the form and query parsers, each dialect's decoder (with validation and the
/// answer it renders) and the configuration loader. `DRAGOMAN_FUZZ_TARGET` picks one per run
/// (`scripts/fuzz` runs each in turn). Any input may be refused; none may crash, hang or
/// grow memory without bound.
enum FuzzTarget: String, CaseIterable {
    case json
    case form
    case query
    case voltmxAudience = "voltmx-audience"
    case voltmxAccessManagement = "voltmx-accessmgmt"
    case telness = "telness-connect"
    case ccc = "deliveryslip-ccc"
    case scim
    /// SCIM's filter and PATCH path grammar, and PATCH operations applied to a resource.
    case scimFilter = "scim-filter"
    case config

    static let current: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["DRAGOMAN_FUZZ_TARGET"] ?? "json"
        guard let target = FuzzTarget(rawValue: name) else { fatalError("DRAGOMAN_FUZZ_TARGET must be one of \(allCases.map(\.rawValue))") }
        return target
    }()

    static let validator = UserValidator()

    static let scimResource: [String: JSONValue] = [
        "userName": .string("bjensen"), "name": .object(["givenName": .string("Barbara")]), "active": .bool(true),
        "emails": .array([.object(["value": .string("b@example.com"), "type": .string("work"), "primary": .bool(true)])]),
        SCIMURN.enterpriseUser: .object(["department": .string("Tours")]),
    ]

    func run(_ bytes: [UInt8]) {
        switch self {
        case .json:
            guard let value = try? StrictJSONParser.parse(bytes, maxDepth: WireBody.maxDepth) else { return }
            // What parses re-encodes and parses to the same value.
            let encoded = (try? JSONEncoder().encode(value)).map { [UInt8]($0) } ?? []
            guard let again = try? StrictJSONParser.parse(encoded, maxDepth: WireBody.maxDepth + 1) else { fatalError("re-encoded JSON does not parse") }
            if !Self.sameValue(value, again) { fatalError("JSON round trip changed the value") }
        case .form:
            _ = try? WireBody.parse(bytes, as: .form)
        case .query:
            _ = QueryItems.parse(String(decoding: bytes, as: UTF8.self))
        case .voltmxAudience:
            decode(bytes, with: VoltMXAudienceDialect(), format: .json)
        case .voltmxAccessManagement:
            decode(bytes, with: VoltMXAccessManagementDialect(), format: .json)
        case .telness:
            decode(bytes, with: TelnessConnectDialect(), format: .json)
        case .ccc:
            // CCC reads JSON, forms and ServiceStack's XML, JSV and CSV: the first byte picks which.
            let formats: [BodyFormat] = [.json, .form, .dialect("xml"), .dialect("jsv"), .dialect("csv")]
            decode(Array(bytes.dropFirst()), with: DeliverySlipCCCDialect(), format: formats[Int(bytes.first ?? 0) % formats.count])
        case .scim:
            decode(bytes, with: SCIMDialect(), format: .json)
        case .scimFilter:
            let text = String(decoding: bytes, as: UTF8.self)
            if let filter = try? SCIMFilter.parse(text) {
                _ = try? filter.predicate()
                _ = filter.matches(entry: ["type": .string("work"), "value": .string("a@example.com"), "primary": .bool(true)])
            }
            _ = try? SCIMPatch.path(text)
            // The bytes as a PatchOp body, applied to a resource with every kind of attribute.
            if let body = try? StrictJSONParser.parse(bytes, maxDepth: WireBody.maxDepth), let patch = try? SCIMPatch(body) {
                _ = try? patch.applied(to: Self.scimResource)
            }
        case .config:
            guard let text = String(validating: bytes, as: UTF8.self), let tree = try? ConfigTree.parse(yaml: text, source: "fuzz") else { return }
            _ = try? GatewayConfiguration(tree: tree)
        }
    }

    /// Parses the body, decodes it, validates it and renders the dialect's answer, as a create does.
    private func decode(_ bytes: [UInt8], with dialect: any UserDialect, format: BodyFormat) {
        guard let body = try? dialect.parseBody(bytes, as: format) else { return }
        // Every parameter of the dialect's first create route holds a well-formed GUID, which
        // any dialect's ids accept as a path segment.
        let route = dialect.routes.first { $0.operation == .create }?.path ?? "/"
        let names = route.split(separator: "/").filter { $0.hasPrefix(":") }.map { String($0.dropFirst()) }
        let request = DialectRequest(
            method: .post,
            path: route,
            parameters: Dictionary(uniqueKeysWithValues: names.map { ($0, "5f1c2a3b4c5d6e7f8091a2b3c4d5e6f7") }),
            body: body,
            bodyFormat: format
        )
        do {
            let decoded = try dialect.decodeCreate(request)
            switch Self.validator.validate(decoded.user, profile: dialect.profile, prior: decoded.violations) {
            case .success(let user):
                let stored = User(
                    id: UserID(serial: 1, uuid: UUID()),
                    realm: user.realm,
                    profile: user.profile,
                    passwordHash: nil,
                    createdAt: Date(),
                    updatedAt: Date()
                )
                _ = dialect.created(stored, request: request)
                _ = dialect.read(stored, request: request)
            case .failure(let failure):
                _ = dialect.failure(.service(.invalid(failure.violations)), request: request)
            }
        } catch {
            _ = dialect.failure(error, request: request)
        }
    }

    /// Equality up to how a number is spelled: `5E7` re-encodes as `50000000`, an integer.
    static func sameValue(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.integer(let x), .number(let y)), (.number(let y), .integer(let x)): return Double(x) == y
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { sameValue($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { sameValue(value, $0) } ?? false }
        default: return a == b
        }
    }
}

/// libFuzzer's callback: one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTarget.current.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

/// libFuzzer's driver, from `libclang_rt.fuzzer_no_main` (its C name, hence not lowerCamelCase).
// swift-format-ignore: AlwaysUseLowerCamelCase
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The program's entry point (SwiftPM links `main` to it): runs libFuzzer's driver with the
/// command line.
@_cdecl("DragomanFuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzzOneInput(data, size) }
}
