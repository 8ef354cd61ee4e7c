import DragomanCore
import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The last step of a dialect route: a create, read, update, delete or list, run against the route's backend (the
/// local store or an upstream) and answered in the dialect's shape. Failures are thrown as
/// ``DialectError``s.
struct UserHandlers: Sendable {
    let backend: any UserBackend
    /// The gateway's own store, where the dialects' other resources (groups) are kept.
    let store: any GatewayStore

    /// The response header naming fields a forwarding route dropped.
    static let droppedFields = HTTPField.Name("Dragoman-Dropped-Fields")!

    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let state = context.dialectRoute else { throw HTTPError(.internalServerError) }
        let dialect = state.dialect
        let input = state.request
        do throws(GatewayFailure) {
            let decoded: DecodedCreate
            if let known = state.decoded {
                decoded = known
            } else {
                decoded = try RequestRecord.timed(.decode) { () throws(GatewayFailure) in try dialect.decodeCreate(input) }
            }
            let create = CreateContext(principal: input.principal?.name, idempotencyKey: state.backendKey, claim: state.claim)
            var created = try await backend.create(decoded, caller: dialect, context: create, logger: context.logger)
            // A user just created belongs to no group yet.
            if dialect.showsGroups { created.user.groups = [] }
            var response = RequestRecord.timed(.encode) { dialect.created(created.user, request: input) }
            if !created.dropped.isEmpty {
                let names = NamedViolation.resolve(created.dropped.map { FieldViolation($0, .unknownAttribute) }, wireName: dialect.wireName)
                response.headers[Self.droppedFields] = names.map(\.name).joined(separator: ", ")
            }
            return Response(dialect: response)
        } catch {
            throw state.error(error)
        }
    }

    func read(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let state = context.dialectRoute else { throw HTTPError(.internalServerError) }
        do throws(GatewayFailure) {
            var user = try await target(state, logger: context.logger)
            if state.dialect.showsGroups { user = try await withGroups(user) }
            return Response(dialect: RequestRecord.timed(.encode) { state.dialect.read(user, request: state.request) })
        } catch {
            throw state.error(error)
        }
    }

    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let state = context.dialectRoute else { throw HTTPError(.internalServerError) }
        let dialect = state.dialect
        do throws(GatewayFailure) {
            let user = try await target(state, logger: context.logger)
            let update = try RequestRecord.timed(.decode) { () throws(GatewayFailure) in try dialect.decodeUpdate(state.request, current: user) }
            var updated = try await backend.update(user, with: update, caller: dialect, logger: context.logger)
            if dialect.showsGroups { updated = try await withGroups(updated) }
            return Response(dialect: RequestRecord.timed(.encode) { dialect.updated(updated, request: state.request) })
        } catch {
            throw state.error(error)
        }
    }

    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let state = context.dialectRoute else { throw HTTPError(.internalServerError) }
        let dialect = state.dialect
        do throws(GatewayFailure) {
            let user = try await target(state, logger: context.logger)
            if let refusal = dialect.deletionRefusal(user, request: state.request) { throw refusal }
            try await backend.delete(user, logger: context.logger)
            return Response(dialect: RequestRecord.timed(.encode) { dialect.deleted(user, request: state.request) })
        } catch {
            throw state.error(error)
        }
    }

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let state = context.dialectRoute else { throw HTTPError(.internalServerError) }
        let dialect = state.dialect
        do throws(GatewayFailure) {
            let list = try RequestRecord.timed(.decode) { () throws(GatewayFailure) in try dialect.listQuery(state.request) }
            var page = list.matchesNothing ? UserPage(users: [], total: 0, hasMore: false) : try await backend.list(list.query, logger: context.logger)
            if dialect.showsGroups { page.users = try await withGroups(page.users) }
            return Response(dialect: RequestRecord.timed(.encode) { dialect.listed(page, query: list.query, request: state.request) })
        } catch {
            throw state.error(error)
        }
    }

    /// A route of the dialect's other resources.
    func resource(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let state = context.dialectRoute else { throw HTTPError(.internalServerError) }
        do throws(GatewayFailure) {
            let action = state.route.action ?? state.route.path
            let resources = GatewayResources(store: store, backend: backend, dialect: state.dialect, logger: context.logger)
            return Response(dialect: try await state.dialect.respond(toResource: state.request, action: action, resources: resources))
        } catch {
            throw state.error(error)
        }
    }

    /// `user` with the groups it belongs to.
    private func withGroups(_ user: User) async throws(GatewayFailure) -> User {
        try await withGroups([user])[0]
    }

    private func withGroups(_ users: [User]) async throws(GatewayFailure) -> [User] {
        try await GatewayResources.withGroups(users, from: store)
    }

    /// The user the request names: the dialect's lookup, then its fallbacks, among the users
    /// the dialect may show.
    private func target(_ state: DialectRouteState, logger: Logger) async throws(GatewayFailure) -> User {
        let dialect = state.dialect
        var lookup: UserLookup? = try dialect.lookup(state.request)
        while let next = lookup {
            do throws(GatewayFailure) {
                let user = try await backend.find(next, logger: logger)
                guard dialect.isVisible(user, to: state.request) else { throw .service(.notFound) }
                return user
            } catch .service(.notFound) {
                lookup = dialect.fallback(after: next, request: state.request)
            }
        }
        throw .service(.notFound)
    }

    /// A name the dialect does not define under its operation routes.
    func unknownOperation(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let state = context.dialectRoute else { throw HTTPError(.internalServerError) }
        let name = state.request.parameters.values.first ?? String(request.uri.path.split(separator: "/").last ?? "")
        throw state.error(.unknownOperation(name))
    }
}
