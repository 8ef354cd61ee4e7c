public import Foundation

/// A mirrored write of the live migration bridge waiting to be applied to the other side:
/// kept in the store until it is applied, so a restart or a crash loses none, and applied in
/// order per user and upstream. It never holds a secret.
public struct OutboxEntry: Sendable, Equatable {
    public var seq: Int64
    /// The dialect route whose write it mirrors.
    public var dialect: String
    /// The upstream it is to be applied to.
    public var upstream: String
    /// The caller's id of the user written.
    public var user: UUID
    /// `create`, `update` or `delete`.
    public var operation: String
    /// The write in canonical terms, as the bridge encoded it.
    public var payload: String
    /// Tries so far.
    public var attempts: Int
    /// Whether its tries ran out: reported, kept, no longer tried.
    public var failed: Bool
    public var lastError: String?
    public var createdAt: Date
    public var nextAt: Date
}

/// A write to put in the outbox.
public struct NewOutboxEntry: Sendable, Equatable {
    public var dialect: String
    public var upstream: String
    public var user: UUID
    public var operation: String
    public var payload: String

    public init(dialect: String, upstream: String, user: UUID, operation: String, payload: String) {
        self.dialect = dialect
        self.upstream = upstream
        self.user = user
        self.operation = operation
        self.payload = payload
    }
}

/// How many entries of one dialect wait, and how many ran out of tries.
public struct OutboxCounts: Sendable, Equatable {
    public var pending = 0
    public var failed = 0

    public init(pending: Int = 0, failed: Int = 0) {
        self.pending = pending
        self.failed = failed
    }
}

/// The migration bridge's durable outbox. Several instances sharing a store share it: an entry
/// is leased to one instance at a time, and the next entry of the same user and upstream
/// waits until the one before it is applied or has failed for good.
public protocol MigrationOutboxStore: Sendable {
    /// Adds an entry, due at once; returns its sequence number.
    func enqueue(_ entry: NewOutboxEntry, now: Date) async throws -> Int64
    /// Leases to `owner` for `lease` seconds up to `limit` entries that are due and not leased,
    /// each the oldest waiting entry of its user on its upstream, oldest first.
    func claimOutbox(now: Date, limit: Int, lease: TimeInterval, owner: String) async throws -> [OutboxEntry]
    /// The instances holding leases that have not lapsed at `now`.
    func outboxLeaseOwners(now: Date) async throws -> [String]
    /// Ends every lease `owner` holds (an instance known to be dead).
    func releaseOutboxLeases(owner: String) async throws
    /// Removes an applied entry.
    func completeOutbox(seq: Int64) async throws
    /// Records a failed try: due again at `next`, or failed for good when `next` is `nil`.
    func retryOutbox(seq: Int64, attempts: Int, next: Date?, error: String) async throws
    /// Counts by dialect.
    func outboxCounts() async throws -> [String: OutboxCounts]
    /// The oldest entries (of one dialect, when given), failed ones included.
    func outboxEntries(dialect: String?, limit: Int) async throws -> [OutboxEntry]
}

/// The outbox's columns as both engines select them.
package enum OutboxColumns {
    package static let list = "seq, dialect, upstream, user_uuid, operation, payload, attempts, state, last_error, created_at, next_at"
    package static let pending = "pending"
    package static let failed = "failed"
}
