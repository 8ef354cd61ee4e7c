import DragomanCore
import DragomanDialectKit
import DragomanStore
import Logging

/// A create's outcome: the user as the caller will see it, and any fields dropped on the way.
struct CreatedUser: Sendable {
    var user: User
    var dropped: [UserField] = []
}

/// Who asks for a create, and under which key.
struct CreateContext: Sendable {
    /// The authenticated principal's name; `nil` on an open route.
    var principal: String?
    /// The key a backend is sent, so that a retried create (by Dragoman or by the caller) makes
    /// no second user there; `nil` lets a forwarding backend choose one.
    var idempotencyKey: String?
    /// The caller's claimed idempotency key, marked with the user in the local insert.
    var claim: IdempotencyClaim?
}

/// Where a dialect's creates and reads are answered: the local store or a backend.
protocol UserBackend: Sendable {
    func create(_ decoded: DecodedCreate, caller: any UserDialect, context: CreateContext, logger: Logger) async throws(GatewayFailure) -> CreatedUser
    func find(_ lookup: UserLookup, logger: Logger) async throws(GatewayFailure) -> User
    /// Applies `update` to `user` (found through this backend) under `caller`'s rules.
    func update(_ user: User, with update: DecodedUpdate, caller: any UserDialect, logger: Logger) async throws(GatewayFailure) -> User
    func delete(_ user: User, logger: Logger) async throws(GatewayFailure)
    func list(_ query: UserListQuery, logger: Logger) async throws(GatewayFailure) -> UserPage
}

/// Answers from Dragoman's own store through the canonical service.
struct LocalBackend: UserBackend {
    let service: UserService

    func create(_ decoded: DecodedCreate, caller: any UserDialect, context: CreateContext, logger: Logger) async throws(GatewayFailure) -> CreatedUser {
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

    func find(_ lookup: UserLookup, logger: Logger) async throws(GatewayFailure) -> User {
        do {
            return try await service.find(lookup)
        } catch {
            throw .service(error)
        }
    }

    func update(_ user: User, with update: DecodedUpdate, caller: any UserDialect, logger: Logger) async throws(GatewayFailure) -> User {
        do {
            return try await service.update(user, patch: update.patch, profile: caller.profile, prior: update.violations)
        } catch {
            throw .service(error)
        }
    }

    func delete(_ user: User, logger: Logger) async throws(GatewayFailure) {
        do {
            try await service.delete(user.id.uuid)
        } catch {
            throw .service(error)
        }
    }

    func list(_ query: UserListQuery, logger: Logger) async throws(GatewayFailure) -> UserPage {
        do {
            return try await service.list(query)
        } catch {
            throw .service(error)
        }
    }
}
