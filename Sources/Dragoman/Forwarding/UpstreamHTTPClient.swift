import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// One HTTP client per upstream, each with that upstream's connect timeout, owned by the
/// ``GatewayReloader``, which shuts them down with the gateway or when a reload replaces them.
/// Redirects are never followed: a gateway passes a 3xx back, it does not chase it.
struct UpstreamHTTPClients: Sendable {
    let clients: [String: HTTPClient]

    init(upstreams: [String: UpstreamConfiguration]) {
        clients = upstreams.mapValues { upstream in
            var configuration = HTTPClient.Configuration()
            configuration.redirectConfiguration = .disallow
            configuration.timeout = .init(connect: .milliseconds(Int64(upstream.connectTimeout * 1000)), read: .seconds(Int64(upstream.requestTimeout)))
            configuration.decompression = .disabled
            return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        }
    }

    func shutdown() async throws {
        for client in clients.values { try await client.shutdown() }
    }
}
