import DragomanCore
import DragomanTransport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOPosix
import Testing

@testable import Dragoman
@testable import DragomanDialectKit
@testable import DragomanStore

/// The live migration bridge's test set-up: two local Dragomans as the old and the new
/// system (each answering in its own dialect), and a front whose `caller` route forwards to the
/// old one with a migration to the new one. The front has an admin principal, whose key reads
/// `/__dragoman/migration`.
enum MigrationHarness {
    static let adminKey = "dgm_admin_0123456789abcdefghijklmnopqrstuv"
    static let admin = Principal(name: "ops", apiKeyHashes: [SecretDigest.sha256Hex(adminKey)], roles: ["admin"])

    static func upstream(_ name: String, port: Int, dialect: DialectID) -> UpstreamConfiguration {
        var upstream = ForwardingTests.upstream(port: port, dialect: dialect)
        upstream.name = name
        upstream.requestTimeout = 10
        upstream.connectTimeout = 2
        // A candidate that comes back is tried again within the second.
        upstream.breakerCooldown = 1
        return upstream
    }

    /// A front gateway whose `caller` route forwards to `old` and migrates to `new`.
    static func front(
        caller: DialectID, old: UpstreamConfiguration, new: UpstreamConfiguration, plan: MigrationPlan, engine: StoreEngine = .default
    ) -> TestGateway {
        TestGateway(engine: engine) { configuration in
            configuration.upstreams = ["old": old, "new": new]
            configuration.dialects[caller]?.mode = .forward
            configuration.dialects[caller]?.upstream = "old"
            configuration.dialects[caller]?.lostFields = .drop
            configuration.dialects[caller]?.migration = plan
            configuration.principals = [admin]
        }
    }

    /// Runs an old and a new backend (in their dialects) and the front while `body` talks to them.
    static func withBridge(
        caller: DialectID, old oldDialect: DialectID, new newDialect: DialectID, plan: MigrationPlan,
        _ body: @escaping @Sendable (_ front: any TestClientProtocol, _ old: any TestClientProtocol, _ new: any TestClientProtocol) async throws -> Void
    ) async throws {
        try await TestGateway(engine: .sqlite).run { old in
            try await TestGateway(engine: .sqlite).run { new in
                let gateway = front(
                    caller: caller, old: upstream("old", port: old.port!, dialect: oldDialect), new: upstream("new", port: new.port!, dialect: newDialect),
                    plan: plan)
                try await gateway.run { front in try await body(front, old, new) }
            }
        }
    }

    static func plan(_ stage: MigrationPlan.Stage, mirror: Bool = true, adjust: (inout MigrationPlan) -> Void = { _ in }) -> MigrationPlan {
        var plan = MigrationPlan(candidate: "new", stage: stage)
        plan.mirrorWrites = mirror
        plan.firstBackoff = 0.05
        plan.maxBackoff = 0.2
        adjust(&plan)
        return plan
    }

    /// `GET /__dragoman/migration` as the admin; the route's part of it.
    static func state(_ front: any TestClientProtocol, _ dialect: DialectID) async throws -> JSONValue {
        let reply = try await front.send(MigrationController.path, method: .get, headers: [HTTPField.Name("X-API-Key")!: adminKey], body: nil)
        #expect(reply.status == .ok, "\(reply.text)")
        return reply.json["dialects"]?[dialect.rawValue] ?? .null
    }

    /// Waits (at most 20 s) until the route's state satisfies `done`; returns the last state.
    @discardableResult
    static func waitFor(
        _ front: any TestClientProtocol, _ dialect: DialectID, _ what: String, until done: (JSONValue) -> Bool
    ) async throws -> JSONValue {
        var state = JSONValue.null
        for _ in 0..<400 {
            state = try await Self.state(front, dialect)
            if done(state) { return state }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting for \(what): \(state)")
        return state
    }

    static func pending(_ state: JSONValue) -> Int64 { state["outbox"]?["pending"]?.int ?? -1 }
    static func comparisons(_ state: JSONValue, _ result: String) -> Int64 { state["comparisons"]?[result]?.int ?? 0 }

    /// Runs `gateway` on the port its configuration names (a test client's gateway listens on
    /// a port of its own choosing) while `body` runs.
    static func serve(_ gateway: TestGateway, _ body: @escaping @Sendable () async throws -> Void) async throws {
        let (started, starting) = AsyncStream<Void>.makeStream()
        let app = try await buildApplication(configuration: gateway.configuration, onServerRunning: { _ in starting.yield() })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            for await _ in started { break }
            try await body()
            group.cancelAll()
        }
    }

    /// A port nothing listens on now (bound and released), for a candidate that is down.
    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return port
    }
}
