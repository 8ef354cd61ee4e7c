import Dragoman
import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore

/// A gateway built from the public and package API alone, as a dialect of one's own is: the
/// standard registry plus ``DialectRegistration/acmePeople``, every route open, on a real store:
/// a SQLite file, or a fresh PostgreSQL schema when `DRAGOMAN_TEST_STORE=postgres` (as
/// `scripts/test` runs the suite twice).
struct ExtensionGateway {
    var configuration: GatewayConfiguration

    /// A gateway on the store in `directory` (a new one unless given, so a second gateway can
    /// open the first one's store).
    init(store: StoreLocation = StoreLocation(), _ adjust: (inout GatewayConfiguration) -> Void = { _ in }) throws {
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.bcryptCost = 4
        configuration.connectionLimits.headerTimeout = .seconds(120)
        configuration.connectionLimits.idleTimeout = .seconds(120)
        configuration.registry = configuration.registry.adding(.acmePeople)
        for id in configuration.registry.ids { configuration.dialects[id] = GatewayConfiguration.DialectSettings(auth: AuthPolicy(schemes: [])) }
        configuration.storePath = store.sqlitePath
        if let url = store.postgresURL { configuration.storeURL = try PostgresLocation(url: url) }
        adjust(&configuration)
        self.configuration = configuration
    }

    /// Runs the gateway over real HTTP on loopback while `body` talks to it.
    func run(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = try await buildApplication(configuration: configuration)
        try await app.test(.live, body)
    }
}

/// Where a test's store lives: a SQLite file of its own, or a PostgreSQL schema of its own.
struct StoreLocation: Sendable {
    let sqlitePath: String
    let postgresURL: String?

    init() {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-extension-\(UUID().uuidString)")
        sqlitePath = directory.appendingPathComponent("dragoman.sqlite").path
        let environment = ProcessInfo.processInfo.environment
        guard environment["DRAGOMAN_TEST_STORE"] == "postgres" else {
            postgresURL = nil
            return
        }
        let url = environment["DRAGOMAN_TEST_POSTGRES_URL"] ?? "postgres://dragoman:dragoman@127.0.0.1:5432/dragoman_test?sslmode=disable"
        let schema = "x_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        postgresURL = url + (url.contains("?") ? "&" : "?") + "schema=\(schema)&maxConnections=4"
    }
}

/// An answer, its body parsed as JSON when it is JSON.
struct Answer: Sendable {
    var status: HTTPResponse.Status
    var text: String

    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }

    func string(_ key: String) -> String? { json[key] as? String }
}

extension TestClientProtocol {
    func send(_ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil, headers: HTTPFields = [:]) async throws -> Answer {
        var fields = headers
        if body != nil { fields[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: fields, body: body.map { ByteBuffer(string: $0) }) { response in
            Answer(status: response.status, text: String(buffer: response.body))
        }
    }
}
