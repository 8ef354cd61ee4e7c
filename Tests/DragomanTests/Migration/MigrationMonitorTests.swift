import DragomanCore
import DragomanTransport
import Foundation
import Logging
import Testing

@testable import Dragoman
@testable import DragomanDialectKit
@testable import DragomanStore

/// The migration monitor's bounded comparison queue, without its worker: what does not fit is
/// dropped and counted, never waited for.
@Suite struct MigrationMonitorTests {
    @Test func aComparisonThatDoesNotFitTheQueueIsDroppedAndCounted() async throws {
        try await StoreEngine.sqlite.withStore { store in
            let metrics = GatewayMetrics()
            // Not run: nothing takes comparisons off the queue.
            let monitor = MigrationMonitor(store: store, events: metrics, logger: Logger(label: "test"), queueCapacity: 2, concurrency: 1)
            for _ in 0..<5 { monitor.compare(dialect: "telness-connect") {} }
            #expect(monitor.tally("telness-connect").results["dropped"] == 3)
            let exposition = String(decoding: metrics.exposition(), as: UTF8.self)
            #expect(exposition.contains(#"dragoman_migration_comparisons_total{dialect="telness-connect",result="dropped"} 3"#))
        }
    }

    @Test func anOutboxEntrysBackoffDoublesUpToItsLongest() {
        var plan = MigrationPlan(candidate: "new", stage: .shadow)
        plan.firstBackoff = 1
        plan.maxBackoff = 10
        #expect((1...6).map { plan.backoff(after: $0) } == [1, 2, 4, 8, 10, 10])
    }
}
