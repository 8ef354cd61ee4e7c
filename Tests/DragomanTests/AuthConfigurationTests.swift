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

/// The authentication part of the configuration: principals, their secrets and hashes, open
/// routes, and the demo principal that only a loopback listener may keep.
@Suite struct AuthConfigurationTests {
    @Test func shippedDemoPrincipalWorksOnLoopbackOnly() throws {
        let path = ConfigurationTests.shippedConfig
        let configuration = try GatewayConfiguration.load(path: path, environment: [:])
        let demo = try #require(configuration.principals.first { $0.name == DemoPrincipal.name })
        #expect(demo.apiKeyHashes == [APIKey.digest(DemoPrincipal.apiKey)])
        #expect(configuration.authPolicy(.telnessConnect).schemes == [.apiKey])
        #expect {
            try GatewayConfiguration.load(path: path, environment: ["DRAGOMAN_SERVER__HOST": "0.0.0.0"])
        } throws: { error in
            (error as? ConfigurationError)?.key == "principals.demo"
        }
    }

    @Test(arguments: ["127.evil.example", "127.0.0.1.nip.example", "0.0.0.0", "::", "192.168.1.10"])
    func theDemoGuardRefusesEveryAddressThatIsNotLoopback(host: String) throws {
        #expect {
            try GatewayConfiguration.load(path: ConfigurationTests.shippedConfig, environment: ["DRAGOMAN_SERVER__HOST": host])
        } throws: { error in
            (error as? ConfigurationError)?.key == "principals.demo"
        }
    }

    @Test(arguments: ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
    func theDemoGuardAcceptsLoopbackAddresses(host: String) throws {
        _ = try GatewayConfiguration.load(path: ConfigurationTests.shippedConfig, environment: ["DRAGOMAN_SERVER__HOST": host])
    }

    @Test func routesAreOpenOnlyWhenSaidSo() throws {
        let open = try GatewayConfiguration.load(path: try ConfigurationTests.file("dialects:\n  telness-connect:\n    auth: open\n"), environment: [:])
        #expect(open.authPolicy(.telnessConnect).isOpen)
        #expect(!open.authPolicy(.voltMXAudience).isOpen)
        for yaml in ["auth: []", "auth: [basic, nope]", "auth: [basic, basic]", "auth: [open, basic]"] {
            let path = try ConfigurationTests.file("dialects:\n  telness-connect:\n    \(yaml)\n")
            #expect {
                try GatewayConfiguration.load(path: path, environment: [:])
            } throws: { error in
                (error as? ConfigurationError)?.key == "dialects.telness-connect.auth"
            }
        }
    }

    @Test func principalSecretsCanComeFromTheEnvironment() throws {
        let digest = APIKey.digest("dgm_env")
        let configuration = try GatewayConfiguration.load(
            path: try ConfigurationTests.file("server:\n  port: 1\n"),
            environment: ["DRAGOMAN_PRINCIPALS__OPS__APIKEYS": "\(digest),\(digest.uppercased())"]
        )
        #expect(configuration.principals == [Principal(name: "ops", apiKeyHashes: [digest, digest])])
    }

    @Test func badPrincipalHashesNameTheKey() throws {
        for (yaml, key) in [
            ("principals:\n  x:\n    passwordHash: plain\n", "principals.x.passwordHash"),
            ("principals:\n  x:\n    apiKeys: [not-a-digest]\n", "principals.x.apiKeys"),
        ] {
            #expect {
                try GatewayConfiguration.load(path: try ConfigurationTests.file(yaml), environment: [:])
            } throws: { error in
                (error as? ConfigurationError)?.key == key
            }
        }
    }
}
