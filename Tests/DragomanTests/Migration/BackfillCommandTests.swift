import DragomanCore
import Foundation
import HummingbirdTesting
import Testing

@testable import Dragoman
@testable import DragomanDialectKit

/// `dragoman backfill`, the real executable: JSON lines off a terminal, its exit codes, and a
/// run killed with SIGKILL mid-way that a second run finishes without a duplicate.
@Suite(.serialized) struct BackfillCommandTests {
    static var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dragoman").path
    }

    static func config(directory: URL, old: Int, new: Int) throws -> String {
        let path = directory.appendingPathComponent("backfill.yaml").path
        try """
        store: {sqlite: {path: "\(directory.appendingPathComponent("store.sqlite").path)"}}
        upstreams:
          old: {baseURL: "http://127.0.0.1:\(old)/scim/v2", dialect: scim}
          new: {baseURL: "http://127.0.0.1:\(new)", dialect: telness-connect}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs `dragoman backfill` with `arguments`; its exit status and standard output.
    static func backfill(_ arguments: [String], directory: URL) async throws -> (status: Int32, output: String) {
        let output = directory.appendingPathComponent("out-\(UUID().uuidString).txt").path
        let child = try ChildProcess(executable, arguments: ["backfill"] + arguments, output: .file(output), error: .file(output + ".err"))
        let status = try await child.finished()
        return (status, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    @Test func aRunKilledMidwayIsFinishedByTheNextWithoutADuplicate() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-backfill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try await TestGateway(engine: .sqlite).run { old in
            try await TestGateway(engine: .sqlite).run { new in
                for n in 0..<250 { _ = try await BackfillTests.create(.scim, on: old, n) }
                let config = try Self.config(directory: directory, old: old.port!, new: new.port!)
                // Slowed down, and killed once it has finished a page.
                let output = directory.appendingPathComponent("killed.txt").path
                let killed = try ChildProcess(
                    Self.executable, arguments: ["backfill", "--from", "old", "--to", "new", "--config", config, "--rate", "200/s"], output: .file(output))
                for _ in 0..<600 {
                    if let text = try? String(contentsOfFile: output, encoding: .utf8), text.contains(#""event":"progress""#) { break }
                    try await Task.sleep(for: .milliseconds(10))
                }
                killed.send(SIGKILL)
                _ = killed.waitForExit()
                let before = try await new.get("/users?limit=1000").json["items"]?.array.count ?? 0
                #expect(before > 0 && before < 250, "\(before) copied before the kill")
                let (status, text) = try await Self.backfill(["--from", "old", "--to", "new", "--config", config], directory: directory)
                #expect(status == 0, "\(text)")
                let report = try #require(text.split(separator: "\n").last.map(String.init))
                #expect(report.contains(#""event":"report""#) && report.contains(#""failedCount":0"#), "\(report)")
                #expect(!report.contains(#""resumedAfterPages":0"#), "\(report)")
                let items = try await new.get("/users?limit=1000").json["items"]?.array ?? []
                #expect(items.count == 250)
                #expect(Set(items.compactMap { $0["email"]?.string }).count == 250)
            }
        }
    }

    @Test func aSourceWithoutAListOrAnUnknownUpstreamExitsTwoNamingIt() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-backfill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = try Self.config(directory: directory, old: 1, new: 2)
        let child = try ChildProcess(
            Self.executable, arguments: ["backfill", "--from", "nowhere", "--to", "new", "--config", config],
            output: .file(directory.appendingPathComponent("o.txt").path), error: .file(directory.appendingPathComponent("e.txt").path))
        #expect(try await child.finished() == 2)
        let error = try String(contentsOfFile: directory.appendingPathComponent("e.txt").path, encoding: .utf8)
        #expect(error.contains("--from nowhere: no such upstream"), "\(error)")
    }
}
