import DragomanDialectKit
package import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A write the ``SQLiteWriter`` can run together with others of its kind: a group of them is
/// one pass with the group's statements prepared once.
package protocol GroupableWrite: Sendable {
    associatedtype Output: Sendable
    /// Runs `writes`, in order, inside the open transaction: one output per write, in order.
    static func run(_ writes: [Self], on connection: SQLiteDatabaseConnection) async throws -> [Output]
}

/// A write that is any closure over the connection; a group runs them one after another.
package struct ClosureWrite<Output: Sendable>: GroupableWrite {
    package let body: @Sendable (SQLiteDatabaseConnection) async throws -> Output

    package static func run(_ writes: [Self], on connection: SQLiteDatabaseConnection) async throws -> [Output] {
        var outputs: [Output] = []
        for write in writes { outputs.append(try await write.body(connection)) }
        return outputs
    }
}

/// The one writer of a SQLite file, committing in groups, on a thread of its own.
///
/// Every write is a job queued here; one loop takes all jobs waiting (up to ``maxBatch``), runs
/// them inside one `IMMEDIATE` transaction, writes of one kind together (``GroupableWrite``),
/// and commits once, so the jobs share one fsync instead of waiting for one each while holding
/// a lock (group commit). A job hears
/// of its result only after the commit is on disk, so durability is what it was: a 2xx still
/// means the row is on disk. If any job of a group fails, the group is rolled back and each of
/// its jobs is run again in a transaction of its own, so one bad job never fails the others.
/// A job may therefore run more than once; its effects are the database's alone, and a
/// rolled-back attempt leaves none.
///
/// The loop runs on the writer's own thread (a one-thread event loop as its task executor), and
/// every statement runs there synchronously on SQLite's C API, with its statement prepared
/// once: a group costs one wake-up of that thread and one of each caller, not a hop to a thread
/// pool and back for every statement (BEGIN, each group's statements, COMMIT). Blocking that
/// thread on the commit's fsync holds up nothing but the next group.
package final class SQLiteWriter: Sendable {
    /// A queued write and the way to hand its result to its caller.
    private struct Job: Sendable {
        /// The write's type: jobs of one kind run as one group.
        package let kind: ObjectIdentifier
        package let write: any Sendable
        /// Where the group's run leaves this job's output for ``finish``.
        package let output: NIOLockedValueBox<(any Sendable)?>
        /// Runs a group of jobs of this kind, leaving each one's output.
        package let runGroup: @Sendable ([Job], SQLiteDatabaseConnection) async throws -> Void
        /// Resumes the caller: with the output, or the error.
        package let finish: @Sendable ((any Error)?) -> Void
    }

    /// The most jobs committed together.
    package static let maxBatch = 256

    /// The writing connection: used only by the loop, on ``thread``.
    private let connection: SQLiteDatabaseConnection
    private let thread: MultiThreadedEventLoopGroup
    private let queue: GroupQueue<Job>

    package init(connection: SQLiteDatabaseConnection, logger: Logger) {
        self.connection = connection
        let thread = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.thread = thread
        self.queue = GroupQueue(maxBatch: Self.maxBatch, executor: EventLoopExecutor(thread.next())) { batch in
            await Self.commit(batch, on: connection, logger: logger)
        }
    }

    /// Runs `body` in the next group's transaction; returns once that transaction is committed.
    package func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteDatabaseConnection) async throws -> T) async throws -> T {
        try await write(ClosureWrite(body: body))
    }

    /// Runs `write` with the others of its kind in the next group's transaction; returns its
    /// output once that transaction is committed.
    package func write<W: GroupableWrite>(_ write: W) async throws -> W.Output {
        let output = NIOLockedValueBox<(any Sendable)?>(nil)
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<W.Output, any Error>) in
            let job = Job(
                kind: ObjectIdentifier(W.self),
                write: write,
                output: output,
                runGroup: { jobs, connection in
                    let writes = jobs.compactMap { $0.write as? W }
                    let outputs = try await W.run(writes, on: connection)
                    guard writes.count == jobs.count, outputs.count == jobs.count else { throw StoreError.mismatchedGroup }
                    for (job, output) in zip(jobs, outputs) { job.output.withLockedValue { $0 = output } }
                },
                finish: { error in
                    if let error {
                        continuation.resume(throwing: error)
                    } else if let value = output.withLockedValue({ $0 }) as? W.Output {
                        continuation.resume(returning: value)
                    } else {
                        continuation.resume(throwing: StoreError.mismatchedGroup)
                    }
                }
            )
            if !queue.enqueue(job) { job.finish(StoreError.writerClosed) }
        }
    }

    /// How many writes wait for the next group (not counting the group being committed).
    package var waiting: Int { queue.waiting }

    /// Commits the jobs waiting, refuses new ones, ends the loop, and closes the connection.
    package func close() async {
        for job in await queue.close() { job.finish(StoreError.writerClosed) }
        connection.close()
        try? await thread.shutdownGracefully()
    }

    private static func commit(_ batch: [Job], on connection: SQLiteDatabaseConnection, logger: Logger) async {
        do {
            try connection.query("BEGIN IMMEDIATE")
            do {
                // Kinds in the order they first arrived; each kind's jobs in arrival order.
                var groups: [ObjectIdentifier: [Job]] = [:]
                var order: [ObjectIdentifier] = []
                for job in batch {
                    if groups[job.kind] == nil { order.append(job.kind) }
                    groups[job.kind, default: []].append(job)
                }
                for kind in order {
                    guard let jobs = groups[kind], let first = jobs.first else { continue }
                    try await first.runGroup(jobs, connection)
                }
                try connection.query("COMMIT")
            } catch {
                _ = try? connection.query("ROLLBACK")
                throw error
            }
        } catch {
            guard batch.count > 1 else { return batch[0].finish(error) }
            logger.debug("A group commit failed; running its writes one by one", metadata: ["dragoman.writes": "\(batch.count)"])
            for job in batch { await commit([job], on: connection, logger: logger) }
            return
        }
        for job in batch { job.finish(nil) }
    }
}
