package import DragomanCore
package import DragomanDialectKit
package import DragomanStore
package import Foundation
package import Logging

/// A user on one side with no counterpart on the other.
package struct ReconcileMissing: Sendable, Equatable {
    /// The caller's id for the user, and its id on the side that has it.
    package var user: UUID
    package var sideID: String
    package var email: String?
    package var userName: String?
}

/// A pair of users the two sides hold for one person, and how they differ.
package struct ReconcileDifference: Sendable, Equatable {
    package var a: UUID
    package var b: UUID
    package var email: String?
    /// How the two were matched: `id` (the id map links them), `email` or `userName`.
    package var matchedBy: String
    package var differences: [FieldDifference]
}

/// What comparing two systems found, and what a fix did.
package struct ReconcileReport: Sendable, Equatable {
    package var a: String
    package var b: String
    package var usersA = 0
    package var usersB = 0
    package var matched = 0
    package var same = 0
    package var missingOnB: [ReconcileMissing] = []
    package var missingOnA: [ReconcileMissing] = []
    package var different: [ReconcileDifference] = []
    /// With `--fix a-to-b`: users created on B, users updated on B, and what B refused.
    package var created = 0
    package var updated = 0
    package var fixFailures: [String] = []

    package init(a: String, b: String) {
        self.a = a
        self.b = b
    }

    package var isEqual: Bool { missingOnA.isEmpty && missingOnB.isEmpty && different.isEmpty }
}

