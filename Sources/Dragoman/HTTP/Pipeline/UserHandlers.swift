import DragomanCore
import HTTPTypes
import Hummingbird
import Logging

/// The last step of a dialect route: a create or a read, run against the route's backend (the
/// local store or an upstream) and answered in the dialect's shape. Failures are thrown as
/// ``DialectError``s.
struct UserHandlers: Sendable {
    let backend: any UserBackend

    /// The response header naming fields a forwarding route dropped.
    static let droppedFields = HTTPField.Name("Dragoman-Dropped-Fields")!

    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let state = context.dialectRoute else { throw HTTPError(.internalServerError) }
        let dialect = state.dialect
        let input = state.request
        do throws(GatewayFailure) {
            let decoded: DecodedCreate
            if let known = state.decoded { decoded = known } else { decoded = try dialect.decodeCreate(input) }
            let create = CreateContext(principal: input.principal?.name, idempotencyKey: state.backendKey, claim: state.claim)
            let created = try await backend.create(decoded, caller: dialect, context: create, logger: context.logger)
            var response = dialect.created(created.user, request: input)
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
        let dialect = state.dialect
        do throws(GatewayFailure) {
            var lookup: UserLookup? = try dialect.lookup(state.request)
            while let next = lookup {
                do throws(GatewayFailure) {
                    let user = try await backend.find(next, logger: context.logger)
                    guard dialect.isVisible(user, to: state.request) else { throw .service(.notFound) }
                    return Response(dialect: dialect.read(user, request: state.request))
                } catch .service(.notFound) {
                    lookup = dialect.fallback(after: next, request: state.request)
                }
            }
            throw .service(.notFound)
        } catch {
            throw state.error(error)
        }
    }

    /// A name the dialect does not define under its operation routes.
    func unknownOperation(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let state = context.dialectRoute else { throw HTTPError(.internalServerError) }
        let name = state.request.parameters.values.first ?? String(request.uri.path.split(separator: "/").last ?? "")
        throw state.error(.unknownOperation(name))
    }
}
