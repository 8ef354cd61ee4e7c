import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// One HTTP client per upstream, each with that upstream's connect timeout, owned by the
/// ``GatewayReloader``, which shuts them down with the gateway or when a reload replaces them.
/// Redirects are never followed: a gateway passes a 3xx back, it does not chase it. Each keeps
/// up to the upstream's `maxConnections` keep-alive connections.
struct UpstreamHTTPClients: Sendable {
    let clients: [String: HTTPClient]

    init(upstreams: [String: UpstreamConfiguration]) throws(ConfigurationError) {
        var clients: [String: HTTPClient] = [:]
        for (name, upstream) in upstreams {
            var configuration = HTTPClient.Configuration()
            if upstream.tls != UpstreamTLS() {
                do {
                    configuration.tlsConfiguration = try upstream.tls.configuration(key: "upstreams.\(name).tls.")
                } catch {
                    for client in clients.values { try? client.syncShutdown() }
                    throw error
                }
            }
            configuration.redirectConfiguration = .disallow
            configuration.timeout = .init(connect: .milliseconds(Int64(upstream.connectTimeout * 1000)), read: .seconds(Int64(upstream.requestTimeout)))
            configuration.decompression = .disabled
            // AsyncHTTPClient keeps 8 connections per host by default, so 64 concurrent
            // requests queued behind 8 exchanges; a gateway holds as many as it is asked to.
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = upstream.maxConnections
            clients[name] = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        }
        self.clients = clients
    }

    func shutdown() async throws {
        for client in clients.values { try await client.shutdown() }
    }
}
