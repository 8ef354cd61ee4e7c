import AsyncHTTPClient
import DragomanTransport
import Foundation
import NIOCore
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// The real `dragoman` process under crashes and storms, each test printing its figures: killed
/// under concurrent load and restarted, keyed retries across the restart, refused large bodies.
@Suite("Crashes and storms")
struct CrashAndStormTests {
    /// A fresh folder and the arguments that point a process at a fresh store of `engine`.
    static func storeArguments(_ engine: StoreEngine) throws -> (URL, [String]) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-storm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        switch engine {
        case .sqlite: return (directory, ["--store-path", directory.appendingPathComponent("store.sqlite").path])
        case .postgres: return (directory, ["--store-url", TestPostgres.freshURL()])
        }
    }

    /// What one keyed create got: its status and body, or nothing when the connection died.
    struct Attempt: Sendable {
        var status: UInt?
        var body: String
    }

    static func keyedCreate(_ process: GatewayProcess, index: Int) async -> Attempt {
        let body = #"{"name":"Storm User\#(index)","email":"storm\#(index)@example.com"}"#
        do {
            let reply = try await process.post("/users", body, headers: ["X-Idempotency-Key": "storm-key-\(index)"])
            return Attempt(status: reply.status, body: reply.body)
        } catch {
            return Attempt(status: nil, body: "")
        }
    }

    @Test func keyedCreatesCutByAKillGetTheirOwnUserOnRetryAfterARestart() async throws {
        let (directory, arguments) = try Self.storeArguments(.default)
        let count = 80
        let first = try await GatewayProcess.start(directory: directory, arguments: arguments)
        let killer = Task {
            try await Task.sleep(for: .milliseconds(300))
            first.kill()
        }
        let before = await withTaskGroup(of: (Int, Attempt).self) { group in
            for index in 0..<count { group.addTask { (index, await Self.keyedCreate(first, index: index)) } }
            return await group.reduce(into: [Int: Attempt]()) { $0[$1.0] = $1.1 }
        }
        _ = try? await killer.value
        first.kill()

        let second = try await GatewayProcess.start(directory: directory, arguments: arguments)
        defer { second.kill() }
        var after: [Int: Attempt] = [:]
        for index in 0..<count { after[index] = await Self.keyedCreate(second, index: index) }

        let acknowledged = before.values.filter { $0.status == 201 }.count
        let replayedIdentically = (0..<count).filter { before[$0]?.status == 201 && before[$0]?.body == after[$0]?.body }.count
        let retried201 = after.values.filter { $0.status == 201 }.count
        let conflicts = after.values.filter { $0.status == 409 }.count
        var ids = Set<String>()
        var found = 0
        for index in 0..<count {
            guard let body = after[index]?.body, let id = Self.userID(body) else { continue }
            ids.insert(id)
            let read = try await second.send("GET", "/users/\(id)", headers: ["X-API-Key": GatewayProcess.apiKey])
            if read.status == 200, read.body.contains("storm\(index)@example.com") { found += 1 }
        }
        print(
            "kill and keyed retry (\(StoreEngine.default)): sent \(count), acknowledged before the kill \(acknowledged), "
                + "retried after restart \(count): 201 \(retried201), identical replays \(replayedIdentically), 409 \(conflicts), "
                + "users found \(found), distinct ids \(ids.count), lost \(count - found)"
        )
        #expect(retried201 == count)
        #expect(conflicts == 0)
        #expect(replayedIdentically == acknowledged)
        #expect(ids.count == count)
        #expect(found == count)
    }

    /// Sends `count` Telness creates at once (`prefix` in their names and addresses) while
    /// `stop` runs 300 ms in; the ids of those acknowledged with a 201.
    static func createsUnderLoad(_ process: GatewayProcess, count: Int, prefix: String, stop: @escaping @Sendable () -> Void) async -> [String] {
        let stopper = Task {
            try await Task.sleep(for: .milliseconds(300))
            stop()
        }
        let acknowledged = await withTaskGroup(of: String?.self) { group in
            for index in 0..<count {
                group.addTask {
                    let body = #"{"name":"\#(prefix) User\#(index)","email":"\#(prefix.lowercased())\#(index)@example.com"}"#
                    guard let reply = try? await process.post("/users", body), reply.status == 201 else { return nil }
                    return Self.userID(reply.body)
                }
            }
            return await group.reduce(into: [String]()) { if let id = $1 { $0.append(id) } }
        }
        _ = try? await stopper.value
        return acknowledged
    }

    /// How many of `ids` `process` reads back.
    static func found(_ ids: [String], in process: GatewayProcess) async throws -> Int {
        var found = 0
        var others: [String] = []
        for id in ids {
            let reply = try await process.send("GET", "/users/\(id)", headers: ["X-API-Key": GatewayProcess.apiKey])
            if reply.status == 200 { found += 1 } else { others.append("\(id): \(reply.status) \(reply.body.prefix(200))") }
        }
        // What a missing user's read said, so that a failure tells a lost write from a refused read.
        if !others.isEmpty { print("not read back:\n" + others.joined(separator: "\n")) }
        return found
    }

    @Test func sigtermUnderLoadDrainsExitsOnItsOwnAndLosesNoAcknowledgedCreate() async throws {
        let (directory, arguments) = try Self.storeArguments(.default)
        let first = try await GatewayProcess.start(directory: directory, arguments: arguments, environment: ["DRAGOMAN_SERVER__SHUTDOWNGRACE": "10"])
        let sent = 300
        let acknowledged = await Self.createsUnderLoad(first, count: sent, prefix: "Term") { first.process.send(SIGTERM) }
        let deadline = Date().addingTimeInterval(15)
        while first.process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!first.process.isRunning, "still running 15 s after SIGTERM")
        if let status = first.process.exitStatus { #expect(status == 0) }
        first.kill()
        let second = try await GatewayProcess.start(directory: directory, arguments: arguments)
        defer { second.kill() }
        let found = try await Self.found(acknowledged, in: second)
        print("SIGTERM under load (\(StoreEngine.default)): sent \(sent), acknowledged \(acknowledged.count), found after restart \(found)")
        #expect(found == acknowledged.count)
    }

    @Test func aKillUnderConcurrentLoadLosesNoAcknowledgedCreate() async throws {
        let (directory, arguments) = try Self.storeArguments(.default)
        let first = try await GatewayProcess.start(directory: directory, arguments: arguments)
        let sent = 300
        let acknowledged = await Self.createsUnderLoad(first, count: sent, prefix: "Load") { first.kill() }
        first.kill()
        let second = try await GatewayProcess.start(directory: directory, arguments: arguments)
        defer { second.kill() }
        let found = try await Self.found(acknowledged, in: second)
        let again = await withTaskGroup(of: UInt?.self) { group in
            for index in 0..<sent {
                group.addTask { try? await second.post("/users", #"{"name":"Load User\#(index)","email":"load\#(index)@example.com"}"#).status }
            }
            return await group.reduce(into: [UInt?]()) { $0.append($1) }
        }
        let duplicatesRefused = again.filter { $0 == 409 }.count
        print(
            "kill under load (\(StoreEngine.default)): sent \(sent), acknowledged \(acknowledged.count), found after restart \(found), "
                + "lost \(acknowledged.count - found), re-sent creates refused as duplicates \(duplicatesRefused) (never doubled)"
        )
        #expect(found == acknowledged.count)
        #expect(duplicatesRefused >= acknowledged.count)
    }

    @Test func refusedLargeBodiesLeaveNoDescriptorOpen() async throws {
        let (directory, arguments) = try Self.storeArguments(.sqlite)
        let process = try await GatewayProcess.start(directory: directory, arguments: arguments, environment: ["DRAGOMAN_SERVER__LINGERTIMEOUT": "0.5"])
        defer { process.kill() }
        _ = try await process.send("GET", "/health")
        try await Task.sleep(for: .milliseconds(200))
        let pid = process.process.pid
        let before = openDescriptors(of: pid)
        let body = [UInt8](repeating: UInt8(ascii: "a"), count: 10_000_000)
        var answered = 0
        for _ in 0..<20 {
            let connection = try await RawConnection.open(
                port: process.port,
                host: process.host,
                sending: "POST /users HTTP/1.1\r\nHost: x\r\nX-API-Key: \(GatewayProcess.apiKey)\r\nConnection: close\r\n"
                    + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
            )
            let writer = Task { try? await connection.send(body) }
            let reply = await connection.readUntilClosed(timeout: 10)
            writer.cancel()
            if reply.text.hasPrefix("HTTP/1.1 413"), reply.closed { answered += 1 }
        }
        try await Task.sleep(for: .seconds(1))
        let after = openDescriptors(of: pid)
        print("413 socket release: 20 bodies of 10 MB refused, answered and closed \(answered), descriptors before \(before), after \(after)")
        #expect(answered == 20)
        #expect(after <= before)
    }

    @Test func sigtermClosesIdleKeepAliveConnectionsAndExitsPromptly() async throws {
        let (directory, arguments) = try Self.storeArguments(.sqlite)
        let process = try await GatewayProcess.start(directory: directory, arguments: arguments)
        defer { process.kill() }
        let connection = try await RawConnection.open(port: process.port, host: process.host, sending: "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        let answer = await connection.readAvailable(timeout: 15)
        #expect(answer.text.hasPrefix("HTTP/1.1 200"))
        let started = Date()
        process.process.send(SIGTERM)
        let closed = await connection.readUntilClosed(timeout: 10)
        let status = try await process.process.finished()
        let took = Date().timeIntervalSince(started)
        print("graceful shutdown with an idle keep-alive connection open: \(String(format: "%.2f", took)) s")
        #expect(closed.closed)
        #expect(status == 0)
        #expect(took < 5)
    }

    static func userID(_ body: String) -> String? {
        guard let range = body.range(of: #""userId":"[0-9a-f-]{36}""#, options: .regularExpression) else { return nil }
        return String(body[range].dropFirst(10).dropLast())
    }
}
