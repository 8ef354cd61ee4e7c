import DragomanCore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The HTTP glue for one dialect route: reads the request, has the dialect decode it, runs the
/// canonical service and lets the dialect answer. Every failure, including ones nobody
/// foresaw, is answered in the dialect's own shape; nothing escapes as a bare 500.
struct DialectEndpoint: Sendable {
    let dialect: any UserDialect
    let route: DialectRoute
    let backend: any UserBackend
    let bodyLimit: Int
    let auth: AuthChain
    let policy: AuthPolicy
    /// Where keyed creates are recorded.
    let idempotency: IdempotentCreate

    func respond(to request: Request, context: GatewayRequestContext) async -> Response {
        var logger = context.logger
        logger[metadataKey: "dragoman.dialect"] = .string(dialect.id.rawValue)
        var input = DialectRequest(
            method: request.method,
            path: request.uri.path,
            parameters: parameters(context.parameters),
            query: Self.queryItems(request.uri.query),
            headers: request.headers
        )
        var response: DialectResponse
        do {
            input.principal = try await auth.authenticate(request.headers, client: context.clientAddress, policy: policy, logger: logger)
            if let principal = input.principal { logger[metadataKey: "dragoman.principal"] = .string(principal.name) }
            switch route.operation {
            case .create:
                try await readBody(request, into: &input)
                response = try await create(input, logger: logger)
            case .read:
                response = try await read(input, logger: logger)
            }
        } catch {
            response = dialect.failure(error, request: input)
            Self.addAuthHeaders(for: error, to: &response)
            log(error, logger: logger)
            // Refused before a large body was read (authentication, 413, 415): close after the
            // answer rather than read a body nobody wants; the guard drains it for a moment so
            // the client sees the answer. A small body is read and dropped, keeping the
            // connection.
            if input.bodyFormat == nil, Self.declaresLargeBody(request.headers) { response.headers[.connection] = "close" }
        }
        return Response(
            status: response.status,
            headers: response.headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: response.body))
        )
    }

    /// Whether the request says a body of unknown length, or over 64 KiB, follows.
    static func declaresLargeBody(_ headers: HTTPFields) -> Bool {
        headers[.transferEncoding] != nil || (headers[.contentLength].flatMap(Int.init) ?? 0) > 65536
    }

    /// `WWW-Authenticate` on a 401, `Retry-After` on a 429, whatever the dialect.
    static func addAuthHeaders(for failure: GatewayFailure, to response: inout DialectResponse) {
        switch failure {
        case .unauthenticated(let challenges, _):
            for challenge in challenges { response.headers.append(HTTPField(name: .wwwAuthenticate, value: challenge)) }
        case .throttled(let seconds), .serviceUnavailable(let seconds), .overloaded(let seconds):
            response.headers[.retryAfter] = String(seconds)
        case .methodNotAllowed(let allowed):
            response.headers[.allow] = allowed.joined(separator: ", ")
        case .idempotencyKeyInFlight:
            response.headers[.retryAfter] = "1"
        default:
            break
        }
    }

    /// A create: decoded, then run once per idempotency key when the request carries one.
    private func create(_ input: DialectRequest, logger: Logger) async throws(GatewayFailure) -> DialectResponse {
        let convention = dialect.idempotency
        let key = try convention.key(in: input.headers)
        let decoded = try dialect.decodeCreate(input)
        guard let key else { return try await create(decoded, input: input, backendKey: nil, logger: logger) }
        let scope = input.principal?.name ?? ""
        let fingerprint = RequestFingerprint.of(dialect: dialect.id, path: input.path, query: input.query, create: decoded)
        return try await idempotency.run(
            key: key,
            scope: scope,
            fingerprint: fingerprint,
            convention: convention,
            logger: logger,
            recover: { uuid in
                await answering(input, logger: logger) { () throws(GatewayFailure) in
                    dialect.created(try await backend.find(.uuid(uuid), logger: logger), request: input)
                }
            },
            operation: { claim in
                await answering(input, logger: logger) { () throws(GatewayFailure) in
                    try await create(decoded, input: input, backendKey: IdempotentCreate.backendKey(scope: scope, key: key), claim: claim, logger: logger)
                }
            }
        )
    }

    /// The response of `body`, or its failure in the dialect's shape.
    private func answering(
        _ input: DialectRequest,
        logger: Logger,
        _ body: () async throws(GatewayFailure) -> DialectResponse
    ) async -> DialectResponse {
        do {
            return try await body()
        } catch {
            var response = dialect.failure(error, request: input)
            Self.addAuthHeaders(for: error, to: &response)
            log(error, logger: logger)
            return response
        }
    }

    private func create(
        _ decoded: DecodedCreate,
        input: DialectRequest,
        backendKey: String?,
        claim: IdempotencyClaim? = nil,
        logger: Logger
    ) async throws(GatewayFailure) -> DialectResponse {
        let context = CreateContext(principal: input.principal?.name, idempotencyKey: backendKey, claim: claim)
        let created = try await backend.create(decoded, caller: dialect, context: context, logger: logger)
        var response = dialect.created(created.user, request: input)
        if !created.dropped.isEmpty {
            let names = NamedViolation.resolve(created.dropped.map { FieldViolation($0, .unknownAttribute) }, wireName: dialect.wireName)
            response.headers[Self.droppedFields] = names.map(\.name).joined(separator: ", ")
        }
        return response
    }

    /// The response header naming fields a forwarding route dropped.
    static let droppedFields = HTTPField.Name("Dragoman-Dropped-Fields")!

    private func read(_ input: DialectRequest, logger: Logger) async throws(GatewayFailure) -> DialectResponse {
        let lookup = try dialect.lookup(input)
        let user = try await backend.find(lookup, logger: logger)
        guard dialect.isVisible(user, to: input) else { throw .service(.notFound) }
        return dialect.read(user, request: input)
    }

    /// Checks the media type and size, then parses the body into neutral JSON.
    private func readBody(_ request: Request, into input: inout DialectRequest) async throws(GatewayFailure) {
        let contentType = request.headers[.contentType]
        guard let format = dialect.bodyFormat(for: contentType.flatMap(MediaType.init)) else {
            throw .unsupportedMediaType(contentType)
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > bodyLimit {
            throw .payloadTooLarge(limit: bodyLimit)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: bodyLimit)
        } catch is NIOTooManyBytesError {
            throw .payloadTooLarge(limit: bodyLimit)
        } catch {
            throw .malformedBody("the body could not be read")
        }
        input.body = try RequestBody.parse(Array(buffer.readableBytesView), as: format)
        input.bodyFormat = format
    }

    private func parameters(_ parameters: Parameters) -> [String: String] {
        var values: [String: String] = [:]
        for component in route.path.split(separator: "/") where component.hasPrefix(":") {
            let name = String(component.dropFirst())
            values[name] = parameters.get(name)
        }
        return values
    }

    /// Query items, decoded as form fields are (`+` is a space).
    static func queryItems(_ query: String?) -> [(name: String, value: String)] {
        guard let query else { return [] }
        return query.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = RequestBody.decodeFormComponent(parts[0]) else { return nil }
            let value = parts.count > 1 ? RequestBody.decodeFormComponent(parts[1]) ?? "" : ""
            return (name, value)
        }
    }

    private func log(_ failure: GatewayFailure, logger: Logger) {
        switch failure {
        case .service(.storeFailure(let detail)):
            logger.error("Store failure", metadata: ["dragoman.error": .string(detail)])
        case .internalError:
            logger.error("Internal error")
        default:
            logger.info("Request refused", metadata: ["dragoman.failure": .string(failure.summary)])
        }
    }
}

