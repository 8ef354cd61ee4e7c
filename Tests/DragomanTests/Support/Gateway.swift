import DragomanCore
import DragomanTransport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import NIOCore
import Testing
import Tracing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// A gateway under test: a configuration on a fresh store (a temporary SQLite file, or a fresh
/// PostgreSQL schema), bound to port 0.
struct TestGateway {
    var configuration: GatewayConfiguration
    let directory: URL

    init(engine: StoreEngine = .default, _ adjust: (inout GatewayConfiguration) -> Void = { _ in }) {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-test-\(UUID().uuidString)")
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.bcryptCost = 4
        // A test's client connects when the gateway starts and may first wait on a second
        // gateway (a backend, a PostgreSQL schema) before its first request; on a loaded CI
        // machine that wait passed the 10 s header timeout and the connection was closed
        // under the test. The suites that test the timeouts set their own.
        configuration.connectionLimits.headerTimeout = .seconds(120)
        configuration.connectionLimits.idleTimeout = .seconds(120)
        configuration.storePath = directory.appendingPathComponent("dragoman.sqlite").path
        if engine == .postgres { configuration.storeURL = TestPostgres.freshLocation() }
        // Dialect suites test the dialects; AuthenticationTests closes the routes again.
        for id in DialectRegistry.standard.ids { configuration.dialects[id]?.auth.schemes = [] }
        adjust(&configuration)
        self.configuration = configuration
    }

    /// Runs the gateway over real HTTP on loopback while `body` talks to it.
    func run(
        logger: Logger? = nil,
        tracer: (any Tracer)? = nil,
        reloader: GatewayReloader? = nil,
        setup: TestingSetup = .live,
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let app = try await buildApplication(configuration: configuration, logger: logger, tracer: tracer, reloader: reloader)
        try await app.test(setup, body)
    }
}

/// A response with its body parsed as JSON.
struct Reply: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var text: String
    var json: JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .null }
}

extension TestClientProtocol {
    /// POSTs `body` with `contentType`.
    func post(_ uri: String, _ body: String, contentType: String? = "application/json", headers: HTTPFields = [:]) async throws -> Reply {
        var fields = headers
        if let contentType { fields[.contentType] = contentType }
        return try await send(uri, method: .post, headers: fields, body: ByteBuffer(string: body))
    }

    func get(_ uri: String) async throws -> Reply {
        try await send(uri, method: .get, headers: [:], body: nil)
    }

    func send(_ uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> Reply {
        try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    subscript(index: Int) -> JSONValue? {
        guard case .array(let array) = self, array.indices.contains(index) else { return nil }
        return array[index]
    }

    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var int: Int64? {
        if case .integer(let number) = self { return number }
        return nil
    }

    var array: [JSONValue] {
        if case .array(let array) = self { return array }
        return []
    }

    var keys: Set<String> {
        if case .object(let object) = self { return Set(object.keys) }
        return []
    }
}

/// The vendors' own sample requests.
enum Samples {
    static let audience = """
        {
          "firstName" : "Latha",
          "lastName" : "Ganesh",
          "country" : "India",
          "mobileNumber" : "",
          "email" : "latha.ganesh@voltmx.com",
          "smsSubscription" : true,
          "voiceSubscription" : true,
          "emailSubscription" : true,
          "state" : "",
          "lastActiveDate":"08/23/2017"
        }
        """

    static let accessManagement = """
        {
        "userName": "EngagementServicesUser",
        "email": "sampleuser@voltmx.com",
        "password": "VoltMX@123",
        "displayName": "EngagementServicesUser",
        "activeFlag": "true",
        "mobileNo": "+911235551234",
        "selectedPermissionIds":["3","4","6"],
        "selectedGroupIds":["1"],
        "emailSubscription": true,
        "smsSubscription": true,
        "voiceSubscription": true,
        "whatsappSubscription": true
        }
        """

    static let telness = """
        {"name": "John Doe", "email": "john.doe@example.com", "msisdn": "+15551234567", "identity": "198001011234", "metadata": {"team": "sales"}}
        """

    static let service = "5f1c2a3b4c5d6e7f8091a2b3c4d5e6f7"
    static let guestGroup = "a0000000000000000000000000000001"
    static let professionalGroup = "b0000000000000000000000000000002"

    static let ccc = """
        {
          "serviceGuid": "00000000000000000000000000000000",
          "emailAddress": "ada@example.com",
          "password": "S3cret!pass",
          "firstName": "Ada",
          "lastName": "Lovelace",
          "preRegister": false,
          "skipRegConfirmation": false,
          "serviceUserGroupType": "Guest",
          "language": "en",
          "enableCampaigns": false,
          "enableESignatures": false,
          "defaultSecure": "BasedOnKeywords",
          "blacklistMode": "SecureOnly"
        }
        """

    static let cccPath = "/api/services/\(service)/users"

    static func audience(email: String) -> String {
        #"{"firstName":"Ada","lastName":"Lovelace","country":"India","email":"\#(email)"}"#
    }
}
