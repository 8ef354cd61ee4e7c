import DragomanCore
import DragomanDialectKit
import DragomanStore
import Foundation

/// The dialects' other resources over the gateway's own store: its groups, and its users for
/// a group's members.
struct GatewayResources: DialectResources {
    let store: any GatewayStore

    var groups: any GroupStore { store }

    func existingUsers(_ ids: [UUID]) async throws(GatewayFailure) -> Set<UUID> {
        var found: Set<UUID> = []
        do {
            for id in Set(ids) where try await store.user(.uuid(id)) != nil { found.insert(id) }
        } catch {
            throw .service(.storeFailure(String(describing: error)))
        }
        return found
    }

    func listUsers(_ query: UserListQuery) async throws(GatewayFailure) -> UserPage {
        do {
            var page = try await store.list(query)
            let memberships = try await store.groups(containing: page.users.map(\.id.uuid))
            for index in page.users.indices { page.users[index].groups = memberships[page.users[index].id.uuid] ?? [] }
            return page
        } catch {
            throw .service(.storeFailure(String(describing: error)))
        }
    }
}
