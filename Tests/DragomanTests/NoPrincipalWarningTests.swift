import DragomanTransport
import Foundation
import HTTPTypes
import InMemoryLogging
import Logging
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// A gateway whose routes need a credential while no principal is configured (most often: its
/// configuration file was not found, and the built-in defaults have no principal) says so in a
/// warning, at start and after a reload, naming the dialects that will refuse every request.
@Suite struct NoPrincipalWarningTests {
    static let warning = "No principals are configured: every request to these dialects' routes will be refused as unauthenticated"

    /// The metadata of every such warning logged.
    static func warnings(_ handler: InMemoryLogHandler) -> [Logger.Metadata] {
        handler.entries.filter { $0.level == .warning && $0.message.description == warning }.map(\.metadata)
    }

    @Test func theBuiltInDefaultsHaveNoPrincipalSoEveryDialectIsNamed() {
        let configuration = GatewayConfiguration()
        #expect(configuration.principals.isEmpty)
        #expect(configuration.dialectsNobodyCanSignInTo == DialectRegistry.standard.ids)
    }

    @Test func openAndDisabledDialectsAreNotNamedAndOnePrincipalEndsTheList() {
        var configuration = GatewayConfiguration()
        configuration.dialects[.telnessConnect]?.auth.schemes = []
        configuration.dialects[.voltMXAudience]?.enabled = false
        #expect(configuration.dialectsNobodyCanSignInTo == DialectRegistry.standard.ids.filter { $0 != .telnessConnect && $0 != .voltMXAudience })
        configuration.principals = [Principal(name: "ops", apiKeyHashes: [APIKey.digest("ops-key")])]
        #expect(configuration.dialectsNobodyCanSignInTo.isEmpty)
    }

    @Test func aStartWithoutPrincipalsWarnsNamingTheDialectsThatAnswer401() async throws {
        let (logger, handler) = ObservabilityTests.capturing()
        let gateway = AuthenticationTests.gateway { $0.principals = [] }
        try await gateway.run(logger: logger) { client in
            let reply = try await client.post("/users", Samples.telness, headers: [HTTPField.Name("X-API-Key")!: AuthenticationTests.aliceKey])
            #expect(reply.status == .unauthorized)
        }
        let warned = Self.warnings(handler)
        #expect(warned.count == 1)
        #expect(warned.first?["dragoman.dialects"] == "\(DialectRegistry.standard.ids.map(\.rawValue).joined(separator: ","))")
    }

    @Test func aStartWithAPrincipalDoesNotWarn() async throws {
        let (logger, handler) = ObservabilityTests.capturing()
        try await AuthenticationTests.gateway().run(logger: logger) { client in
            let reply = try await client.get("/health")
            #expect(reply.status == .ok)
        }
        #expect(Self.warnings(handler).isEmpty)
    }

    @Test func aReloadThatRemovesEveryPrincipalWarns() async throws {
        let (logger, handler) = ObservabilityTests.capturing()
        let gateway = AuthenticationTests.gateway()
        let source = ReloadTests.Source(gateway.configuration)
        let reloader = GatewayReloader { try source.read() }
        try await gateway.run(logger: logger, reloader: reloader) { _ in
            #expect(Self.warnings(handler).isEmpty)
            source.change { $0.principals = [] }
            let outcome = await reloader.reload(trigger: "test")
            #expect(outcome == .applied(needsRestart: []))
            #expect(Self.warnings(handler).count == 1)
        }
    }
}
