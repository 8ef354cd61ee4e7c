import DragomanCore
import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Runs a keyed create at most once per principal and key (``IdempotentCreate``): the first
/// request goes on to the handler under its claim and its answer, failures in the dialect's
/// shape included, is recorded; a retry gets the recorded answer; a create whose first attempt
/// stored its user but died before answering is answered from that user. Requests without a
/// key pass straight through.
struct IdempotencyMiddleware: GatewayMiddleware {
    typealias Context = GatewayRequestContext
    let idempotency: IdempotentCreate
    let backend: any UserBackend

    func respond(to request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard var state = context.dialectRoute else { return try await next(request, context) }
        let dialect = state.dialect
        let convention = dialect.idempotency
        let found: String?
        do throws(GatewayFailure) {
            found = try convention.key(in: state.request.headers)
        } catch {
            throw state.error(error)
        }
        guard let key = found else { return try await next(request, context) }
        let decoded: DecodedCreate
        let input = state.request
        do throws(GatewayFailure) {
            decoded = try RequestRecord.timed(.decode) { () throws(GatewayFailure) in try dialect.decodeCreate(input) }
        } catch {
            throw state.error(error)
        }
        let scope = state.request.principal?.name ?? ""
        state.decoded = decoded
        state.backendKey = IdempotentCreate.backendKey(scope: scope, key: key)
        let logger = context.logger
        let fingerprint = RequestFingerprint.of(dialect: dialect.id, path: input.path, query: input.query, create: decoded)
        let answer: DialectResponse
        do throws(GatewayFailure) {
            answer = try await idempotency.run(
                key: key,
                scope: scope,
                fingerprint: fingerprint,
                convention: convention,
                logger: logger,
                recover: { uuid in
                    do throws(GatewayFailure) {
                        return dialect.created(try await backend.find(.uuid(uuid), logger: logger), request: input)
                    } catch {
                        return Self.answer(state.error(error), logger: logger)
                    }
                },
                operation: { claim in
                    var context = context
                    state.claim = claim
                    context.dialectRoute = state
                    do {
                        return try await DialectResponse(capturing: next(request, context))
                    } catch let error as DialectError {
                        return Self.answer(error, logger: logger)
                    } catch {
                        return Self.answer(state.error(.internalError), logger: logger)
                    }
                }
            )
        } catch {
            throw state.error(error)
        }
        return Response(dialect: answer)
    }

    /// A failure's answer, to be recorded and sent as it is.
    private static func answer(_ error: DialectError, logger: Logger) -> DialectResponse {
        error.log(logger)
        return error.rendered
    }
}

extension DialectResponse {
    /// The answer a handler gave, its body read in full (a create's answer is small).
    init(capturing response: Response) async throws {
        let collector = BodyCollector()
        try await response.body.write(collector)
        self.init(status: response.status, headers: response.headers, body: collector.bytes.withLockedValue { $0 })
    }
}

/// A response body writer that keeps what is written.
private final class BodyCollector: ResponseBodyWriter, Sendable {
    let bytes = NIOLockedValueBox<[UInt8]>([])

    func write(_ buffer: ByteBuffer) async throws {
        bytes.withLockedValue { $0.append(contentsOf: buffer.readableBytesView) }
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