/// Reads both sides whole (each in its dialect, through its list), matches users through the id
/// map, then by email address, then by user name (both case-insensitively), and compares each
/// pair as the live bridge does (``ProfileComparison``: a field one side cannot carry is not a
/// difference). With `fix`, users missing on B are created there (linked in the id map, as a
/// backfill's), pairs matched by email or user name are linked, and B's differing fields are
/// set to A's values.
package struct Reconcile: Sendable {
    package let a: ForwardingBackend
    package let b: ForwardingBackend
    package let aDialect: any UserDialect
    package let store: any GatewayStore
    package let ignore: Set<UserField>

    package init(a: ForwardingBackend, b: ForwardingBackend, aDialect: any UserDialect, store: any GatewayStore, ignore: Set<UserField> = []) {
        self.a = a
        self.b = b
        self.aDialect = aDialect
        self.store = store
        self.ignore = ignore
    }

    package func run(fix: Bool, logger: Logger) async throws -> ReconcileReport {
        var report = ReconcileReport(a: a.configuration.name, b: b.configuration.name)
        let usersA = try await all(of: a, side: "a", logger: logger)
        let usersB = try await all(of: b, side: "b", logger: logger)
        report.usersA = usersA.count
        report.usersB = usersB.count
        var unmatchedB = Dictionary(usersB.map { ($0.id.uuid, $0) }, uniquingKeysWith: { first, _ in first })
        var byEmail: [String: UUID] = [:]
        var byUserName: [String: UUID] = [:]
        for user in usersB {
            if let email = user.profile.email?.lowercased() { byEmail[email] = byEmail[email] ?? user.id.uuid }
            if let name = user.profile.userName?.lowercased() { byUserName[name] = byUserName[name] ?? user.id.uuid }
        }
        let defaulted = a.defaultedFields.union(b.defaultedFields)
        var missingOnB: [User] = []
        var pairs: [(a: User, b: User, by: String)] = []
        for user in usersA {
            let match: (UUID, String)? =
                unmatchedB[user.id.uuid] != nil
                ? (user.id.uuid, "id")
                : user.profile.email.flatMap { byEmail[$0.lowercased()] }.flatMap { unmatchedB[$0] != nil ? ($0, "email") : nil }
                    ?? user.profile.userName.flatMap { byUserName[$0.lowercased()] }.flatMap { unmatchedB[$0] != nil ? ($0, "userName") : nil }
            guard let (id, by) = match, let other = unmatchedB.removeValue(forKey: id) else {
                missingOnB.append(user)
                continue
            }
            pairs.append((user, other, by))
        }
        report.matched = pairs.count
        for (userA, userB, by) in pairs {
            let comparison = ProfileComparison.compare(
                userA.profile, carrying: a.dialect.carriedFields, with: userB.profile, carrying: b.dialect.carriedFields, fields: a.validator.fields,
                ignoring: ignore, defaulted: defaulted)
            if comparison.isSame {
                report.same += 1
            } else {
                report.different.append(
                    ReconcileDifference(a: userA.id.uuid, b: userB.id.uuid, email: userA.profile.email, matchedBy: by, differences: comparison.differences))
            }
        }
        report.missingOnB = missingOnB.map { Self.missing($0) }
        report.missingOnA = unmatchedB.values.sorted { $0.createdAt < $1.createdAt }.map { Self.missing($0) }
        if fix { try await apply(&report, missing: missingOnB, pairs: pairs, logger: logger) }
        return report
    }

    private static func missing(_ user: User) -> ReconcileMissing {
        ReconcileMissing(user: user.id.uuid, sideID: String(user.id.serial), email: user.profile.email, userName: user.profile.userName)
    }

    private func all(of side: ForwardingBackend, side name: String, logger: Logger) async throws -> [User] {
        var users: [User] = []
        var position: String?
        repeat {
            let page: BackendPage
            do {
                page = try await side.page(after: position, logger: logger)
            } catch {
                switch error {
                case .notImplemented:
                    throw BackfillError(
                        description:
                            "--\(name) \(side.configuration.name) speaks \(side.dialect.id.rawValue), which documents no list of users Dragoman can read; reconcile needs both sides' lists"
                    )
                default: throw BackfillError(description: "--\(name) \(side.configuration.name) failed: \(error.summary)")
                }
            }
            do {
                users += try await side.users(of: page)
            } catch {
                throw BackfillError(description: "the store failed: \(error.summary)")
            }
            if let next = page.next, next == position { throw BackfillError(description: "the list of \(side.configuration.name) did not advance") }
            position = page.next
        } while position != nil
        return users
    }

    /// `--fix a-to-b`.
    private func apply(_ report: inout ReconcileReport, missing: [User], pairs: [(a: User, b: User, by: String)], logger: Logger) async throws {
        let target = b.lostFields == .reject ? b.with(lostFields: .drop) : b
        let bName = b.configuration.name
        for user in missing {
            do {
                _ = try await b.copy(user, from: aDialect, logger: logger)
                report.created += 1
            } catch {
                report.fixFailures.append("create \(user.profile.email ?? user.id.uuid.text(uppercase: false)) on \(bName): \(error.summary)")
            }
        }
        let differing = Dictionary(report.different.map { ($0.a, $0) }, uniquingKeysWith: { first, _ in first })
        for (userA, userB, by) in pairs {
            // A pair found by email or user name is linked, so the bridge and the next run find it by id.
            if by != "id", let backendID = try await store.mapped(upstream: bName, uuid: userB.id.uuid)?.backendID {
                try await store.link(uuid: userA.id.uuid, upstream: bName, backendID: backendID, now: Date())
            }
            guard let difference = differing[userA.id.uuid] else { continue }
            var change = UserProfile()
            var cleared: [UserField] = []
            for field in difference.differences.map(\.field) {
                if let value = userA.profile[field] { change[field] = value } else { cleared.append(field) }
            }
            var current = userB
            current.id = userA.id
            do {
                _ = try await target.update(
                    current, with: DecodedUpdate(patch: UserPatch(profile: change, cleared: cleared), violations: []), caller: aDialect, logger: logger)
                report.updated += 1
            } catch {
                report.fixFailures.append("update \(userA.profile.email ?? userA.id.uuid.text(uppercase: false)) on \(bName): \(error.summary)")
            }
        }
    }
}
