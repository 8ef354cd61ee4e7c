import DragomanCore
import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
import Logging

/// The dialects' other resources over the gateway's own store (its groups, and its users for a
/// group's members), and user updates through the route's backend; one per request.
struct GatewayResources: DialectResources {
    let store: any GatewayStore
    let backend: any UserBackend
    let dialect: any UserDialect
    let logger: Logger

    var groups: any GroupStore { store }

    /// Through the route's backend, so a forwarded route's members are the backend's users.
    func existingUsers(_ ids: [UUID]) async throws(GatewayFailure) -> Set<UUID> {
        var found: Set<UUID> = []
        for id in Set(ids) {
            do throws(GatewayFailure) {
                _ = try await backend.find(.uuid(id), logger: logger)
                found.insert(id)
            } catch .service(.notFound) {
                continue
            }
        }
        return found
    }

    func listUsers(_ query: UserListQuery) async throws(GatewayFailure) -> UserPage {
        var page = try await backend.list(query, logger: logger)
        page.users = try await Self.withGroups(page.users, from: store)
        return page
    }

    /// `users`, each with the groups it belongs to (one read of the store for them all).
    static func withGroups(_ users: [User], from store: any GroupStore) async throws(GatewayFailure) -> [User] {
        guard !users.isEmpty else { return users }
        let memberships: [UUID: [GroupRef]]
        do {
            memberships = try await store.groups(containing: users.map(\.id.uuid))
        } catch {
            throw .service(.storeFailure(String(describing: error)))
        }
        return users.map { user in
            var user = user
            user.groups = memberships[user.id.uuid] ?? []
            return user
        }
    }

    func updateUser(_ id: UUID, _ change: @Sendable (User) -> UserPatch?) async throws(GatewayFailure) {
        let user = try await backend.find(.uuid(id), logger: logger)
        guard let patch = change(user) else { return }
        _ = try await backend.update(user, with: DecodedUpdate(patch: patch, violations: []), caller: dialect, logger: logger)
    }
}