extension GatewayFailure {
    /// A short description for logs: which rule or field, never a submitted value.
    var summary: String {
        switch self {
        case .service(.invalid(let violations)): "invalid(\(violations.map(\.field.logName).joined(separator: ",")))"
        case .service(.duplicate(let conflict)): "duplicate(\(conflict.key.rawValue))"
        case .service(.notFound): "notFound"
        case .service(.storeFailure): "storeFailure"
        case .malformedBody: "malformedBody"
        case .invalidEncoding: "invalidEncoding"
        case .unsupportedMediaType: "unsupportedMediaType"
        case .payloadTooLarge: "payloadTooLarge"
        case .notAcceptable: "notAcceptable"
        case .invalidParameter(let parameter, _): "invalidParameter(\(parameter))"
        case .unauthenticated(_, let rejected): "unauthenticated(\(rejected?.rawValue ?? "none"))"
        case .throttled: "throttled"
        case .badGateway: "badGateway"
        case .gatewayTimeout: "gatewayTimeout"
        case .serviceUnavailable: "serviceUnavailable"
        case .backendFailed: "backendFailed"
        case .backendRejected: "backendRejected"
        case .idempotencyKeyMismatch: "idempotencyKeyMismatch"
        case .idempotencyKeyInFlight: "idempotencyKeyInFlight"
        case .requestTimeout: "requestTimeout"
        case .uriTooLong: "uriTooLong"
        case .headersTooLarge: "headersTooLarge"
        case .methodNotAllowed: "methodNotAllowed"
        case .overloaded: "overloaded"
        case .internalError: "internalError"
        }
    }
}

extension FieldViolation.Field {
    var logName: String {
        switch self {
        case .canonical(let field): field.rawValue
        case .wire(let name): String(name.prefix(64).filter { $0.isLetter || $0.isNumber || $0 == "_" })
        }
    }
}
