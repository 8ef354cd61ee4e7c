import DragomanCore
import DragomanTransport
import Foundation
import HTTPTypes
import HummingbirdBcrypt
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// Configuration reload: principals, auth chains, modes and upstreams change while connections
/// stay open; a bad configuration is refused and the old one keeps serving; the real process
/// reloads on SIGHUP and, with `--watch-config`, when its file changes.
@Suite struct ReloadTests {
    /// The configuration a test's reloader reads, changed by the test.
    final class Source: Sendable {
        let configuration: Mutex<GatewayConfiguration>
        let failure = Mutex<ConfigurationError?>(nil)

        init(_ configuration: GatewayConfiguration) { self.configuration = Mutex(configuration) }

        func read() throws -> GatewayConfiguration {
            if let failure = failure.withLock({ $0 }) { throw failure }
            return configuration.withLock { $0 }
        }

        func change(_ adjust: (inout GatewayConfiguration) -> Void) { configuration.withLock { adjust(&$0) } }
    }

    static let bobPassword = "bob-Pa55word"
    static let bob = Principal(name: "bob", passwordHash: Bcrypt.hash(bobPassword, cost: 4), apiKeyHashes: [])

    static func basicHeader(_ user: String, _ password: String) -> String {
        "Authorization: Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    /// One request on `connection`, answered without closing it: the status line.
    static func statusLine(_ connection: RawConnection, _ request: String) async throws -> String {
        try await connection.send(request)
        let reply = await connection.readAvailable(timeout: 10)
        #expect(!reply.closed, "the connection was closed: \(reply.text)")
        // "\r\n" is one Character: cut at the first line break by its UTF-8 bytes.
        return String(decoding: reply.text.utf8.prefix { $0 != 0x0D }, as: UTF8.self)
    }

    @Test func principalsAuthChainsAndModesChangeWhileAConnectionStaysOpen() async throws {
        let gateway = AuthenticationTests.gateway()
        let source = Source(gateway.configuration)
        let reloader = GatewayReloader { try source.read() }
        try await gateway.run(reloader: reloader) { client in
            let connection = try await RawConnection.open(port: try #require(client.port))
            let alice = "GET /api/v1/audience/1 HTTP/1.1\r\nHost: x\r\n\(Self.basicHeader("alice", AuthenticationTests.alicePassword))\r\n\r\n"
            let bob = "GET /api/v1/audience/1 HTTP/1.1\r\nHost: x\r\n\(Self.basicHeader("bob", Self.bobPassword))\r\n\r\n"
            let open = "GET /users/0b3a6a2e-5d41-4c43-9c37-4f3b0c6f0a11 HTTP/1.1\r\nHost: x\r\n\r\n"
            // Volt MX answers an unknown id with 400: past authentication.
            #expect(try await Self.statusLine(connection, alice) == "HTTP/1.1 400 Bad Request")
            #expect(try await Self.statusLine(connection, bob) == "HTTP/1.1 401 Unauthorized")
            #expect(try await Self.statusLine(connection, open) == "HTTP/1.1 401 Unauthorized")

            source.change { configuration in
                configuration.principals = [Self.bob]
                configuration.dialects[.telnessConnect]?.auth.schemes = []
            }
            let outcome = await reloader.reload(trigger: "test")
            #expect(outcome == .applied(needsRestart: []))
            // The same connection, now answered by the new configuration.
            #expect(try await Self.statusLine(connection, alice) == "HTTP/1.1 401 Unauthorized")
            #expect(try await Self.statusLine(connection, bob) == "HTTP/1.1 400 Bad Request")
            #expect(try await Self.statusLine(connection, open) == "HTTP/1.1 404 Not Found")

            // A dialect turned to forwarding, to an upstream that is not there.
            source.change { configuration in
                configuration.upstreams = ["backend": ForwardingTests.upstream(port: 1, dialect: .voltMXAudience)]
                configuration.dialects[.telnessConnect]?.mode = .forward
                configuration.dialects[.telnessConnect]?.upstream = "backend"
            }
            #expect(await reloader.reload(trigger: "test") == .applied(needsRestart: []))
            let create =
                "POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(UpstreamFaultTests.create.utf8.count)\r\n\r\n\(UpstreamFaultTests.create)"
            #expect(try await Self.statusLine(connection, create) == "HTTP/1.1 502 Bad Gateway")
        }
    }

    @Test func aBadConfigurationIsRefusedLoggedAndTheOldOneKeepsServing() async throws {
        let (logger, handler) = ObservabilityTests.capturing()
        let gateway = AuthenticationTests.gateway()
        let source = Source(gateway.configuration)
        let reloader = GatewayReloader { try source.read() }
        try await gateway.run(logger: logger, reloader: reloader) { client in
            source.failure.withLock { $0 = ConfigurationError(key: "server.port", problem: "must be a whole number from 0 to 65535, not 'eighty'") }
            source.change { $0.principals = [] }
            let outcome = await reloader.reload(trigger: "test")
            guard case .refused(let reason) = outcome else {
                Issue.record("the bad configuration was applied")
                return
            }
            #expect(reason.contains("server.port"))
            let reply = try await client.send(
                "/api/v1/audience/1", method: .get, headers: AuthenticationTests.basic("alice", AuthenticationTests.alicePassword), body: nil)
            #expect(reply.status == .badRequest, "alice is still let in")
        }
        let refusal = try #require(handler.entries.first { $0.message.description.hasPrefix("Configuration reload refused") })
        #expect(refusal.level == .error)
        #expect("\(refusal.metadata["dragoman.reload.error"] ?? "")".contains("server.port"))
    }

    @Test func aConfigurationThatCannotBeBuiltIsRefusedToo() async throws {
        let gateway = TestGateway()
        let source = Source(gateway.configuration)
        let reloader = GatewayReloader { try source.read() }
        try await gateway.run(reloader: reloader) { client in
            // A forwarding dialect whose upstream speaks a dialect no backend can speak.
            source.change { configuration in
                configuration.upstreams = [
                    "odd": UpstreamConfiguration(name: "odd", baseURL: "http://127.0.0.1:1", dialect: DialectID(rawValue: "no-such-dialect"))
                ]
                configuration.dialects[.telnessConnect]?.mode = .forward
                configuration.dialects[.telnessConnect]?.upstream = "odd"
            }
            guard case .refused = await reloader.reload(trigger: "test") else {
                Issue.record("a configuration that cannot be built was applied")
                return
            }
            let reply = try await client.post("/users", Samples.telness)
            #expect(reply.status == .created)
        }
    }

    @Test func goodAndBadReloadsUnderTrafficLoseNoRequest() async throws {
        let gateway = TestGateway()
        let source = Source(gateway.configuration)
        let reloader = GatewayReloader { try source.read() }
        try await gateway.run(reloader: reloader) { client in
            // Each create on a connection of its own (the test client's one connection answers
            // its requests one after another, and the last of 200 once waited past its timeout
            // on a loaded machine).
            let creates = (0..<200).map { index in
                ConcurrentRequests.Request(path: "/users", body: #"{"name":"User \#(index)","email":"u\#(index)@example.com"}"#)
            }
            let port = try #require(client.port)
            try await withThrowingTaskGroup(of: [UInt].self) { group in
                group.addTask { try await ConcurrentRequests.statuses(port: port, creates) }
                group.addTask {
                    // Good and bad configurations in turn, while the creates run.
                    for round in 0..<10 {
                        let bad = round % 2 == 1
                        source.failure.withLock { $0 = bad ? ConfigurationError(key: "log.format", problem: "must be one of json, text") : nil }
                        source.change { $0.idempotencyTTL = TimeInterval(3600 + round) }
                        let outcome = await reloader.reload(trigger: "test")
                        if bad {
                            guard case .refused = outcome else {
                                Issue.record("a bad configuration was applied")
                                continue
                            }
                        } else {
                            #expect(outcome == .applied(needsRestart: []))
                        }
                    }
                    return []
                }
                for try await statuses in group { #expect(statuses.allSatisfy { $0 == 201 }, "\(statuses)") }
            }
        }
    }

    @Test func keysThatShapeTheListenerOrTheStoreAreNamedAsNeedingARestart() {
        let old = GatewayConfiguration()
        var new = old
        new.port = 9999
        new.storePath = "/elsewhere.sqlite"
        new.logFormat = .text
        new.principals = []
        #expect(GatewayReloader.needsRestart(from: old, to: new) == ["server.port", "store", "log.format"])
    }

    // MARK: The real process

    /// A configuration file giving the principal `reloaded` the API key `key` (or nobody).
    static func writeConfig(_ url: URL, key: String?) throws {
        var yaml = "security:\n  bcryptCost: 4\n"
        if let key { yaml += "principals:\n  reloaded:\n    apiKeys: [\"\(APIKey.digest(key))\"]\n" }
        try yaml.write(to: url, atomically: true, encoding: .utf8)
    }

    static func processReload(watch: Bool, change: (GatewayProcess) -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("dragoman.yaml")
        try Self.writeConfig(file, key: nil)
        let key = "dgm_reloaded_key"
        var arguments = ["--config", file.path, "--store-path", directory.appendingPathComponent("users.sqlite").path]
        if watch { arguments.append("--watch-config") }
        let process = try await GatewayProcess.start(directory: directory, arguments: arguments)
        defer { process.kill() }
        let path = "/users/0b3a6a2e-5d41-4c43-9c37-4f3b0c6f0a11"
        #expect(try await process.send("GET", path, headers: ["X-API-Key": key]).status == 401)

        try Self.writeConfig(file, key: key)
        change(process)
        var status: UInt = 0
        for _ in 0..<100 where status != 404 {
            try await Task.sleep(for: .milliseconds(100))
            status = try await process.send("GET", path, headers: ["X-API-Key": key]).status
        }
        #expect(status == 404, "the new principal was not let in")

        try "principals: [unclosed\n".write(to: file, atomically: true, encoding: .utf8)
        change(process)
        try await Task.sleep(for: .seconds(watch ? 5 : 1))
        #expect(try await process.send("GET", path, headers: ["X-API-Key": key]).status == 404, "a bad file replaced the running configuration")
        let log = try String(contentsOf: try #require(process.logFile), encoding: .utf8)
        #expect(log.contains("Configuration reload refused"))
    }

    @Test func theProcessReloadsOnSIGHUPAndRefusesABadFile() async throws {
        try await Self.processReload(watch: false) { process in
            process.process.send(SIGHUP)
        }
    }

    @Test func theProcessReloadsWhenTheWatchedFileChanges() async throws {
        try await Self.processReload(watch: true) { _ in }
    }
}
