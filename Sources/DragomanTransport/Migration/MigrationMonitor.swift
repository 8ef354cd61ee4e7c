import DragomanCore
package import DragomanDialectKit
package import DragomanStore
package import Foundation
package import Logging
import ServiceLifecycle
import Synchronization

/// The live migration bridge's work off the caller's path, for every migrating route, across
/// reloads: comparisons of the two sides' answers (a bounded queue; when it is full a
/// comparison is dropped and counted), and the outbox of mirrored writes (durable in the store,
/// applied in order per user with back-off, shared by every instance on one store). It keeps
/// this instance's tallies for `GET /__dragoman/migration` and reports them to the metrics.
///
/// As a `Service` it runs until shutdown; a gateway built without it (a test's router) runs
/// no comparisons and leaves mirrored writes in the outbox.
package final class MigrationMonitor: Service, Sendable {
    package let store: any GatewayStore
    let events: any MigrationEvents
    let logger: Logger
    /// The most comparisons waiting, and running at once.
    package let queueCapacity: Int
    let concurrency: Int
    /// How often the outbox is looked at when nothing pokes it (another instance's entries,
    /// retries coming due).
    let pollInterval: Duration
    /// How long an instance holds an outbox entry it is applying.
    let lease: TimeInterval = 60
    let state = Mutex(State())
    let comparisons: (stream: AsyncStream<Comparison>, continuation: AsyncStream<Comparison>.Continuation)
    let pokes = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))

    /// A comparison to run off the caller's path.
    package typealias Comparison = @Sendable () async -> Void

    struct State {
        /// The migrating routes of the configuration serving now, by dialect id.
        var routes: [String: MigrationRoute] = [:]
        var tallies: [String: Tally] = [:]
        /// The passwords of mirrored creates and updates not yet tried, by outbox entry, kept in
        /// memory only: an entry tried again after a failure or a restart has none. One that
        /// another instance took (a shared store), or that waits behind a user's earlier entry
        /// longer than ``secretLifetime``, is forgotten.
        var secrets: [Int64: (secret: Secret, kept: Date)] = [:]
        /// When the outbox's leases are next checked for dead instances.
        var nextLeaseCheck = Date.distantPast
    }

    /// One route's comparisons on this instance.
    package struct Tally: Sendable, Equatable {
        package var results: [String: Int] = [:]
        package var fields: [String: FieldTally] = [:]
    }

    /// How often a field differed, with the latest few examples.
    package struct FieldTally: Sendable, Equatable {
        package var count = 0
        package var examples: [Example] = []
    }

    /// One difference: the user (the caller's id) and each side's value (secrets are never compared).
    package struct Example: Sendable, Equatable {
        package var user: UUID
        package var primary: String?
        package var candidate: String?
    }

    /// How long a mirrored write's password waits in memory for its first try.
    static let secretLifetime: TimeInterval = 300

    /// Examples kept per field.
    static let examplesKept = 3

    package init(
        store: any GatewayStore, events: any MigrationEvents, logger: Logger, queueCapacity: Int = 1000, concurrency: Int = 4,
        pollInterval: Duration = .seconds(1)
    ) {
        self.store = store
        self.events = events
        self.logger = logger
        self.queueCapacity = queueCapacity
        self.concurrency = concurrency
        self.pollInterval = pollInterval
        comparisons = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(queueCapacity))
    }

    /// Puts the migrating routes of a configuration now serving in place of the last one's.
    package func install(_ routes: [MigrationRoute]) {
        state.withLock { $0.routes = Dictionary(routes.map { ($0.id, $0) }, uniquingKeysWith: { _, new in new }) }
        pokes.continuation.yield()
    }

    package func route(_ dialect: String) -> MigrationRoute? {
        state.withLock { $0.routes[dialect] }
    }

    package var routes: [MigrationRoute] {
        state.withLock { $0.routes.values.sorted { $0.id < $1.id } }
    }

    package func tally(_ dialect: String) -> Tally {
        state.withLock { $0.tallies[dialect] ?? Tally() }
    }

    package func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.runComparisons() }
            group.addTask { await self.runOutbox() }
            await withGracefulShutdownHandler {
                await group.waitForAll()
            } onGracefulShutdown: {
                self.comparisons.continuation.finish()
                self.pokes.continuation.finish()
            }
        }
    }

    // MARK: Comparisons

    /// Queues a comparison; when the queue is full it is dropped and counted.
    package func compare(dialect: String, _ comparison: @escaping Comparison) {
        if case .dropped = comparisons.continuation.yield(comparison) {
            record(dialect: dialect, result: "dropped")
        }
    }

    private func runComparisons() async {
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for await comparison in comparisons.stream {
                if running >= concurrency {
                    await group.next()
                    running -= 1
                }
                group.addTask { await comparison() }
                running += 1
            }
        }
    }

    /// Records a comparison of `user`: its result, each differing field, one log line each.
    package func record(dialect: String, user: UUID, comparison: ProfileComparison) {
        guard !comparison.isSame else { return record(dialect: dialect, result: "same") }
        record(dialect: dialect, result: "different")
        for difference in comparison.differences {
            recordDifference(
                dialect: dialect, field: difference.field.rawValue, example: Example(user: user, primary: difference.primary, candidate: difference.candidate))
        }
    }

    /// Records answers of different status classes for `user`.
    package func recordStatusDifference(dialect: String, user: UUID, primary: String, candidate: String) {
        record(dialect: dialect, result: "different")
        recordDifference(dialect: dialect, field: "status", example: Example(user: user, primary: primary, candidate: candidate))
    }

    package func record(dialect: String, result: String) {
        state.withLock { $0.tallies[dialect, default: Tally()].results[result, default: 0] += 1 }
        events.compared(dialect: dialect, result: result)
    }

    private func recordDifference(dialect: String, field: String, example: Example) {
        state.withLock { state in
            var tally = state.tallies[dialect, default: Tally()].fields[field, default: FieldTally()]
            tally.count += 1
            tally.examples.append(example)
            if tally.examples.count > Self.examplesKept { tally.examples.removeFirst() }
            state.tallies[dialect, default: Tally()].fields[field] = tally
        }
        events.differed(dialect: dialect, field: field)
        logger.notice(
            "Migration difference",
            metadata: [
                "dragoman.dialect": "\(dialect)", "dragoman.field": "\(field)", "dragoman.user": "\(example.user.text(uppercase: false))",
                "dragoman.primary": "\(example.primary ?? "absent")", "dragoman.candidate": "\(example.candidate ?? "absent")",
            ])
    }
}
