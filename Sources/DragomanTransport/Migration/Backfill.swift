package import DragomanCore
package import DragomanDialectKit
package import DragomanStore
package import Foundation
package import Logging
import Synchronization

/// Which of the source's users a backfill copies (`--only`): those whose email address is in a
/// domain (`@example.com`), or those with one of a list of ids (`id1,id2,…`: the source's own
/// ids, or the ids callers were given).
package enum BackfillFilter: Sendable, Equatable {
    case domain(String)
    case ids(Set<String>)

    package init(_ text: String) {
        if text.hasPrefix("@") {
            self = .domain(String(text.dropFirst()).lowercased())
        } else {
            self = .ids(Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }))
        }
    }

    func matches(_ user: User, sourceID: String) -> Bool {
        switch self {
        case .domain(let domain):
            guard let email = user.profile.email, let at = email.lastIndex(of: "@") else { return false }
            return email[email.index(after: at)...].lowercased() == domain
        case .ids(let ids):
            return ids.contains(sourceID) || ids.contains(String(user.id.serial)) || ids.contains(user.id.uuid.text(uppercase: false))
                || ids.contains(user.id.uuid.text())
        }
    }
}

/// How a backfill runs.
package struct BackfillOptions: Sendable {
    /// Creates in flight at once.
    package var concurrency = 32
    /// The most users started per second; `nil`: as fast as the target answers.
    package var rate: Double?
    /// Reads and matches, creates nothing.
    package var dryRun = false
    package var only: BackfillFilter?

    package init(concurrency: Int = 32, rate: Double? = nil, dryRun: Bool = false, only: BackfillFilter? = nil) {
        self.concurrency = concurrency
        self.rate = rate
        self.dryRun = dryRun
        self.only = only
    }
}

/// A user the target refused: the user (the caller's id, the source's id, its email address)
/// and the target's error in canonical terms.
package struct BackfillFailure: Sendable, Equatable {
    package var user: UUID
    package var sourceID: String
    package var email: String?
    package var error: String
}

/// What a backfill did, so far or in all.
package struct BackfillReport: Sendable, Equatable {
    package var source: String
    package var target: String
    package var dryRun = false
    /// The page the run started after (a resumed run), and the pages read.
    package var resumedAfterPages = 0
    package var pages = 0
    package var seen = 0
    /// Created on the target (in a dry run: would be).
    package var copied = 0
    package var alreadyThere = 0
    /// Left out by `--only`.
    package var skipped = 0
    package var failed: [BackfillFailure] = []
    /// Per canonical field, how many copied users had it and the target's dialect cannot carry it.
    package var lost: [String: Int] = [:]
    /// Whether the target requires a password: none can be read from a vendor's API, so each
    /// copy gets the target's `defaults.password`.
    package var passwordsDefaulted = false
    package var seconds: Double = 0
    package var finished = false

    package init(source: String, target: String) {
        self.source = source
        self.target = target
    }
}

/// Why a backfill could not run at all.
package struct BackfillError: Error, Sendable, CustomStringConvertible {
    package var description: String

    package init(description: String) {
        self.description = description
    }
}

