import DragomanCore
import DragomanDialectKit
package import DragomanStore
package import DragomanTransport
import Foundation
package import Logging

extension GatewayConfiguration {
    /// Runs `body` with a backfill from the upstream `from` to the upstream `to` of this
    /// configuration, on its store and with clients of those two upstreams only; closes both
    /// afterwards. `forget` makes the backfill start from the source list's beginning.
    package func withBackfill<T: Sendable>(
        from: String, to: String, options: BackfillOptions, forget: Bool = false, logger: Logger,
        _ body: @Sendable (Backfill) async throws -> T
    ) async throws -> T {
        for (flag, name) in [("--from", from), ("--to", to)] {
            if name == "local" {
                throw BackfillError(description: "\(flag) local: a backfill to or from the gateway's own store is not built yet; name an upstream")
            }
            guard upstreams[name] != nil else {
                let known = upstreams.keys.sorted().joined(separator: ", ")
                throw BackfillError(description: "\(flag) \(name): no such upstream in the configuration (upstreams: \(known.isEmpty ? "none" : known))")
            }
        }
        guard from != to else { throw BackfillError(description: "--from and --to name the same upstream '\(from)'") }
        let store = try await storeLocation.open(logger: logger)
        do {
            let value = try await withBackfill(from: from, to: to, options: options, forget: forget, store: store, logger: logger, body)
            try await store.close()
            return value
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// The same on an open store.
    package func withBackfill<T: Sendable>(
        from: String, to: String, options: BackfillOptions, forget: Bool = false, store: any GatewayStore, logger: Logger,
        _ body: @Sendable (Backfill) async throws -> T
    ) async throws -> T {
        guard let source = upstreams[from], let target = upstreams[to] else { throw BackfillError(description: "no such upstream") }
        let clients = try UpstreamHTTPClients(upstreams: [from: source, to: target])
        do {
            func side(_ upstream: UpstreamConfiguration) throws -> ForwardingBackend {
                guard let pool = clients.pools[upstream.name], let dialect = backendDialect(upstream.dialect) else {
                    throw BackfillError(description: "upstreams.\(upstream.name).dialect: \(upstream.dialect) cannot be a backend")
                }
                let client = UpstreamClient(configuration: upstream, pool: pool, signIn: dialect.signIn)
                return ForwardingBackend(
                    upstream: client, dialect: dialect, validator: UserValidator(fields: registry.fields), idMap: store, lostFields: .drop)
            }
            guard let sourceDialect = registry[source.dialect]?.make(dialectData) else {
                throw BackfillError(description: "upstreams.\(from).dialect: \(source.dialect) is not a known dialect")
            }
            if forget { try await store.resetBackfill(source: from, target: to) }
            let backfill = Backfill(source: try side(source), target: try side(target), sourceDialect: sourceDialect, store: store, options: options)
            let value = try await body(backfill)
            try await clients.shutdown()
            return value
        } catch {
            try? await clients.shutdown()
            throw error
        }
    }
}
