import DragomanCore
import DragomanTransport
import Foundation
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// The upstreams and forwarding part of the configuration: backend dialects from the registry,
/// session sign-ins only where a dialect has one, the migration bridge, CCC's service GUID.
@Suite struct UpstreamConfigurationTests {
    static func sessionUpstream(dialect: String, scheme: String) -> String {
        """
        upstreams:
          backend:
            baseURL: http://10.0.0.5:8080
            dialect: \(dialect)
            auth:
              scheme: \(scheme)
              user: gateway
              password: secret
        """
    }

    @Test(arguments: ["session", "serviceStackSession"])
    func aSessionUpstreamUsesItsDialectsOwnLogin(scheme: String) throws {
        let configuration = try GatewayConfiguration.load(
            path: try ConfigurationTests.file(Self.sessionUpstream(dialect: "deliveryslip-ccc", scheme: scheme)), environment: [:])
        #expect(configuration.upstreams["backend"]?.authentication == .session(user: "gateway", password: Secret("secret")))
        #expect(configuration.backendDialect(.deliverySlipCCC)?.signIn?.sessionHeader == "X-ss-id")
    }

    @Test func aSessionUpstreamWhoseDialectHasNoLoginIsRefusedNamingTheKey() throws {
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.load(
                path: try ConfigurationTests.file(Self.sessionUpstream(dialect: "telness-connect", scheme: "session")), environment: [:])
        }
        do {
            _ = try GatewayConfiguration.load(
                path: try ConfigurationTests.file(Self.sessionUpstream(dialect: "telness-connect", scheme: "session")), environment: [:])
        } catch let error as ConfigurationError {
            #expect(error.key == "upstreams.backend.auth.scheme")
        }
    }

    @Test func anUnknownBackendDialectIsRefusedListingTheRegisteredOnes() throws {
        do {
            _ = try GatewayConfiguration.load(path: try ConfigurationTests.file(Self.sessionUpstream(dialect: "soap", scheme: "none")), environment: [:])
            Issue.record("accepted an unknown dialect")
        } catch let error as ConfigurationError {
            #expect(error.key == "upstreams.backend.dialect")
            #expect(error.problem.contains("voltmx-audience, voltmx-accessmgmt, telness-connect, deliveryslip-ccc"))
        }
    }
    @Test func migrationBridgeConfigurationIsRead() throws {
        let yaml = """
            upstreams:
              legacy:
                baseURL: http://10.0.0.5:8080/kpns/
                dialect: voltmx-accessmgmt
                auth:
                  scheme: basic
                  user: gateway
                  password: from-the-file
                connectTimeout: 3
                requestTimeout: 20
                maxConnections: 32
                defaults:
                  password: generate
                  userName: fromEmail
                  permissionIds: [3, 4]
                breaker:
                  failures: 7
                  cooldown: 30
            proxy:
              upstream: legacy
            dialects:
              telness-connect:
                mode: forward
                upstream: legacy
                lostFields: drop
            """
        let configuration = try GatewayConfiguration.load(
            path: try ConfigurationTests.file(yaml),
            environment: ["DRAGOMAN_UPSTREAMS__LEGACY__AUTH__PASSWORD": "from-the-environment"]
        )
        let legacy = try #require(configuration.upstreams["legacy"])
        #expect(legacy.baseURL == "http://10.0.0.5:8080/kpns")
        #expect(legacy.dialect == .voltMXAccessManagement)
        #expect(legacy.authentication == .basic(user: "gateway", password: Secret("from-the-environment")))
        #expect(legacy.connectTimeout == 3 && legacy.requestTimeout == 20)
        #expect(legacy.maxConnections == 32)
        #expect(legacy.password == .generate && legacy.userName == .fromEmail && legacy.permissionIDs == [3, 4])
        #expect(legacy.breakerFailures == 7 && legacy.breakerCooldown == 30)
        #expect(configuration.proxyUpstream == "legacy")
        #expect(configuration.dialects[.telnessConnect]?.mode == .forward)
        #expect(configuration.dialects[.telnessConnect]?.lostFields == .drop)
    }

    @Test func aServiceGuidDefaultBelongsToCCCUpstreamsAlone() throws {
        let ccc = try GatewayConfiguration.load(
            path: try ConfigurationTests.file(
                "upstreams:\n  a:\n    baseURL: http://x\n    dialect: deliveryslip-ccc\n    defaults:\n      serviceGuid: 5F1C2A3B-4C5D-6E7F-8091-A2B3C4D5E6F7\n"
            ),
            environment: [:]
        )
        #expect(ccc.upstreams["a"]?.tenant == "5f1c2a3b4c5d6e7f8091a2b3c4d5e6f7")
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.load(
                path: try ConfigurationTests.file(
                    "upstreams:\n  a:\n    baseURL: http://x\n    dialect: deliveryslip-ccc\n    defaults:\n      serviceGuid: nope\n"),
                environment: [:]
            )
        }
        do {
            _ = try GatewayConfiguration.load(
                path: try ConfigurationTests.file(
                    "upstreams:\n  a:\n    baseURL: http://x\n    dialect: telness-connect\n    defaults:\n      serviceGuid: 5f1c2a3b4c5d6e7f8091a2b3c4d5e6f7\n"
                ),
                environment: [:]
            )
            Issue.record("a Telness upstream took a CCC service default")
        } catch let error as ConfigurationError {
            #expect(error.key == "upstreams.a.defaults.serviceGuid")
        }
    }
}
