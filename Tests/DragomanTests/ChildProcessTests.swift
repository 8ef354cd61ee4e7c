import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The tests' own launcher of child processes: it must start a child however many descriptors
/// the test process holds (Foundation's `Process` crashed the test process at about 1,360),
/// hand the child none of them, and report how the child ended.
@Suite struct ChildProcessTests {
    @Test func aChildStartsWhileTheTestProcessHoldsThousandsOfDescriptorsAndInheritsNone() async throws {
        // Descriptors without close-on-exec, as a careless library would leave them.
        var held: [Int32] = []
        defer { for descriptor in held { _ = close(descriptor) } }
        for _ in 0..<2_000 {
            let descriptor = open("/dev/null", O_RDONLY)
            guard descriptor >= 0 else { break }
            held.append(descriptor)
        }
        #expect(held.count == 2_000)
        let listing = FileManager.default.temporaryDirectory.appendingPathComponent("fds-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: listing) }
        for _ in 0..<20 {
            let status = try await ChildProcess("/bin/ls", arguments: ["-1", "/proc/self/fd"], output: .file(listing.path)).finished()
            #expect(status == 0)
        }
        // ls lists its standard streams and the one directory it reads: 0, 1, 2, 3.
        let lines = try String(contentsOf: listing, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 20 * 4)
        #expect(Set(lines) == ["0", "1", "2", "3"])
    }

    @Test func theExitCodeIsReported() async throws {
        let status = try await ChildProcess("/bin/sh", arguments: ["-c", "exit 3"]).finished()
        #expect(status == 3)
    }

    @Test func aChildKilledByASignalReports128PlusTheSignal() async throws {
        let child = try ChildProcess("/bin/sleep", arguments: ["30"])
        #expect(child.isRunning)
        #expect(child.exitStatus == nil)
        child.send(SIGKILL)
        let status = try await child.finished()
        #expect(status == 128 + SIGKILL)
        #expect(!child.isRunning)
        #expect(child.exitStatus == 128 + SIGKILL)
    }

    @Test func theChildRunsInItsDirectoryWithExactlyTheEnvironmentGiven() async throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("env-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: output) }
        let status = try await ChildProcess(
            "/bin/sh",
            arguments: ["-c", "pwd; echo \"$ONLY\"; echo \"${HOME-unset}\""],
            environment: ["ONLY": "this", "PATH": "/usr/bin:/bin"],
            directory: "/tmp",
            output: .file(output.path)
        ).finished()
        #expect(status == 0)
        let lines = try String(contentsOf: output, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "/tmp")
        #expect(Array(lines.dropFirst()) == ["this", "unset"])
    }

    @Test func aMissingExecutableIsAnErrorNamingIt() async throws {
        #expect {
            try ChildProcess("/nonexistent/dragoman", arguments: [])
        } throws: { error in
            (error as? ChildProcessError)?.description.contains("/nonexistent/dragoman") == true
        }
    }
}
