package import DragomanDialectKit
import HTTPTypes
package import NIOCore

/// Renders the answers the connection layer gives by itself (a stalled request, a request line
/// or header block too large, a full gateway), always as a complete HTTP/1.1 message that
/// closes the connection. What the answer says is the gateway's choice (`render`): the
/// dialect that owns the request's path speaks, when one does.
package struct EdgeResponder: Sendable {
    /// The response to a failure for a request to a target (path and query), if it was read.
    package let render: @Sendable (GatewayFailure, Substring?) -> DialectResponse

    package init(render: @escaping @Sendable (GatewayFailure, Substring?) -> DialectResponse) {
        self.render = render
    }

    /// The response to `failure` for a request to `target` (path and query), if it was read.
    package func response(for failure: GatewayFailure, target: Substring?) -> DialectResponse {
        render(failure, target)
    }

    /// `response` as the bytes of an HTTP/1.1 message with `Connection: close`.
    package func bytes(for failure: GatewayFailure, target: Substring?, allocator: ByteBufferAllocator) -> ByteBuffer {
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

    /// Answers every failure in a neutral `{"message": …}`, whatever the path.
    package static let neutral = EdgeResponder { failure, _ in neutral(failure) }

    /// `failure` in a neutral `{"message": …}`, for paths no dialect owns.
    package static func neutral(_ failure: GatewayFailure) -> DialectResponse {
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
        failure.addHeaders(to: &response)
        return response
    }
}
