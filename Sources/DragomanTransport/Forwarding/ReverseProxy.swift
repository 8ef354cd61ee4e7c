import DragomanDialectKit
import DragomanStore
import Foundation
import HTTPTypes
import Hummingbird
package import HummingbirdCore
package import Logging
package import NIOCore
package import NIOHTTP1

/// Proxies every path no other route matches to one upstream, unchanged: method, path, query,
/// headers and body, streamed both ways without buffering. Hop-by-hop headers are removed and
/// `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Request-Id` set. Dragoman does not
/// authenticate proxied requests; the backend sees the caller's own credentials.
///
/// Exchanges go through the upstream's own connection pool (the forwarding routes' pool, in
/// its streaming mode), on the event loop the request runs on. The backend's answer must
/// begin (its head) within the upstream's `requestTimeout`, and while its body streams, each
/// part must follow the one before within that time again (AsyncHTTPClient's deadline and
/// read timeout, which the proxy used before).
package struct ReverseProxy: Sendable {
    package let upstream: UpstreamConfiguration
    package let pool: UpstreamConnectionPool

    /// Headers that describe one connection, not the message (RFC 9110 §7.6.1), and those the
    /// proxy sets itself (`Host` and the `X-Forwarded-*` family, `X-Request-Id`).
    package static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding",
        "upgrade", "host",
    ]
    private static let setByProxy: Set<String> = ["x-forwarded-for", "x-forwarded-proto", "x-request-id"]

    package func forward(_ request: Request, client: SocketAddress?, logger: Logger) async -> Response {
        let head = Self.head(request, client: client, address: pool.address)
        // HTTP/1.1 frames a request body with Content-Length or Transfer-Encoding; with neither
        // there is none (RFC 9112 §6.3).
        let length = request.headers[.contentLength]
        let hasBody = request.headers[.transferEncoding] != nil || (length != nil && length != "0")
        let upload = hasBody ? ProxiedRequestBody(request.body) : nil
        let record = RequestRecord.current
        record?.update { facts in
            facts.operation = "proxy"
            facts.upstream = upstream.name
        }
        let start = ContinuousClock.now
        let timeout = TimeAmount.milliseconds(Int64(upstream.requestTimeout * 1000))
        do {
            let answer = try await pool.stream(head, upload: upload, deadline: .now() + timeout, idleTimeout: timeout)
            let elapsed = ContinuousClock.now - start
            let status = Int(answer.head.status.code)
            record?.update { facts in
                facts.upstreamStatus = status
                facts.upstreamMilliseconds = Double(elapsed.nanoseconds) / 1e6
                facts.stages[.upstream] += elapsed
                if status >= 500 { facts.upstreamError = .serverError }
            }
            var headers = HTTPFields()
            headers.reserveCapacity(answer.head.headers.count)
            let droppedBack = Self.listedInConnection(answer.head.headers["connection"])
            for header in answer.head.headers {
                guard let name = HTTPField.Name(header.name) else { continue }
                let canonical = name.canonicalName
                if Self.hopByHop.contains(canonical) || droppedBack?.contains(canonical) == true { continue }
                headers.append(HTTPField(name: name, value: header.value))
            }
            let contentLength = answer.head.headers.first(name: "content-length").flatMap(Int.init)
            let body: ResponseBody
            switch answer.body {
            case .complete(let whole):
                await upload?.close()
                if let whole, whole.readableBytes > 0 {
                    body = ResponseBody(byteBuffer: whole)
                } else {
                    // No body (a HEAD's, a 204's): the backend's Content-Length, if any, stands.
                    body = ResponseBody(contentLength: contentLength) { writer in try await writer.finish(nil) }
                }
            case .streaming(let parts):
                // The backend's body streams through; before the response ends, the client's
                // read of the upload is closed, so Hummingbird alone reads what is left of it.
                body = ResponseBody(contentLength: contentLength) { writer in
                    do {
                        for try await part in parts { try await writer.write(part) }
                    } catch {
                        await upload?.close()
                        throw error
                    }
                    await upload?.close()
                    try await writer.finish(nil)
                }
            }
            return Response(status: .init(code: status), headers: headers, body: body)
        } catch {
            await upload?.close()
            let fault = TransportFault(error)
            record?.update { $0.upstreamError = fault.kind }
            logger.warning("Proxy request failed", metadata: ["dragoman.upstream": "\(upstream.name)", "dragoman.fault": "\(fault)"])
            let status: HTTPResponse.Status = if case .timeout = fault { .gatewayTimeout } else { .badGateway }
            return Response(
                status: status,
                headers: [.contentType: "application/json; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"message":"The upstream \#(upstream.name) is unavailable"}"#))
            )
        }
    }

    /// The request as the backend gets it: the base path before the caller's path and query,
    /// the caller's headers but those of its connection, the backend's `Host`, and the
    /// forwarding headers and trace context.
    package static func head(_ request: Request, client: SocketAddress?, address: UpstreamAddress) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.reserveCapacity(request.headers.count + 4)
        headers.add(name: "Host", value: address.hostHeader)
        let dropped = listedInConnection(request.headers[values: .connection])
        for field in request.headers {
            let name = field.name.canonicalName
            if hopByHop.contains(name) || setByProxy.contains(name) || dropped?.contains(name) == true { continue }
            headers.add(name: field.name.rawName, value: field.value)
        }
        if request.headers[.transferEncoding] != nil, request.headers[.contentLength] == nil {
            headers.add(name: "Transfer-Encoding", value: "chunked")
        }
        let client = client?.ipAddress
        let forwardedFor = request.headers[HTTPField.Name("X-Forwarded-For")!].map { prior in client.map { "\(prior), \($0)" } ?? prior } ?? client
        headers.add(name: "X-Forwarded-For", value: forwardedFor ?? "")
        headers.add(name: "X-Forwarded-Proto", value: request.headers[HTTPField.Name("X-Forwarded-Proto")!] ?? "http")
        headers.add(
            name: "X-Request-Id", value: RequestRecord.current?.requestID ?? RequestRecord.requestID(from: request.headers[HTTPField.Name("X-Request-Id")!]))
        TracePropagation.inject(into: &headers)
        let query = request.uri.query.map { "?\($0)" } ?? ""
        return HTTPRequestHead(
            version: .http1_1, method: HTTPMethod(rawValue: request.method.rawValue), uri: address.basePath + request.uri.path + query, headers: headers
        )
    }

    /// The names `Connection` header values list (lowercased), but for `keep-alive` (hop-by-hop
    /// already) and `close` (no field), or `nil` when they list no other: the usual
    /// `Connection: keep-alive` of every backend answer costs no copies.
    package static func listedInConnection(_ values: [String]) -> Set<String>? {
        var listed: Set<String>?
        for value in values {
            for token in value.split(separator: ",") {
                let name = token.trimmingOWS
                if name.isEmpty || name.equalsIgnoringASCIICase("keep-alive") || name.equalsIgnoringASCIICase("close") { continue }
                if listed == nil { listed = [] }
                listed?.insert(name.lowercased())
            }
        }
        return listed
    }

    package init(upstream: UpstreamConfiguration, pool: UpstreamConnectionPool) {
        self.upstream = upstream
        self.pool = pool
    }
}
