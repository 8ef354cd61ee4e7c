import DragomanDialectKit
import NIOPosix
import Synchronization

/// The read-only connections of the embedded store, used synchronously on the caller's thread.
///
/// A lookup by key (a user by serial, uuid or address, an id mapping, a session) is one indexed
/// row in a file the page cache holds: it takes microseconds, less than handing it to a thread
/// pool and waking the caller again, as SQLiteNIO did for every statement and every row
/// (issue 10's profile: a fifth of a read was thread hand-offs and statement preparation). So a
/// lookup runs on the request's own event loop, with statements prepared once per connection.
/// Statements that may scan the table (lists and counts) run on NIO's blocking pool instead
/// (``scan(_:)``), so no event loop waits for one.
///
/// Each connection is used by one thread at a time (taken from the pool, given back after);
/// WAL mode gives each statement a snapshot of committed rows only, so a read never sees the
/// writer's open transaction. The pool opens another connection when every one is busy and
/// keeps at most ``maxIdle``.
package final class SQLiteReaders: Sendable {
    /// The connections not in use, and whether the pool is closed.
    private struct State: ~Copyable {
        package var idle: [SQLiteDatabaseConnection] = []
        package var closed = false
    }

    /// The most idle connections kept open.
    package static let maxIdle = 4

    private let path: String
    private let state = Mutex(State())

    /// Opens the first connection, so that a file that cannot be read fails at start-up.
    package init(path: String) throws {
        self.path = path
        let first = try SQLiteDatabaseConnection(path: path, role: .reader)
        state.withLock { $0.idle.append(first) }
    }

    /// Runs `body` with a connection of the pool, on the caller's thread. For lookups by index.
    package func read<T>(_ body: (SQLiteDatabaseConnection) throws -> T) throws -> T {
        let connection = try take()
        defer { giveBack(connection) }
        return try body(connection)
    }

    /// Runs `body` with a connection of the pool on NIO's blocking pool. For statements that
    /// may scan.
    package func scan<T: Sendable>(_ body: @escaping @Sendable (SQLiteDatabaseConnection) throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive { try self.read(body) }
    }

    /// How many connections wait in the pool.
    package var idleCount: Int { state.withLock { $0.idle.count } }

    /// Closes the idle connections; one in use is closed when it is given back.
    package func close() {
        let idle = state.withLock { state -> [SQLiteDatabaseConnection] in
            state.closed = true
            defer { state.idle.removeAll() }
            return state.idle
        }
        for connection in idle { connection.close() }
    }

    private func take() throws -> SQLiteDatabaseConnection {
        let taken = try state.withLock { state -> SQLiteDatabaseConnection? in
            guard !state.closed else { throw StoreError.writerClosed }
            return state.idle.popLast()
        }
        return try taken ?? SQLiteDatabaseConnection(path: path, role: .reader)
    }

    private func giveBack(_ connection: SQLiteDatabaseConnection) {
        let kept = state.withLock { state -> Bool in
            guard !state.closed, state.idle.count < Self.maxIdle else { return false }
            state.idle.append(connection)
            return true
        }
        if !kept { connection.close() }
    }
}
