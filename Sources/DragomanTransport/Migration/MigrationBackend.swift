package import DragomanCore
package import DragomanDialectKit
package import DragomanStore
import Foundation
package import Logging

/// A dialect route in migration: answers from the primary, the candidate, or the side a user
/// lives on, by the plan's stage; mirrors each write to the other side through the outbox when
/// the plan says so; and in `shadow` has the monitor compare the candidate's answers to reads
/// and lists with the primary's, off the caller's path. Callers always see their own ids: a
/// user has one set of ids whichever side answers (the id map's links).
package struct MigrationBackend: UserBackend {
    package let route: MigrationRoute
    package let monitor: MigrationMonitor
    package let idMap: any IDMapStore

    package init(route: MigrationRoute, monitor: MigrationMonitor, idMap: any IDMapStore) {
        self.route = route
        self.monitor = monitor
        self.idMap = idMap
    }

    private var plan: MigrationPlan { route.plan }

    package func create(_ decoded: DecodedCreate, caller: any UserDialect, context: CreateContext, logger: Logger) async throws(GatewayFailure) -> CreatedUser {
        let side: ForwardingBackend
        switch plan.stage {
        case .shadow: side = route.primary
        case .cutover: side = route.candidate
        case .split:
            let key = decoded.user.profile.email ?? decoded.user.profile.userName
            side = plan.placesOnCandidate(key: key, principal: context.principal) ? route.candidate : route.primary
        }
        let created = try await side.create(decoded, caller: caller, context: context, logger: logger)
        if plan.mirrorWrites {
            let write = MirroredWrite(operation: .create, realm: decoded.user.realm, profile: decoded.user.profile, answer: created.user.profile)
            await monitor.mirror(route: route, to: other(than: side), user: created.user.id.uuid, write: write, password: decoded.user.password)
        }
        return created
    }

    package func find(_ lookup: UserLookup, logger: Logger) async throws(GatewayFailure) -> User {
        switch plan.stage {
        case .cutover:
            return try await route.candidate.find(lookup, logger: logger)
        case .split:
            return try await home(of: lookup).find(lookup, logger: logger)
        case .shadow:
            let answer: Result<User, GatewayFailure>
            do throws(GatewayFailure) {
                answer = .success(try await route.primary.find(lookup, logger: logger))
            } catch {
                answer = .failure(error)
            }
            compareRead(lookup, answer, logger: logger)
            return try answer.get()
        }
    }

    package func update(_ user: User, with update: DecodedUpdate, caller: any UserDialect, logger: Logger) async throws(GatewayFailure) -> User {
        let side = try await answering(user)
        let updated = try await side.update(user, with: update, caller: caller, logger: logger)
        if plan.mirrorWrites {
            let write = MirroredWrite(
                operation: .update, realm: user.realm, profile: update.patch.profile, cleared: update.patch.cleared, answer: updated.profile)
            await monitor.mirror(route: route, to: other(than: side), user: user.id.uuid, write: write, password: update.patch.password)
        }
        return updated
    }

    package func delete(_ user: User, logger: Logger) async throws(GatewayFailure) {
        let side = try await answering(user)
        try await side.delete(user, logger: logger)
        if plan.mirrorWrites {
            let write = MirroredWrite(operation: .delete, realm: user.realm, profile: UserProfile(), answer: UserProfile())
            await monitor.mirror(route: route, to: other(than: side), user: user.id.uuid, write: write, password: nil)
        }
    }

    package func list(_ query: UserListQuery, logger: Logger) async throws(GatewayFailure) -> UserPage {
        switch plan.stage {
        case .cutover:
            return try await route.candidate.list(query, logger: logger)
        case .shadow:
            let page = try await route.primary.list(query, logger: logger)
            compareList(query, page, logger: logger)
            return page
        case .split:
            // Both sides' users, each once (as the side it lives on has it), oldest first.
            let primary = try await route.primary.allUsers(logger: logger)
            let candidate = try await route.candidate.allUsers(logger: logger)
            var users = primary
            var index = Dictionary(primary.enumerated().map { ($0.element.id.uuid, $0.offset) }, uniquingKeysWith: { first, _ in first })
            let onBoth = candidate.map(\.id.uuid).filter { index[$0] != nil }
            let homes: [UUID: String]
            do {
                homes = onBoth.isEmpty ? [:] : try await idMap.homes(of: onBoth)
            } catch {
                throw .service(.storeFailure(String(describing: error)))
            }
            for user in candidate {
                if let position = index[user.id.uuid] {
                    if homes[user.id.uuid] == route.candidateName { users[position] = user }
                } else {
                    index[user.id.uuid] = users.count
                    users.append(user)
                }
            }
            users.sort { $0.createdAt != $1.createdAt ? $0.createdAt < $1.createdAt : $0.id.serial < $1.id.serial }
            var scoped = query
            scoped.realms = nil
            return scoped.page(of: users, inGivenOrder: true)
        }
    }

    // MARK: Sides

    /// The side that answers a write to `user`: the primary in `shadow`, the candidate in
    /// `cutover`, where the user lives in a `split`.
    private func answering(_ user: User) async throws(GatewayFailure) -> ForwardingBackend {
        switch plan.stage {
        case .shadow: route.primary
        case .cutover: route.candidate
        case .split: try await lives(user.id.uuid, on: route.candidateName) ? route.candidate : route.primary
        }
    }

    /// The side a looked-up user lives on in a split: the upstream it was created on or first
    /// seen by, the same on every instance and after a restart.
    private func home(of lookup: UserLookup) async throws(GatewayFailure) -> ForwardingBackend {
        let identity: MappedIdentity?
        do {
            switch lookup {
            case .serial(let serial): identity = try await idMap.identity(serial: serial)
            case .uuid(let uuid): identity = try await idMap.identity(uuid: uuid)
            case .email: identity = nil
            }
        } catch {
            throw .service(.storeFailure(String(describing: error)))
        }
        return identity?.home == route.candidateName ? route.candidate : route.primary
    }

    private func lives(_ uuid: UUID, on upstream: String) async throws(GatewayFailure) -> Bool {
        do {
            return try await idMap.identity(uuid: uuid)?.home == upstream
        } catch {
            throw .service(.storeFailure(String(describing: error)))
        }
    }

    private func other(than side: ForwardingBackend) -> String {
        side.configuration.name == route.candidateName ? route.primaryName : route.candidateName
    }

    // MARK: Comparisons

    /// Has the monitor read the same user from the candidate and compare.
    private func compareRead(_ lookup: UserLookup, _ answer: Result<User, GatewayFailure>, logger: Logger) {
        let route = self.route
        let monitor = self.monitor
        // Only answers that say something about the user: found, or not found.
        switch answer {
        case .failure(let failure) where failure != .service(.notFound): return
        default: break
        }
        guard route.plan.samplesThisRead else { return }
        monitor.compare(dialect: route.id) {
            let primaryUser = try? answer.get()
            let candidate: Result<User, GatewayFailure>
            do throws(GatewayFailure) {
                candidate = .success(try await route.candidate.find(primaryUser.map { .uuid($0.id.uuid) } ?? lookup, logger: logger))
            } catch {
                candidate = .failure(error)
            }
            Self.record(primaryUser, candidate, lookup: lookup, route: route, monitor: monitor)
        }
    }

    /// The comparison of one user's answers: same, different (fields or status class), or a
    /// candidate that failed.
    private static func record(
        _ primary: User?, _ candidate: Result<User, GatewayFailure>, lookup: UserLookup, route: MigrationRoute, monitor: MigrationMonitor
    ) {
        let user = primary?.id.uuid ?? lookup.uuid ?? UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        switch (primary, candidate) {
        case (nil, .failure(.service(.notFound))):
            monitor.record(dialect: route.id, result: "same")
        case (let primary?, .success(let found)):
            monitor.record(
                dialect: route.id, user: user,
                comparison: ProfileComparison.compare(
                    primary.profile, carrying: route.primary.dialect.carriedFields, with: found.profile, carrying: route.candidate.dialect.carriedFields,
                    fields: route.fields, ignoring: route.ignored, defaulted: route.defaulted))
        case (_, .failure(.service(.notFound))):
            monitor.recordStatusDifference(dialect: route.id, user: user, primary: "found", candidate: "not found")
        case (nil, .success):
            monitor.recordStatusDifference(dialect: route.id, user: user, primary: "not found", candidate: "found")
        case (_, .failure(let failure)) where MigrationMonitor.isLasting(failure):
            // The candidate refused what the primary answered: another status class.
            monitor.recordStatusDifference(dialect: route.id, user: user, primary: primary == nil ? "not found" : "found", candidate: failure.summary)
        case (_, .failure):
            monitor.record(dialect: route.id, result: "candidate_error")
        }
    }

    /// Has the monitor list from the candidate and compare each user of the primary's page.
    private func compareList(_ query: UserListQuery, _ page: UserPage, logger: Logger) {
        let route = self.route
        let monitor = self.monitor
        guard route.plan.samplesThisRead else { return }
        monitor.compare(dialect: route.id) {
            let candidate: [UUID: User]
            do throws(GatewayFailure) {
                candidate = Dictionary(try await route.candidate.allUsers(logger: logger).map { ($0.id.uuid, $0) }, uniquingKeysWith: { first, _ in first })
            } catch {
                return monitor.record(dialect: route.id, result: "candidate_error")
            }
            for user in page.users {
                Self.record(
                    user, candidate[user.id.uuid].map { .success($0) } ?? .failure(.service(.notFound)), lookup: .uuid(user.id.uuid), route: route,
                    monitor: monitor)
            }
        }
    }
}

extension UserLookup {
    /// The user's uuid, when the lookup is by one.
    fileprivate var uuid: UUID? {
        if case .uuid(let uuid) = self { uuid } else { nil }
    }
}
