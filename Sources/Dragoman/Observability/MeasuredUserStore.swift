import DragomanCore
import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation

/// The user store as the service sees it: every call goes to `base`, and its latency is
/// recorded in the metrics by engine and operation and added to the request's `store` stage
/// (a span when the gateway traces).
struct MeasuredUserStore: UserStore {
    let base: any UserStore
    /// `sqlite` or `postgres`.
    let engine: String
    let metrics: GatewayMetrics

    func insert(_ record: UserRecord, uniqueKeys: [UniqueKey]) async throws -> InsertOutcome {
        try await measure("insert") { try await base.insert(record, uniqueKeys: uniqueKeys) }
    }

    func user(_ lookup: UserLookup) async throws -> User? {
        try await measure("read") { try await base.user(lookup) }
    }

    func update(_ user: User, uniqueKeys: [UniqueKey]) async throws -> UpdateOutcome {
        try await measure("update") { try await base.update(user, uniqueKeys: uniqueKeys) }
    }

    func delete(_ uuid: UUID) async throws -> Bool {
        try await measure("delete") { try await base.delete(uuid) }
    }

    func list(_ query: UserListQuery) async throws -> UserPage {
        try await measure("list") { try await base.list(query) }
    }

    private func measure<T>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        defer { metrics.recordStore(engine: engine, operation: operation, duration: ContinuousClock.now - start) }
        return try await RequestRecord.timed(.store) { () async throws -> T in try await body() }
    }
}
