import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A program the tests start and wait for: the real `dragoman` executable, ServiceStack's
/// Python client, `/bin/true`.
///
/// Started with `posix_spawn` rather than Foundation's `Process`: on Linux, `Process.run()`
/// lists `/proc/self/fd` to close every inherited descriptor and copies each directory entry's
/// 256-byte name by value, reading past the end of the directory buffer once the test process
/// holds about 1,360 descriptors or more (the connection-storm tests running beside it do).
/// When that buffer ends at an unmapped page, the whole test process dies with SIGSEGV inside
/// `Process.run()`. Here the child opens its own standard streams (`/dev/null` or a file),
/// changes to its directory and closes every other inherited descriptor itself
/// (`posix_spawn_file_actions_addclosefrom_np`), so nothing scans the descriptor table.
final class ChildProcess: Sendable {
    /// Where one of the child's standard output streams goes.
    enum Output: Sendable {
        case null
        /// Appended to this file, created if missing.
        case file(String)
    }

    let pid: pid_t
    /// The child's wait status once it has been reaped.
    private let reaped = Mutex<Int32?>(nil)

    /// Starts `executable` with `arguments` and exactly `environment`; standard input is
    /// `/dev/null`, standard error goes where `error` says, or with standard output if `nil`.
    init(
        _ executable: String,
        arguments: [String],
        environment: [String: String] = ["PATH": "/usr/bin:/bin"],
        directory: String? = nil,
        output: Output = .null,
        error: Output? = nil
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        try Self.check(posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0), "stdin")
        try Self.open(output, as: 1, in: &actions)
        if let error {
            try Self.open(error, as: 2, in: &actions)
        } else {
            try Self.check(posix_spawn_file_actions_adddup2(&actions, 1, 2), "stderr")
        }
        try Self.check(GlibcSpawnExtensions.closeFrom(&actions, 3), "closefrom")
        if let directory { try Self.check(GlibcSpawnExtensions.changeDirectory(&actions, directory), "chdir \(directory)") }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group (as Foundation's Process does), no signal blocked whatever the
        // spawning thread blocks, and the usual stop signals at their default action.
        var none = sigset_t()
        sigemptyset(&none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid = pid_t()
        try Self.check(posix_spawn(&pid, executable, &actions, &attributes, argv, envp), "spawn \(executable)")
        self.pid = pid
    }

    /// Whether the child still runs; reaps it if it has ended.
    var isRunning: Bool {
        reaped.withLock { status in
            if status != nil { return false }
            var raw: Int32 = 0
            guard waitpid(pid, &raw, WNOHANG) == pid else { return true }
            status = raw
            return false
        }
    }

    /// Blocks until the child ends and returns its ``exitStatus``. Call it off Swift's
    /// cooperative threads.
    @discardableResult
    func waitForExit() -> Int32 {
        let raw = reaped.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) == -1, errno == EINTR {}
            status = raw
            return raw
        }
        return Self.exitStatus(raw)
    }

    /// The child's exit code, or 128 + the signal that ended it (as a shell reports it);
    /// `nil` while it runs.
    var exitStatus: Int32? {
        isRunning ? nil : reaped.withLock { $0 }.map(Self.exitStatus)
    }

    private static func exitStatus(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }

    /// Sends `signal` to the child if it has not been reaped.
    func send(_ signal: Int32) {
        reaped.withLock { status in
            if status == nil { _ = kill(pid, signal) }
        }
    }

    /// Waits, on a GCD thread (``offCooperativePool(_:)``), for the child to end; returns its
    /// ``exitStatus``.
    func finished() async throws -> Int32 {
        try await offCooperativePool { self.waitForExit() }
    }

    private static func open(_ output: Output, as descriptor: Int32, in actions: inout posix_spawn_file_actions_t) throws {
        switch output {
        case .null:
            try check(posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_WRONLY, 0), "/dev/null")
        case .file(let path):
            try check(posix_spawn_file_actions_addopen(&actions, descriptor, path, O_WRONLY | O_CREAT | O_APPEND, 0o644), path)
        }
    }

    private static func check(_ result: Int32, _ what: String) throws {
        guard result == 0 else { throw ChildProcessError(what: what, code: result) }
    }
}

/// A child could not be started.
struct ChildProcessError: Error, CustomStringConvertible {
    var what: String
    var code: Int32
    var description: String { "cannot start a child process (\(what)): \(String(cString: strerror(code)))" }
}

/// glibc's `posix_spawn` file actions that its Swift module does not export (they are GNU
/// extensions, declared only under `_GNU_SOURCE`): looked up once by name. glibc has had both
/// since 2.34.
private enum GlibcSpawnExtensions {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    nonisolated(unsafe) static let closeFromFunction: CloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")
    nonisolated(unsafe) static let changeDirectoryFunction: ChangeDirectory? = symbol("posix_spawn_file_actions_addchdir_np")

    static func closeFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32) -> Int32 {
        closeFromFunction.map { $0(actions, lowest) } ?? ENOSYS
    }

    static func changeDirectory(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: String) -> Int32 {
        guard let function = changeDirectoryFunction else { return ENOSYS }
        return path.withCString { function(actions, $0) }
    }

    private static func symbol<T>(_ name: String) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, name) else { return nil }
        return unsafeBitCast(address, to: T.self)
    }
}
