import DragomanCore
import DragomanDialectKit
import DragomanStore
import DragomanTransport
import HTTPTypes
import Hummingbird
import Logging

/// A failure on a dialect route that renders itself in that dialect's shape: any middleware or
/// handler of the route throws it, and Hummingbird's router asks it for the response, as it
/// does any `HTTPResponseError`. No handler catches failures by hand.
struct DialectError: HTTPResponseError {
    let failure: GatewayFailure
    let dialect: any UserDialect
    let request: DialectRequest

    var status: HTTPResponse.Status { rendered.status }

    /// The answer in the dialect's shape, with the headers the failure implies.
    var rendered: DialectResponse {
        var response = dialect.failure(failure, request: request)
        failure.addHeaders(to: &response)
        // Refused before a large body was read (authentication, 413, 415): close after the
        // answer rather than read a body nobody wants; the guard drains it for a moment so the
        // client sees the answer. A small body is read and dropped, keeping the connection.
        if request.bodyFormat == nil, Self.declaresLargeBody(request.headers) { response.headers[.connection] = "close" }
        return response
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        log(context.logger)
        return Response(dialect: RequestRecord.timed(.encode) { rendered })
    }

    /// Whether the request says a body of unknown length, or over 64 KiB, follows.
    static func declaresLargeBody(_ headers: HTTPFields) -> Bool {
        headers[.transferEncoding] != nil || (headers[.contentLength].flatMap(Int.init) ?? 0) > 65536
    }

    func log(_ logger: Logger) {
        var logger = logger
        logger[metadataKey: "dragoman.dialect"] = .string(dialect.id.rawValue)
        if let principal = request.principal { logger[metadataKey: "dragoman.principal"] = .string(principal.name) }
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

extension Response {
    /// A Hummingbird response carrying a dialect's answer.
    init(dialect response: DialectResponse) {
        self.init(status: response.status, headers: response.headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: response.body)))
    }
}
