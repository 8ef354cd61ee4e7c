package import DragomanCore
package import DragomanDialectKit
package import DragomanStore
package import Foundation
package import Logging

/// A create's outcome: the user as the caller will see it, and any fields dropped on the way.
package struct CreatedUser: Sendable {
    package var user: User
    package var dropped: [UserField] = []

    package init(user: User, dropped: [UserField] = []) {
        self.user = user
        self.dropped = dropped
    }
}

/// Who asks for a create, and under which key.
package struct CreateContext: Sendable {
    /// The authenticated principal's name; `nil` on an open route.
    package var principal: String?
    /// The key a backend is sent, so that a retried create (by Dragoman or by the caller) makes
    /// no second user there; `nil` lets a forwarding backend choose one.
    package var idempotencyKey: String?
    /// The caller's claimed idempotency key, marked with the user in the local insert.
    package var claim: IdempotencyClaim?
    /// For a mirrored create (the migration bridge's): the caller's user this one copies, so
    /// the backend's new user is linked to it instead of given ids of its own.
    package var mirrorOf: UUID?
    /// The rules the user is checked by, instead of the caller dialect's: a backfill's copy of a
    /// user another system already holds needs only what the target requires.
    package var profile: ValidationProfile?

    package init(
        principal: String? = nil, idempotencyKey: String? = nil, claim: IdempotencyClaim? = nil, mirrorOf: UUID? = nil, profile: ValidationProfile? = nil
    ) {
        self.principal = principal
        self.idempotencyKey = idempotencyKey
        self.claim = claim
        self.mirrorOf = mirrorOf
        self.profile = profile
    }
}

/// Where a dialect's creates and reads are answered: the local store or a backend.
package protocol UserBackend: Sendable {
    func create(_ decoded: DecodedCreate, caller: any UserDialect, context: CreateContext, logger: Logger) async throws(GatewayFailure) -> CreatedUser
    func find(_ lookup: UserLookup, logger: Logger) async throws(GatewayFailure) -> User
    /// Applies `update` to `user` (found through this backend) under `caller`'s rules.
    func update(_ user: User, with update: DecodedUpdate, caller: any UserDialect, logger: Logger) async throws(GatewayFailure) -> User
    func delete(_ user: User, logger: Logger) async throws(GatewayFailure)
    func list(_ query: UserListQuery, logger: Logger) async throws(GatewayFailure) -> UserPage
}

/// Answers from Dragoman's own store through the canonical service.
package struct LocalBackend: UserBackend {
    package let service: UserService

    package func create(_ decoded: DecodedCreate, caller: any UserDialect, context: CreateContext, logger: Logger) async throws(GatewayFailure) -> CreatedUser {
        do {
            let user = try await service.create(
                decoded.user, profile: caller.profile, prior: decoded.violations, by: context.principal,
                mark: context.claim.map { IdempotencyMark(scope: $0.scope, key: $0.key, token: $0.token) }
            )
            return CreatedUser(user: user)
        } catch {
            throw .service(error)
        }
    }

    package func find(_ lookup: UserLookup, logger: Logger) async throws(GatewayFailure) -> User {
        do {
            return try await service.find(lookup)
        } catch {
            throw .service(error)
        }
    }

    package func update(_ user: User, with update: DecodedUpdate, caller: any UserDialect, logger: Logger) async throws(GatewayFailure) -> User {
        do {
            return try await service.update(user, patch: update.patch, profile: caller.profile, prior: update.violations)
        } catch {
            throw .service(error)
        }
    }

    package func delete(_ user: User, logger: Logger) async throws(GatewayFailure) {
        do {
            try await service.delete(user.id.uuid)
        } catch {
            throw .service(error)
        }
    }

    package func list(_ query: UserListQuery, logger: Logger) async throws(GatewayFailure) -> UserPage {
        do {
            return try await service.list(query)
        } catch {
            throw .service(error)
        }
    }

    package init(service: UserService) {
        self.service = service
    }
}
