import DragomanDialectKit
import NIOConcurrencyHelpers

/// The queue in front of a group-committing writer (``SQLiteWriter``, ``PostgresGroups``):
/// jobs wait here, and one loop takes every job waiting (up to `maxBatch`) and hands them to
/// `run` as one group, again and again until none waits. `close()` lets the loop finish the
/// jobs already taken and hands back those it never took.
package final class GroupQueue<Job: Sendable>: Sendable {
    /// The jobs waiting for the next group, and whether new ones are still taken.
    private struct State {
        package var jobs: [Job] = []
        package var closed = false
    }

    private let state = NIOLockedValueBox(State())
    private let doorbell: AsyncStream<Void>.Continuation
    private let loop: Task<Void, Never>

    /// `executor`, when given, is where the loop (and so every `run`) prefers to run.
    package init(maxBatch: Int, executor: (any TaskExecutor)? = nil, run: @escaping @Sendable ([Job]) async -> Void) {
        let (rings, doorbell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.doorbell = doorbell
        let state = self.state
        // The loop lives as long as the queue; `close()` ends it after the last group.
        self.loop = Task(executorPreference: executor) {
            for await _ in rings {
                while true {
                    let batch = state.withLockedValue { state -> [Job] in
                        let batch = Array(state.jobs.prefix(maxBatch))
                        state.jobs.removeFirst(batch.count)
                        return batch
                    }
                    if batch.isEmpty { break }
                    await run(batch)
                }
            }
        }
    }

    /// Queues `job` for the next group; `false` once the queue is closed.
    package func enqueue(_ job: Job) -> Bool {
        let accepted = state.withLockedValue { state -> Bool in
            guard !state.closed else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted { doorbell.yield() }
        return accepted
    }

    /// How many jobs wait for the next group (not counting the group being run).
    package var waiting: Int { state.withLockedValue { $0.jobs.count } }

    /// Refuses new jobs, lets the loop run what it has taken and what waits, and returns the jobs
    /// it never ran (one accepted just before the close whose doorbell came after it).
    package func close() async -> [Job] {
        state.withLockedValue { $0.closed = true }
        doorbell.finish()
        await loop.value
        return state.withLockedValue { state -> [Job] in
            defer { state.jobs.removeAll() }
            return state.jobs
        }
    }
}
