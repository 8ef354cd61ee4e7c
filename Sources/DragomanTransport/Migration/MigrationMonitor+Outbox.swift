package import DragomanCore
package import DragomanDialectKit
import DragomanStore
package import Foundation
import Logging
import ServiceLifecycle
import Synchronization

extension MigrationMonitor {
    /// Puts a mirrored write in the outbox, durably, before the caller is answered, and pokes
    /// the worker to apply it at once. A store that cannot take it is logged and counted as a
    /// failed mirror: the caller's write succeeded and is answered as such.
    package func mirror(route: MigrationRoute, to upstream: String, user: UUID, write: MirroredWrite, password: Secret?) async {
        let entry = NewOutboxEntry(dialect: route.id, upstream: upstream, user: user, operation: write.operation.rawValue, payload: write.json())
        do {
            let seq = try await store.enqueue(entry, now: Date())
            if let password {
                let now = Date()
                state.withLock { state in
                    if state.secrets.count >= 1024 {
                        state.secrets = state.secrets.filter { now.timeIntervalSince($0.value.kept) < Self.secretLifetime }
                    }
                    state.secrets[seq] = (password, now)
                }
            }
            pokes.continuation.yield()
        } catch {
            events.outboxFailed(dialect: route.id)
            logger.error(
                "Could not keep a mirrored write",
                metadata: [
                    "dragoman.dialect": "\(route.id)", "dragoman.upstream": "\(upstream)", "dragoman.user": "\(user.text(uppercase: false))",
                    "dragoman.error": "\(error)",
                ])
        }
    }

