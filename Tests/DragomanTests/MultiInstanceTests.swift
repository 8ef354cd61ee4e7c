import DragomanCore
import DragomanTransport
import Foundation
import HummingbirdBcrypt
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// Two real `dragoman` processes sharing one PostgreSQL behave as one gateway.
@Suite struct MultiInstanceTests {
    /// Runs two gateway processes on one fresh PostgreSQL schema.
    static func withTwoInstances(_ body: (GatewayProcess, GatewayProcess) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-pair-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = TestPostgres.freshURL()
        let environment = ["DRAGOMAN_PRINCIPALS__CRASHTEST__PASSWORDHASH": Bcrypt.hash(GatewayProcess.password, cost: 4)]
        let first = try await GatewayProcess.start(directory: directory, arguments: ["--store-url", url], environment: environment)
        defer { first.kill() }
        let second = try await GatewayProcess.start(directory: directory, arguments: ["--store-url", url], environment: environment)
        defer { second.kill() }
        try await body(first, second)
    }

    static func telness(email: String) -> String { #"{"name":"Ada Lovelace","email":"\#(email)"}"# }

    static func userID(_ reply: ProcessReply) -> String? {
        (try? JSONDecoder().decode(JSONValue.self, from: Data(reply.body.utf8)))?["userId"]?.string
    }

    @Test func aCreateOnOneIsReadableOnTheOther() async throws {
        try await Self.withTwoInstances { a, b in
            let created = try await a.post("/users", Self.telness(email: "ada@example.com"))
            #expect(created.status == 201)
            let id = try #require(Self.userID(created))
            let read = try await b.send("GET", "/users/\(id)", headers: ["X-API-Key": GatewayProcess.apiKey])
            #expect(read.status == 200)
            #expect(read.body.contains("ada@example.com"))
        }
    }

    @Test func concurrentDuplicateCreatesAcrossInstancesStoreExactlyOne() async throws {
        try await Self.withTwoInstances { a, b in
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for index in 0..<16 {
                    let instance = index.isMultiple(of: 2) ? a : b
                    group.addTask { try await instance.post("/users", Self.telness(email: "race@example.com")).status }
                }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 1)
            #expect(statuses.filter { $0 == 409 }.count == 15)
        }
    }

    @Test func idempotentRetriesAcrossInstancesRunOnceAndReplay() async throws {
        try await Self.withTwoInstances { a, b in
            let body = Self.telness(email: "once@example.com")
            let key = ["X-Idempotency-Key": "retry-\(UUID().uuidString)"]
            let replies = try await withThrowingTaskGroup(of: ProcessReply.self) { group in
                for index in 0..<12 {
                    let instance = index.isMultiple(of: 2) ? a : b
                    group.addTask { try await instance.post("/users", body, headers: key) }
                }
                return try await group.reduce(into: [ProcessReply]()) { $0.append($1) }
            }
            // Each racer either ran or replayed the one create, or found it still running.
            let created = replies.filter { $0.status == 201 }
            #expect(!created.isEmpty)
            #expect(Set(created.map(\.body)).count == 1)
            #expect(replies.allSatisfy { $0.status == 201 || ($0.status == 409 && $0.body.contains("idempotency_key_locked")) })
            let first = try #require(created.first)
            for instance in [a, b] {
                let retry = try await instance.post("/users", body, headers: key)
                #expect(retry.status == 201)
                #expect(retry.body == first.body)
            }
            let mismatch = try await b.post("/users", Self.telness(email: "other@example.com"), headers: key)
            #expect(mismatch.status == 409)
            #expect(mismatch.body.contains("idempotency_key_mismatch"))
            let keyless = try await a.post("/users", body)
            #expect(keyless.status == 409)
            #expect(keyless.body.contains("USER_ALREADY_EXISTS"))
        }
    }

    @Test func aSessionMadeOnOneIsValidOnTheOther() async throws {
        try await Self.withTwoInstances { a, b in
            let login = try await a.send(
                "POST",
                "/auth/credentials",
                body: #"{"UserName":"crashtest","Password":"\#(GatewayProcess.password)"}"#
            )
            #expect(login.status == 200)
            let session = try #require((try? JSONDecoder().decode(JSONValue.self, from: Data(login.body.utf8)))?["sessionId"]?.string)
            let create = try await b.send(
                "POST",
                Samples.cccPath,
                body: #"{"EmailAddress":"ada@example.com","Password":"S3cret!pass","FirstName":"Ada","LastName":"Lovelace"}"#,
                headers: ["X-ss-id": session]
            )
            #expect(create.status == 200)
            let logout = try await b.send("POST", "/auth/logout", headers: ["X-ss-id": session])
            #expect(logout.status == 200)
            let after = try await a.send("POST", Samples.cccPath, body: #"{"EmailAddress":"bob@example.com"}"#, headers: ["X-ss-id": session])
            #expect(after.status == 401)
        }
    }
}
