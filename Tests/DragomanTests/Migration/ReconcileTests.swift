import DragomanCore
import DragomanTransport
import Foundation
import HummingbirdTesting
import Logging
import Testing

@testable import Dragoman
@testable import DragomanDialectKit
@testable import DragomanStore

/// `dragoman reconcile`: two real systems compared, each kind of difference found, and fixed.
@Suite(.serialized) struct ReconcileTests {
    static let logger = Logger(label: "test")

    static func reconcile(_ configuration: GatewayConfiguration, fix: Bool = false, ignore: [String] = []) async throws -> ReconcileReport {
        try await configuration.withReconcile(a: "old", b: "new", ignore: ignore, logger: logger) { try await $0.run(fix: fix, logger: logger) }
    }

    @Test func eachKindOfDifferenceIsFoundAndAFixFromAToBLeavesOnlyWhatBAloneHas() async throws {
        try await BackfillTests.withSystems(old: .telnessConnect, new: .telnessConnect) { configuration, old, new in
            _ = try await old.post("/users", #"{"name":"Ada Lovelace","email":"ada@example.com"}"#)
            #expect(try await BackfillTests.run(configuration).copied == 1)
            _ = try await old.post("/users", #"{"name":"Bob Babbage","email":"bob@example.com"}"#)
            _ = try await new.post("/users", #"{"name":"Cy Young","email":"cy@example.com"}"#)
            _ = try await old.post("/users", #"{"name":"Dan Brown","email":"dan@example.com"}"#)
            _ = try await new.post("/users", #"{"name":"Daniel Brown","email":"DAN@example.com"}"#)
            // Ada's copy changes on the new system.
            let adaOnNew = try #require(try await new.get("/users").json["items"]?[0]?["userId"]?.string)
            #expect(try await new.json(.put, "/users/\(adaOnNew)", #"{"name":"Augusta Lovelace"}"#).status == .ok)

            let report = try await Self.reconcile(configuration)
            #expect(!report.isEqual)
            #expect(report.usersA == 3 && report.usersB == 3 && report.matched == 2)
            #expect(report.missingOnB.map(\.email) == ["bob@example.com"])
            #expect(report.missingOnA.map(\.email) == ["cy@example.com"])
            let different = Dictionary(report.different.map { ($0.email ?? "", $0) }, uniquingKeysWith: { first, _ in first })
            #expect(different["ada@example.com"]?.matchedBy == "id")
            #expect(different["ada@example.com"]?.differences.map(\.field) == [.givenName, .displayName])
            #expect(different["dan@example.com"]?.matchedBy == "email")
            #expect(different["dan@example.com"]?.differences.map(\.field) == [.givenName, .displayName, .email])

            let fixed = try await Self.reconcile(configuration, fix: true)
            #expect(fixed.created == 1 && fixed.updated == 2 && fixed.fixFailures.isEmpty, "\(fixed.fixFailures)")
            let after = try await Self.reconcile(configuration)
            #expect(after.missingOnB.isEmpty && after.different.isEmpty, "\(after.different)")
            #expect(after.missingOnA.map(\.email) == ["cy@example.com"])
            #expect(try await new.get("/users").text.contains("Dan Brown"))
        }
    }

    @Test(arguments: [(DialectID.scim, DialectID.telnessConnect), (.voltMXAccessManagement, .deliverySlipCCC), (.deliverySlipCCC, .voltMXAudience)])
    func whatOneSideCannotCarryIsNoDifference(old: DialectID, new: DialectID) async throws {
        try await BackfillTests.withSystems(old: old, new: new) { configuration, source, _ in
            for n in 1...2 { _ = try await BackfillTests.create(old, on: source, n) }
            #expect(try await BackfillTests.run(configuration).copied == 2)
            if new == .voltMXAudience {
                // Its side has no list to read: a clear error.
                await #expect(throws: BackfillError.self) { try await Self.reconcile(configuration) }
                return
            }
            let report = try await Self.reconcile(configuration)
            #expect(report.isEqual, "\(report.different)")
            #expect(report.same == 2)
        }
    }

    @Test func theCommandsExitCodeSaysEqualDifferentOrError() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-reconcile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try await TestGateway(engine: .sqlite).run { old in
            try await TestGateway(engine: .sqlite).run { new in
                let config = directory.appendingPathComponent("r.yaml").path
                try """
                store: {sqlite: {path: "\(directory.appendingPathComponent("store.sqlite").path)"}}
                upstreams:
                  old: {baseURL: "http://127.0.0.1:\(old.port!)", dialect: telness-connect}
                  new: {baseURL: "http://127.0.0.1:\(new.port!)", dialect: telness-connect}
                """.write(toFile: config, atomically: true, encoding: .utf8)
                func reconcile(_ arguments: [String]) async throws -> (Int32, String) {
                    let output = directory.appendingPathComponent("out-\(UUID().uuidString)").path
                    let child = try ChildProcess(
                        BackfillCommandTests.executable, arguments: ["reconcile", "--config", config] + arguments, output: .file(output),
                        error: .file(output + ".err"))
                    let status = try await child.finished()
                    return (
                        status,
                        ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "") + ((try? String(contentsOfFile: output + ".err", encoding: .utf8)) ?? "")
                    )
                }
                #expect(try await reconcile(["--a", "old", "--b", "new"]).0 == 0)
                _ = try await old.post("/users", #"{"name":"Ada Lovelace","email":"ada@example.com"}"#)
                let (different, text) = try await reconcile(["--a", "old", "--b", "new", "--json"])
                #expect(different == 1)
                #expect(text.contains(#""equal":false"#) && text.contains("ada@example.com"), "\(text)")
                #expect(try await reconcile(["--a", "old", "--b", "new", "--fix", "a-to-b"]).0 == 0)
                #expect(try await reconcile(["--a", "old", "--b", "new"]).0 == 0)
                let (error, message) = try await reconcile(["--a", "old", "--b", "elsewhere"])
                #expect(error == 2)
                #expect(message.contains("--b elsewhere: no such upstream"), "\(message)")
            }
        }
    }
}
