import Foundation
import NIOCore
import NIOPosix
import Testing

/// Every failure to start is one line naming the setting and the cause, with its own exit code.
@Suite struct StartupFailureTests {
    /// Runs `dragoman serve` with `arguments` in a fresh folder and returns its exit code and
    /// what it wrote to standard error.
    static func serve(_ arguments: [String], environment: [String: String] = [:]) async throws -> (code: Int32, stderr: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-start-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let errors = directory.appendingPathExtension("stderr")
        defer { try? FileManager.default.removeItem(at: errors) }
        let status = try await ChildProcess(
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dragoman").path,
            arguments: ["serve"] + arguments,
            environment: ["PATH": "/usr/bin:/bin"].merging(environment) { _, new in new },
            directory: directory.path,
            error: .file(errors.path)
        ).finished()
        return (status, (try? String(contentsOf: errors, encoding: .utf8)) ?? "")
    }

    @Test func aPortInUseIsExit71NamingTheAddress() async throws {
        let holder = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(holder.localAddress?.port)
        let result = try await Self.serve(["--port", String(port), "--store-path", "store.sqlite"])
        try await holder.close()
        #expect(result.code == 71)
        #expect(result.stderr == "dragoman: server.host/server.port: cannot listen on 127.0.0.1:\(port): Address already in use\n")
    }

    @Test func aStoreFolderThatCannotBeCreatedIsExit73() async throws {
        let result = try await Self.serve(["--port", "0", "--store-path", "/proc/dragoman-nowhere/store.sqlite"])
        #expect(result.code == 73)
        #expect(result.stderr == "dragoman: store.sqlite.path: cannot create the folder /proc/dragoman-nowhere: No such file or directory\n")
    }

    @Test func aFileThatIsNotADatabaseIsExit65() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-corrupt-\(UUID().uuidString).sqlite").path
        try Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }).write(to: URL(fileURLWithPath: path))
        let result = try await Self.serve(["--port", "0", "--store-path", path])
        #expect(result.code == 65)
        #expect(result.stderr == "dragoman: store.sqlite.path: \(path) is not a usable Dragoman database: file is not a database\n")
    }

    @Test func aBadSettingIsExit78NamingTheKey() async throws {
        let result = try await Self.serve(["--port", "0"], environment: ["DRAGOMAN_SERVER__HEADERTIMEOUT": "soon"])
        #expect(result.code == 78)
        #expect(result.stderr.hasPrefix("dragoman: configuration error: server.headerTimeout must be a number of seconds"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
