import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// One HTTP client (for the reverse proxy) and one connection pool (for the forwarding routes)
/// per upstream, each with that upstream's connect timeout, owned by the ``GatewayReloader``,
/// which shuts them down with the gateway or when a reload replaces them.
/// Redirects are never followed: a gateway passes a 3xx back, it does not chase it. Each keeps
/// up to the upstream's `maxConnections` keep-alive connections.
struct UpstreamHTTPClients: Sendable {
    /// The reverse proxy's clients (streaming).
    let clients: [String: HTTPClient]
    /// The forwarding routes' connection pools (whole-body exchanges).
    let pools: [String: UpstreamConnectionPool]

    init(upstreams: [String: UpstreamConfiguration]) throws(ConfigurationError) {
        var clients: [String: HTTPClient] = [:]
        var pools: [String: UpstreamConnectionPool] = [:]
        for (name, upstream) in upstreams {
            var configuration = HTTPClient.Configuration()
            do throws(ConfigurationError) {
                if upstream.tls != UpstreamTLS() {
                    configuration.tlsConfiguration = try upstream.tls.configuration(key: "upstreams.\(name).tls.")
                }
                guard let address = UpstreamAddress(baseURL: upstream.baseURL) else {
                    throw ConfigurationError(key: "upstreams.\(name).baseURL", problem: "must be an http:// or https:// URL, not '\(upstream.baseURL)'")
                }
                do {
                    pools[name] = try UpstreamConnectionPool(
                        address: address,
                        tls: configuration.tlsConfiguration,
                        connectTimeout: .milliseconds(Int64(upstream.connectTimeout * 1000)),
                        maxConnections: upstream.maxConnections,
                        maxBodyBytes: UpstreamClient.maxBodyBytes
                    )
                } catch {
                    throw ConfigurationError(key: "upstreams.\(name).tls", problem: "cannot be used: \(error)")
                }
            } catch {
                for client in clients.values { try? client.syncShutdown() }
                throw error
            }
            configuration.redirectConfiguration = .disallow
            configuration.timeout = .init(connect: .milliseconds(Int64(upstream.connectTimeout * 1000)), read: .seconds(Int64(upstream.requestTimeout)))
            configuration.decompression = .disabled
            // Dragoman traces the upstream stage itself (its `dragoman.upstream` client span, the
            // caller's trace context injected by hand); AsyncHTTPClient's own span would be a
            // second client span for the same exchange, and costs ~2 % of a forwarded create
            // even when no tracer is bootstrapped (it starts a no-op span with its attributes).
            configuration.tracing.tracer = nil
            // AsyncHTTPClient keeps 8 connections per host by default, so 64 concurrent
            // requests queued behind 8 exchanges; a gateway holds as many as it is asked to.
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = upstream.maxConnections
            clients[name] = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        }
        self.clients = clients
        self.pools = pools
    }

    func shutdown() async throws {
        for pool in pools.values { await pool.shutdown() }
        for client in clients.values { try await client.shutdown() }
    }
}
