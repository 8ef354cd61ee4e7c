import DragomanTransport
import Foundation
import Logging
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// The two store engines, for tests that run against both.
enum StoreEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    /// The engine gateway tests use unless they name one: `DRAGOMAN_TEST_STORE=postgres` runs
    /// the whole suite on PostgreSQL (as `.ci/run` does); SQLite otherwise.
    static let `default`: StoreEngine = ProcessInfo.processInfo.environment["DRAGOMAN_TEST_STORE"] == "postgres" ? .postgres : .sqlite

    var testDescription: String { rawValue }

    /// Opens a fresh, empty store of this engine.
    func open() async throws -> any GatewayStore {
        switch self {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-store-\(UUID().uuidString)/store.sqlite").path
            return try await SQLiteUserStore.open(path: path, logger: Logger(label: "test"))
        case .postgres:
            return try await PostgresStore.open(TestPostgres.freshLocation(), logger: Logger(label: "test"))
        }
    }

    /// Runs `body` with a fresh store, closing it afterwards.
    func withStore(_ body: (any GatewayStore) async throws -> Void) async throws {
        let store = try await open()
        do {
            try await body(store)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }
}

/// The PostgreSQL server the tests use: `DRAGOMAN_TEST_POSTGRES_URL`, or the one `.ci/run`
/// sets up on loopback. Tests that need it fail (never skip) when it is not there.
enum TestPostgres {
    static let url =
        ProcessInfo.processInfo.environment["DRAGOMAN_TEST_POSTGRES_URL"]
        ?? "postgres://dragoman:dragoman@127.0.0.1:5432/dragoman_test?sslmode=disable"

    /// The URL of a schema no other test uses, with a small pool.
    static func freshURL() -> String {
        let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        return url + (url.contains("?") ? "&" : "?") + "schema=\(schema)&maxConnections=4"
    }

    static func freshLocation() -> PostgresLocation {
        do {
            return try PostgresLocation(url: freshURL())
        } catch {
            fatalError("DRAGOMAN_TEST_POSTGRES_URL is not a usable postgres:// URL: \(error)")
        }
    }
}