    /// Applies the outbox whenever it is poked: by a new entry, or by the ticker every poll
    /// interval (entries coming due, another instance's); ends when the pokes finish at shutdown.
    func runOutbox() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [pollInterval, pokes] in
                while (try? await Task.sleep(for: pollInterval)) != nil {
                    if case .terminated = pokes.continuation.yield() { return }
                }
            }
            for await _ in pokes.stream {
                while await drainOutbox() > 0, !Task.isCancelled {}
            }
            group.cancelAll()
        }
    }

    /// Claims the entries due and applies them (different users at once, each user's in
    /// order); returns how many it tried.
    @discardableResult
    package func drainOutbox(now: Date = Date()) async -> Int {
        await releaseDeadLeases(now: now)
        let claimed: [OutboxEntry]
        do {
            claimed = try await store.claimOutbox(now: now, limit: concurrency, lease: lease, owner: InstanceIdentity.current)
        } catch {
            logger.warning("Could not read the migration outbox", metadata: ["dragoman.error": "\(error)"])
            return 0
        }
        await withTaskGroup(of: Void.self) { group in
            for entry in claimed { group.addTask { await self.apply(entry) } }
        }
        return claimed.count
    }

    /// Ends the leases of instances on this machine that are known to be dead (killed and
    /// restarted), so their entries are applied now rather than when the lease lapses; at most
    /// every few seconds. An instance on another machine keeps its lease until it lapses.
    func releaseDeadLeases(now: Date) async {
        let due = state.withLock { state in
            guard now >= state.nextLeaseCheck else { return false }
            state.nextLeaseCheck = now.addingTimeInterval(5)
            return true
        }
        guard due else { return }
        do {
            for owner in try await store.outboxLeaseOwners(now: now) where owner != InstanceIdentity.current && !InstanceIdentity.mayBeAlive(owner) {
                try await store.releaseOutboxLeases(owner: owner)
                logger.notice("Released the outbox entries of a dead instance", metadata: ["dragoman.owner": "\(owner)"])
            }
        } catch {
            logger.warning("Could not check the outbox's leases", metadata: ["dragoman.error": "\(error)"])
        }
    }

    /// Applies one entry to its upstream: removed when applied, tried again later when the
    /// upstream failed, reported failed for good when it refused the write or the tries ran out.
    func apply(_ entry: OutboxEntry) async {
        let password = state.withLock { $0.secrets.removeValue(forKey: entry.seq)?.secret }
        guard let route = route(entry.dialect), let side = route.mirrorSide(entry.upstream) else {
            // The migration was taken out of the configuration: the entry waits, visible.
            await retry(entry, attempts: entry.attempts, next: Date().addingTimeInterval(60), error: "no migration of this route names \(entry.upstream) now")
            return
        }
        let write: MirroredWrite
        do {
            write = try MirroredWrite(operation: entry.operation, json: entry.payload, fields: route.fields)
        } catch {
            await fail(entry, attempts: entry.attempts + 1, error: "the entry cannot be read: \(error)")
            return
        }
        do throws(GatewayFailure) {
            let applied = try await apply(write, of: entry, on: side, route: route, password: password)
            do {
                try await store.completeOutbox(seq: entry.seq)
            } catch {
                logger.warning("Could not remove an applied outbox entry", metadata: ["dragoman.error": "\(error)"])
            }
            if let applied {
                record(
                    dialect: route.id, user: entry.user,
                    comparison: ProfileComparison.compare(
                        write.answer, carrying: carried(by: route, other: entry.upstream), with: applied.profile, carrying: side.dialect.carriedFields,
                        fields: route.fields, ignoring: route.ignored, defaulted: route.defaulted))
            }
        } catch {
            let attempts = entry.attempts + 1
            let message = error.summary
            if Self.isLasting(error) {
                // The other side refused a write the answering side accepted: a difference of
                // status class, besides a failed entry.
                recordStatusDifference(dialect: route.id, user: entry.user, primary: "accepted", candidate: message)
            }
            if Self.isLasting(error) || attempts >= route.plan.attempts {
                await fail(entry, attempts: attempts, error: message)
            } else {
                await retry(entry, attempts: attempts, next: Date().addingTimeInterval(route.plan.backoff(after: attempts)), error: message)
            }
        }
    }

    /// The fields the side that answered the caller carries: the side that is not `upstream`.
    private func carried(by route: MigrationRoute, other upstream: String) -> Set<UserField> {
        (upstream == route.candidateName ? route.primary : route.candidate).dialect.carriedFields
    }

    /// The write applied on `side`; the user as it then has it (`nil` after a delete).
    private func apply(
        _ write: MirroredWrite, of entry: OutboxEntry, on side: ForwardingBackend, route: MigrationRoute, password: Secret?
    ) async throws(GatewayFailure) -> User? {
        let logger = self.logger
        func create(_ profile: UserProfile) async throws(GatewayFailure) -> User {
            // Dragoman's own key, the same on every try, so a retry after a lost answer makes
            // no second user where the backend honours keys.
            let context = CreateContext(idempotencyKey: "dgm-mirror-\(entry.seq)", mirrorOf: entry.user)
            let user = NewUser(realm: write.realm, profile: profile, password: password)
            return try await side.create(DecodedCreate(user: user, violations: []), caller: route.dialect, context: context, logger: logger).user
        }
        func current() async throws(GatewayFailure) -> User? {
            do throws(GatewayFailure) {
                return try await side.find(.uuid(entry.user), logger: logger)
            } catch .service(.notFound) {
                return nil
            }
        }
        switch write.operation {
        case .create:
            // Applied already (a try whose answer was lost)?
            if let existing = try await current() { return existing }
            return try await create(write.profile)
        case .update:
            // A user the other side never got (created before the bridge mirrored) is created
            // there as the answering side has it now.
            guard let user = try await current() else { return try await create(write.answer) }
            let patch = UserPatch(profile: write.profile, password: password, cleared: write.cleared)
            return try await side.update(user, with: DecodedUpdate(patch: patch, violations: []), caller: route.dialect, logger: logger)
        case .delete:
            guard let user = try await current() else { return nil }
            try await side.delete(user, logger: logger)
            return nil
        }
    }

    /// Whether trying again cannot help: the upstream refused the write itself (an answer of
    /// the 4xx class, not a fault).
    package static func isLasting(_ failure: GatewayFailure) -> Bool {
        switch failure {
        case .service(.invalid), .service(.duplicate), .backendRejected, .notImplemented, .refused, .protocolError: true
        default: false
        }
    }

    private func retry(_ entry: OutboxEntry, attempts: Int, next: Date, error: String) async {
        do {
            try await store.retryOutbox(seq: entry.seq, attempts: attempts, next: next, error: error)
        } catch {
            logger.warning("Could not reschedule an outbox entry", metadata: ["dragoman.error": "\(error)"])
        }
    }

    private func fail(_ entry: OutboxEntry, attempts: Int, error: String) async {
        events.outboxFailed(dialect: entry.dialect)
        logger.error(
            "A mirrored write failed for good",
            metadata: [
                "dragoman.dialect": "\(entry.dialect)", "dragoman.upstream": "\(entry.upstream)", "dragoman.operation": "\(entry.operation)",
                "dragoman.user": "\(entry.user.text(uppercase: false))", "dragoman.attempts": "\(attempts)", "dragoman.error": "\(error)",
            ])
        do {
            try await store.retryOutbox(seq: entry.seq, attempts: attempts, next: nil, error: error)
        } catch {
            logger.warning("Could not mark an outbox entry failed", metadata: ["dragoman.error": "\(error)"])
        }
    }
}
