import AsyncHTTPClient
import DragomanCore
import DragomanTransport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// A 200 means the user is on disk: it survives a restart and a crash, and concurrent creates
/// of the same user store exactly one.
@Suite struct DurabilityTests {
    @Test func usersSurviveARestart() async throws {
        let gateway = TestGateway()
        try await gateway.run { client in
            let reply1 = try await client.post("/users", Samples.telness)
            #expect(reply1.status == .created)
        }
        try await gateway.run { client in
            let read = try await client.get("/api/v1/audience/1")
            #expect(read.status == .ok)
            #expect(read.json["email"]?.string == "john.doe@example.com")
            let next = try await client.post("/api/v1/audience", Samples.audience)
            #expect(next.json["id"]?.string == "2")
        }
    }

    @Test func concurrentDuplicateCreatesStoreExactlyOne() async throws {
        try await TestGateway().run { client in
            let request = ConcurrentRequests.Request(path: "/api/v1/audience", body: Samples.audience)
            let statuses = try await ConcurrentRequests.statuses(port: try #require(client.port), Array(repeating: request, count: 24))
            #expect(statuses.filter { $0 == 200 }.count == 1)
            #expect(statuses.filter { $0 == 400 }.count == 23)
            let reply2 = try await client.get("/api/v1/audience/2")
            #expect(reply2.status == .badRequest)
        }
    }

    @Test func concurrentDistinctCreatesAllSucceed() async throws {
        try await TestGateway().run { client in
            let requests = (0..<24).map { ConcurrentRequests.Request(path: "/users", body: #"{"name":"User \#($0)","email":"u\#($0)@x.com"}"#) }
            let statuses = try await ConcurrentRequests.statuses(port: try #require(client.port), requests)
            #expect(statuses == Array(repeating: 201, count: 24))
            let reply3 = try await client.get("/api/v1/audience/24")
            #expect(reply3.status == .ok)
        }
    }

    @Test func passwordsAreStoredOnlyAsBcryptHashes() async throws {
        // Reads the SQLite file itself; StoreConformanceTests covers hashes on PostgreSQL.
        let gateway = TestGateway(engine: .sqlite)
        try await gateway.run { client in
            let reply4 = try await client.post("/api/v1/accessmgmt/users", Samples.accessManagement)
            #expect(reply4.status == .ok)
        }
        let store = try await SQLiteUserStore.open(path: gateway.configuration.storePath, logger: .init(label: "test"))
        let user = try #require(try await store.user(.serial(1)))
        try await store.close()
        #expect(user.passwordHash?.hasPrefix("$2b$04$") == true)
        let files = try FileManager.default.contentsOfDirectory(atPath: gateway.directory.path)
        for file in files {
            let data = try Data(contentsOf: gateway.directory.appendingPathComponent(file))
            #expect(data.range(of: Data("VoltMX@123".utf8)) == nil, "plain password found in \(file)")
        }
    }

    @Test func aReadNeverSeesAnotherTasksUncommittedInsert() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-read-\(UUID().uuidString)/s.sqlite").path
        let store = try await SQLiteUserStore.open(path: path, logger: .init(label: "test"))
        let record = StoreConformanceTests.record("pending@example.com")
        let (inserted, insertedSignal) = AsyncStream<Void>.makeStream()
        let (release, releaseSignal) = AsyncStream<Void>.makeStream()
        let writer = Task {
            try await store.transaction { connection in
                try connection.query(
                    "INSERT INTO users (uuid, realm, document, created_at) VALUES (?, ?, ?, ?)",
                    [.text(record.uuid.uuidString), .text(record.realm), .text(StoredDocument(record).json()), .float(0)]
                )
                insertedSignal.yield()
                for await _ in release { break }
            }
        }
        for await _ in inserted { break }
        let during = try await store.user(.uuid(record.uuid))
        releaseSignal.yield()
        try await writer.value
        let after = try await store.user(.uuid(record.uuid))
        try await store.close()
        #expect(during == nil)
        #expect(after?.profile.email == "pending@example.com")
    }

    @Test func usersSurviveAKilledProcess() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let storePath = directory.appendingPathComponent("store.sqlite").path
        let first = try await GatewayProcess.start(directory: directory, storePath: storePath)
        let created = try await first.post("/users", Samples.telness)
        #expect(created.status == 201)
        first.kill()
        let second = try await GatewayProcess.start(directory: directory, storePath: storePath)
        defer { second.kill() }
        let read = try await second.get("/api/v1/audience/1")
        #expect(read.status == 200)
        #expect(read.body.contains("john.doe@example.com"))
    }
}
