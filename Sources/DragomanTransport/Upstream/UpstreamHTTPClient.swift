package import DragomanDialectKit
import DragomanStore
import Foundation
import Logging
import NIOCore

/// One connection pool per upstream, with that upstream's connect timeout and TLS, owned by
/// the ``GatewayReloader``, which shuts them down with the gateway or when a reload replaces
/// them. The forwarding routes make whole-body exchanges through it, the reverse proxy
/// streaming ones. Redirects are never followed: a gateway passes a 3xx back, it does not chase
/// it. Each keeps up to the upstream's `maxConnections` keep-alive connections.
package struct UpstreamHTTPClients: Sendable {
    package let pools: [String: UpstreamConnectionPool]

    package init(upstreams: [String: UpstreamConfiguration]) throws(ConfigurationError) {
        var pools: [String: UpstreamConnectionPool] = [:]
        for (name, upstream) in upstreams {
            let tls = upstream.tls != UpstreamTLS() ? try upstream.tls.configuration(key: "upstreams.\(name).tls.") : nil
            guard let address = UpstreamAddress(baseURL: upstream.baseURL) else {
                throw ConfigurationError(key: "upstreams.\(name).baseURL", problem: "must be an http:// or https:// URL, not '\(upstream.baseURL)'")
            }
            do {
                pools[name] = try UpstreamConnectionPool(
                    address: address,
                    tls: tls,
                    connectTimeout: .milliseconds(Int64(upstream.connectTimeout * 1000)),
                    maxConnections: upstream.maxConnections,
                    maxBodyBytes: UpstreamClient.maxBodyBytes
                )
            } catch {
                throw ConfigurationError(key: "upstreams.\(name).tls", problem: "cannot be used: \(error)")
            }
        }
        self.pools = pools
    }

    package func shutdown() async throws {
        for pool in pools.values { await pool.shutdown() }
    }

    package init(pools: [String: UpstreamConnectionPool]) {
        self.pools = pools
    }
}