/// Copies the users of one upstream to another, each in its own dialect, page by page through
/// the source's list (so memory stays flat however many there are): each user is created on the
/// target and linked in the id map to the ids callers have for it, so the live bridge finds it
/// there. Idempotent (a user linked to the target already is not copied again; each create
/// carries the key `dgm-backfill-<user>`, so a create whose answer was lost is replayed, not
/// doubled, by a target that honours keys) and resumable (the source's list position is kept in
/// the store after each page; a run killed at any moment starts again at the page it was in).
package struct Backfill: Sendable {
    package let source: ForwardingBackend
    package let target: ForwardingBackend
    /// The source's dialect, whose shape the users were read in; its required fields are not
    /// asked again (only the target's).
    package let sourceDialect: any UserDialect
    package let store: any GatewayStore
    package var options: BackfillOptions

    package init(source: ForwardingBackend, target: ForwardingBackend, sourceDialect: any UserDialect, store: any GatewayStore, options: BackfillOptions) {
        self.source = source
        self.target = target
        self.sourceDialect = sourceDialect
        self.store = store
        self.options = options
    }

    private var sourceName: String { source.configuration.name }
    private var targetName: String { target.configuration.name }

    /// Runs the backfill to the end of the source's list; `progress` hears the report after
    /// every user.
    package func run(logger: Logger, progress: @escaping @Sendable (BackfillReport) -> Void = { _ in }) async throws -> BackfillReport {
        let started = ContinuousClock.now
        let report = ReportBox(BackfillReport(source: sourceName, target: targetName))
        report.state.withLock {
            $0.dryRun = options.dryRun
            $0.passwordsDefaulted = target.dialect.profile.required.contains(.password)
        }
        var position: String?
        var pages = 0
        if let stored = try await store.backfillPosition(source: sourceName, target: targetName) {
            position = stored.position
            pages = stored.pages
            report.state.withLock { $0.resumedAfterPages = stored.pages }
        }
        let pacer = Pacer(rate: options.rate)
        var fetched = try await fetch(after: position, logger: logger)
        repeat {
            let (page, entries) = fetched
            // The next page is read (and its ids mapped) while this page's copies run.
            async let upcoming = fetch(following: page, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                var running = 0
                for (user, sourceID) in entries {
                    try Task.checkCancellation()
                    if running >= max(options.concurrency, 1) {
                        try await group.next()
                        running -= 1
                    }
                    await pacer.wait()
                    group.addTask {
                        let outcome = try await copy(user, sourceID: sourceID, logger: logger)
                        let snapshot = report.state.withLock { report in
                            report.seen += 1
                            switch outcome {
                            case .copied(let lost):
                                report.copied += 1
                                for field in lost { report.lost[field.rawValue, default: 0] += 1 }
                            case .alreadyThere: report.alreadyThere += 1
                            case .skipped: report.skipped += 1
                            case .failed(let failure): report.failed.append(failure)
                            }
                            return report
                        }
                        progress(snapshot)
                    }
                    running += 1
                }
                try await group.waitForAll()
            }
            // A run stopped inside a page leaves it unrecorded: its copies failed by the stop
            // are tried again when the run resumes at that page.
            try Task.checkCancellation()
            pages += 1
            if let next = page.next, next == position { throw BackfillError(description: "the source's list did not advance") }
            position = page.next
            if let next = try await upcoming { fetched = next }
            report.state.withLock { $0.pages += 1 }
            if !options.dryRun {
                if position == nil {
                    try await store.resetBackfill(source: sourceName, target: targetName)
                } else {
                    try await store.recordBackfill(
                        source: sourceName, target: targetName, position: BackfillPosition(position: position, pages: pages, updatedAt: Date()))
                }
            }
        } while position != nil
        return report.state.withLock { report in
            report.finished = true
            report.seconds = (ContinuousClock.now - started).seconds
            return report
        }
    }

    /// A page of the source's list after `position`, with each user's ids (minted on first sight)
    /// and its id at the source.
    private func fetch(after position: String?, logger: Logger) async throws -> (BackendPage, [(User, String)]) {
        let page: BackendPage
        do {
            page = try await source.page(after: position, logger: logger)
        } catch {
            throw BackfillError(description: Self.describe(error, side: "source", name: sourceName, dialect: source.dialect.id))
        }
        do {
            return (page, Array(zip(try await source.users(of: page), page.users.map(\.id))))
        } catch {
            throw BackfillError(description: "the store failed: \(error.summary)")
        }
    }

    /// The page after `page`; `nil` after the last.
    private func fetch(following page: BackendPage, logger: Logger) async throws -> (BackendPage, [(User, String)])? {
        guard let next = page.next else { return nil }
        return try await fetch(after: next, logger: logger)
    }

    private enum Outcome {
        case copied(lost: [UserField])
        case alreadyThere
        case skipped
        case failed(BackfillFailure)
    }

    private func copy(_ user: User, sourceID: String, logger: Logger) async throws -> Outcome {
        if let only = options.only, !only.matches(user, sourceID: sourceID) { return .skipped }
        if try await store.mapped(upstream: targetName, uuid: user.id.uuid) != nil { return .alreadyThere }
        let carried = target.dialect.carriedFields
        let lost = target.validator.fields.fields.filter { $0 != .tenant && user.profile[$0] != nil && !carried.contains($0) }
        if options.dryRun { return .copied(lost: lost) }
        do {
            _ = try await target.copy(user, from: sourceDialect, logger: logger)
            return .copied(lost: lost)
        } catch {
            if case .service(.storeFailure) = error { throw BackfillError(description: "the store failed: \(error.summary)") }
            return .failed(BackfillFailure(user: user.id.uuid, sourceID: sourceID, email: user.profile.email, error: error.summary))
        }
    }

    /// A failure of a whole side, in words naming what is missing.
    private static func describe(_ failure: GatewayFailure, side: String, name: String, dialect: DialectID) -> String {
        switch failure {
        case .notImplemented:
            "the \(side) '\(name)' speaks \(dialect.rawValue), which documents no list of users Dragoman can read; a backfill needs the \(side)'s list"
        default:
            "the \(side) '\(name)' failed: \(failure.summary)"
        }
    }
}

/// The report the copies of a page add to at once.
private final class ReportBox: Sendable {
    let state: Mutex<BackfillReport>

    init(_ report: BackfillReport) {
        state = Mutex(report)
    }
}

/// Spaces the starts of creates to at most `rate` per second.
private actor Pacer {
    let interval: Duration?
    var next = ContinuousClock.now

    init(rate: Double?) {
        interval = rate.map { .nanoseconds(Int64(1_000_000_000 / max($0, 0.001))) }
    }

    func wait() async {
        guard let interval else { return }
        let now = ContinuousClock.now
        let slot = max(next, now)
        next = slot + interval
        if slot > now { try? await Task.sleep(until: slot, clock: .continuous) }
    }
}

extension Duration {
    /// In seconds, as a double.
    fileprivate var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
