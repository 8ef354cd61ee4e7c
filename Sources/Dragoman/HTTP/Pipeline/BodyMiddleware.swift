import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Hummingbird
import NIOCore

/// Reads a create's body: the media type must be one the dialect accepts (415), the body no
/// larger than the limit (413), and it must parse (400); the parsed body goes in the context.
struct BodyMiddleware: GatewayMiddleware {
    typealias Context = GatewayRequestContext
    let limit: Int

    func respond(to request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard var state = context.dialectRoute else { return try await next(request, context) }
        let contentType = request.headers[.contentType]
        guard let format = state.dialect.bodyFormat(for: contentType.flatMap(MediaType.init)) else {
            throw state.error(.unsupportedMediaType(contentType))
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw state.error(.payloadTooLarge(limit: limit))
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw state.error(.payloadTooLarge(limit: limit))
        } catch {
            throw state.error(.malformedBody("the body could not be read"))
        }
        do {
            state.request.body = try state.dialect.parseBody(Array(buffer.readableBytesView), as: format)
        } catch {
            throw state.error(error)
        }
        state.request.bodyFormat = format
        var context = context
        context.dialectRoute = state
        return try await next(request, context)
    }
}
