import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Proxies every path no other route matches to one upstream, unchanged: method, path, query,
/// headers and body, streamed both ways without buffering. Hop-by-hop headers are removed and
/// `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Request-Id` set. Dragoman does not
/// authenticate proxied requests; the backend sees the caller's own credentials.
struct ReverseProxy: Sendable {
    let upstream: UpstreamConfiguration
    let http: HTTPClient

    /// Headers that describe one connection, not the message (RFC 9110 §7.6.1).
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding",
        "upgrade", "host",
    ]

    /// Installs the proxy as the router's fallback: added after every route, the middleware sees
    /// only requests no route matched (Hummingbird's not-found path), whatever the method.
    func addRoutes(to router: Router<GatewayRequestContext>) {
        router.add(middleware: ProxyFallbackMiddleware(proxy: self))
    }

    func forward(_ request: Request, context: GatewayRequestContext) async -> Response {
        let target = upstream.baseURL + request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
        var outgoing = HTTPClientRequest(url: target)
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        let dropped = Self.connectionHeaders(request.headers)
        for field in request.headers where !dropped.contains(field.name.canonicalName) {
            if ["x-forwarded-for", "x-forwarded-proto", "x-request-id"].contains(field.name.canonicalName) { continue }
            outgoing.headers.add(name: field.name.rawName, value: field.value)
        }
        let forwardedFor = [request.headers[HTTPField.Name("X-Forwarded-For")!], context.remoteAddress?.ipAddress].compactMap { $0 }
        outgoing.headers.add(name: "X-Forwarded-For", value: forwardedFor.joined(separator: ", "))
        outgoing.headers.add(name: "X-Forwarded-Proto", value: request.headers[HTTPField.Name("X-Forwarded-Proto")!] ?? "http")
        outgoing.headers.add(name: "X-Request-Id", value: RequestRecord.current?.requestID ?? request.headers[HTTPField.Name("X-Request-Id")!] ?? context.id)
        TracePropagation.inject(into: &outgoing.headers)
        let upload = request.method == .get || request.method == .head ? nil : ProxiedRequestBody(request.body)
        if let upload {
            let length = request.headers[.contentLength].flatMap(Int64.init)
            outgoing.body = .stream(upload, length: length.map { .known($0) } ?? .unknown)
        }
        let record = RequestRecord.current
        record?.update { facts in
            facts.operation = "proxy"
            facts.upstream = upstream.name
        }
        let start = ContinuousClock.now
        do {
            let response = try await http.execute(outgoing, timeout: .seconds(Int64(upstream.requestTimeout)))
            let elapsed = ContinuousClock.now - start
            record?.update { facts in
                facts.upstreamStatus = Int(response.status.code)
                facts.upstreamMilliseconds = Double(elapsed.nanoseconds) / 1e6
                facts.stages[.upstream] += elapsed
                if response.status.code >= 500 { facts.upstreamError = .serverError }
            }
            var headers = HTTPFields()
            let droppedBack = Self.connectionHeaders(response.headers)
            for header in response.headers where !droppedBack.contains(header.name.lowercased()) {
                if let name = HTTPField.Name(header.name) { headers.append(HTTPField(name: name, value: header.value)) }
            }
            let length = response.headers.first(name: "content-length").flatMap(Int.init)
            // The backend's body streams through; before the response ends, the client's read
            // of the upload is closed, so Hummingbird alone reads what is left of it.
            let body = ResponseBody(contentLength: length) { writer in
                do {
                    for try await chunk in response.body { try await writer.write(chunk) }
                } catch {
                    await upload?.close()
                    throw error
                }
                await upload?.close()
                try await writer.finish(nil)
            }
            return Response(status: .init(code: Int(response.status.code)), headers: headers, body: body)
        } catch {
            await upload?.close()
            let fault = TransportFault(error)
            record?.update { $0.upstreamError = fault.kind }
            context.logger.warning("Proxy request failed", metadata: ["dragoman.upstream": "\(upstream.name)", "dragoman.fault": "\(fault)"])
            let status: HTTPResponse.Status = if case .timeout = fault { .gatewayTimeout } else { .badGateway }
            return Response(
                status: status,
                headers: [.contentType: "application/json; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"message":"The upstream \#(upstream.name) is unavailable"}"#))
            )
        }
    }

    /// Hop-by-hop names plus any the `Connection` header lists, lowercased.
    static func connectionHeaders(_ headers: HTTPFields) -> Set<String> {
        let listed = headers[values: .connection].flatMap { $0.split(separator: ",") }.map { $0.trimmingOWS.lowercased() }
        return hopByHop.union(listed)
    }

    static func connectionHeaders(_ headers: HTTPHeaders) -> Set<String> {
        let listed = headers["connection"].flatMap { $0.split(separator: ",") }.map { $0.trimmingOWS.lowercased() }
        return hopByHop.union(listed)
    }
}

/// Sends requests that no route matched to the reverse proxy instead of answering 404.
struct ProxyFallbackMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let proxy: ReverseProxy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return await proxy.forward(request, context: context)
        }
    }
}
