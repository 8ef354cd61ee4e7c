import DragomanDialectKit
import Foundation

/// Runs the statements of one kind that many requests wait on as one statement (or one
/// transaction) per group: group commit for PostgreSQL.
///
/// Every input is queued here; one loop takes all that wait (up to `maxBatch`) and hands them to
/// `run`, which answers each with an output, in order. A request costs a share of the group's
/// round trips (and of its WAL flush, where the group commits durably) instead of its own.
/// Callers hear of their output only once `run` has returned, so whatever durability the group
/// has, each of its callers has. If the group fails, each input runs again in a group of its own,
/// so one bad input never fails the others (an input may therefore run twice; `run` must leave no
/// effect when it throws, as a rolled-back transaction or a failed statement does).
///
/// The groups: user inserts (``PostgresUserInsert``, one durable transaction each), idempotency
/// claims and recorded answers (one statement each, on the records pool).
package final class PostgresGroups<Input: Sendable, Output: Sendable>: Sendable {
    /// A queued input and the way to hand its output to its caller.
    private struct Job: Sendable {
        package let input: Input
        package let finish: @Sendable (Result<Output, any Error>) -> Void
    }

    private let queue: GroupQueue<Job>

    /// `run` runs one group: an output per input, in order.
    package init(maxBatch: Int, run: @escaping @Sendable ([Input]) async throws -> [Output]) {
        queue = GroupQueue(maxBatch: maxBatch) { batch in await Self.run(batch, with: run) }
    }

    /// Queues `input` for the next group; returns its output once the group has run.
    package func submit(_ input: Input) async throws -> Output {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Output, any Error>) in
            let job = Job(input: input) { continuation.resume(with: $0) }
            if !queue.enqueue(job) { job.finish(.failure(StoreError.writerClosed)) }
        }
    }

    /// Runs what waits, refuses new inputs, and ends the loop.
    package func close() async {
        for job in await queue.close() { job.finish(.failure(StoreError.writerClosed)) }
    }

    private static func run(_ batch: [Job], with run: @Sendable ([Input]) async throws -> [Output]) async {
        do {
            let outputs = try await run(batch.map(\.input))
            guard outputs.count == batch.count else { throw StoreError.mismatchedGroup }
            for (job, output) in zip(batch, outputs) { job.finish(.success(output)) }
        } catch {
            guard batch.count > 1 else { return batch[0].finish(.failure(error)) }
            for job in batch { await Self.run([job], with: run) }
        }
    }
}
