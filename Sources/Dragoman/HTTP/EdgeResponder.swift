import DragomanCore
import DragomanDialectKit
import DragomanStore
import HTTPTypes
import NIOCore

/// Renders the answers the connection layer gives by itself (a stalled request, a request line
/// or header block too large, a full gateway): in the dialect that owns the request's path
/// when it is known, else in a neutral `{"message": …}`, always as a complete HTTP/1.1 message
/// that closes the connection.
struct EdgeResponder: Sendable {
    let routes: RouteTable

    /// The response to `failure` for a request to `target` (path and query), if it was read.
    func response(for failure: GatewayFailure, target: Substring?) -> DialectResponse {
        let path = target.map { $0.prefix { $0 != "?" } }
        let query = target.flatMap { text in text.firstIndex(of: "?").map { String(text[text.index(after: $0)...]) } }
        guard let path, let dialect = routes.dialect(for: path) else { return Self.neutral(failure) }
        let request = DialectRequest(method: .get, path: String(path), query: QueryItems.parse(query))
        var response = dialect.failure(failure, request: request)
        DialectError.addHeaders(for: failure, to: &response)
        return response
    }

    /// `response` as the bytes of an HTTP/1.1 message with `Connection: close`.
    func bytes(for failure: GatewayFailure, target: Substring?, allocator: ByteBufferAllocator) -> ByteBuffer {
        let response = response(for: failure, target: target)
        var buffer = allocator.buffer(capacity: 256 + response.body.count)
        buffer.writeString("HTTP/1.1 \(response.status.code) \(response.status.reasonPhrase)\r\n")
        for field in response.headers where field.name != .contentLength && field.name != .connection {
            buffer.writeString("\(field.name.rawName): \(field.value)\r\n")
        }
        buffer.writeString("Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n")
        buffer.writeBytes(response.body)
        return buffer
    }

    /// For paths no dialect owns.
    static func neutral(_ failure: GatewayFailure) -> DialectResponse {
        let (status, message): (HTTPResponse.Status, String) =
            switch failure {
            case .requestTimeout: (.requestTimeout, "The request did not arrive in time")
            case .uriTooLong(let limit): (.uriTooLong, "The request line is longer than \(limit) bytes")
            case .headersTooLarge: (.requestHeaderFieldsTooLarge, "The request header fields are too large")
            case .overloaded(let seconds): (.serviceUnavailable, "Server busy; retry after \(seconds) seconds")
            case .methodNotAllowed: (.methodNotAllowed, "Method not allowed")
            default: (.badRequest, "Bad request")
            }
        var response = DialectResponse.json(status, ["message": message])
        DialectError.addHeaders(for: failure, to: &response)
        return response
    }
}
