import AsyncHTTPClient
import DragomanCore
import DragomanTransport
import Foundation
import HummingbirdTesting
import Testing

@testable import Dragoman
@testable import DragomanDialectKit
@testable import DragomanStore

/// The outbox against the real process: mirrored writes the caller was told succeeded survive a
/// `kill -9` and reach the candidate after the restart.
@Suite(.serialized) struct MigrationDurabilityTests {
    static func config(old: Int, new: Int) -> String {
        """
        upstreams:
          old: {baseURL: "http://127.0.0.1:\(old)", dialect: telness-connect, connectTimeout: 1, breaker: {failures: 1000}}
          new: {baseURL: "http://127.0.0.1:\(new)", dialect: telness-connect, connectTimeout: 1, breaker: {failures: 1000}}
        dialects:
          telness-connect:
            auth: [apiKey, basic]
            mode: forward
            upstream: old
            migration:
              candidate: new
              stage: shadow
              mirrorWrites: true
              outbox: {attempts: 1000, firstBackoff: 0.05, maxBackoff: 0.2}
        """
    }

    @Test func mirroredWritesAnsweredBeforeAKillReachTheCandidateAfterTheRestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-outbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let storePath = directory.appendingPathComponent("store.sqlite").path
        let newPort = try await MigrationHarness.freePort()
        let configPath = directory.appendingPathComponent("dragoman.yaml").path
        try await TestGateway(engine: .sqlite).run { old in
            try Self.config(old: old.port!, new: newPort).write(toFile: configPath, atomically: true, encoding: .utf8)
            let arguments = ["--config", configPath, "--store-path", storePath]
            let environment = ["DRAGOMAN_PRINCIPALS__CRASHTEST__ROLES": "admin"]
            // The candidate is down: every mirrored write waits in the outbox when the process dies.
            let first = try await GatewayProcess.start(directory: directory, arguments: arguments, environment: environment)
            let answered = await withTaskGroup(of: String?.self) { group in
                for n in 0..<20 {
                    group.addTask {
                        let email = "user\(n)@example.com"
                        let reply = try? await first.post("/users", #"{"name":"Ada Lovelace","email":"\#(email)"}"#)
                        return reply?.status == 201 ? email : nil
                    }
                }
                var answered: [String] = []
                for await email in group {
                    if let email { answered.append(email) }
                    // Killed while the rest are still in flight.
                    if answered.count == 12 { first.kill() }
                }
                return answered
            }
            #expect(answered.count >= 12)
            try await MigrationHarness.serve(TestGateway(engine: .sqlite) { $0.port = newPort }) {
                let second = try await GatewayProcess.start(directory: directory, arguments: arguments, environment: environment)
                defer { second.kill() }
                var state = ""
                for _ in 0..<400 {
                    state = try await second.get("/__dragoman/migration").body
                    if state.contains(#""pending":0"#) { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(state.contains(#""pending":0,"failed":0"#), "\(state)")
                let onOld = try await second.get("/users").body
                let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(newPort)/users"), timeout: .seconds(10))
                let onNew = String(buffer: try await response.body.collect(upTo: 1 << 20))
                for email in answered {
                    #expect(onOld.contains(email), "\(email) is not on the old system")
                    #expect(onNew.contains(email), "\(email) did not reach the new system")
                }
            }
        }
    }
}
