package import DragomanCore
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
        try await withSides(from, to, flags: ("--from", "--to"), logger: logger) { source, target, sourceDialect, store in
            if forget { try await store.resetBackfill(source: from, target: to) }
            return try await body(Backfill(source: source, target: target, sourceDialect: sourceDialect, store: store, options: options))
        }
    }

    /// Runs `body` with a reconciliation of the upstreams `a` and `b`, skipping the canonical
    /// fields `ignore`.
    package func withReconcile<T: Sendable>(a: String, b: String, ignore: [String], logger: Logger, _ body: @Sendable (Reconcile) async throws -> T)
        async throws -> T
    {
        var ignored: Set<UserField> = []
        for name in ignore {
            guard let field = registry.fields.field(named: name) else {
                throw BackfillError(description: "--ignore \(name): not a canonical field (\(registry.fields.fields.map(\.rawValue).joined(separator: ", ")))")
            }
            ignored.insert(field)
        }
        return try await withSides(a, b, flags: ("--a", "--b"), logger: logger) { [ignored] sideA, sideB, dialectA, store in
            try await body(Reconcile(a: sideA, b: sideB, aDialect: dialectA, store: store, ignore: ignored))
        }
    }

    /// Opens the store and the two upstreams' clients, runs `body` with both sides, closes them.
    private func withSides<T: Sendable>(
        _ from: String, _ to: String, flags: (String, String), logger: Logger,
        _ body: @Sendable (ForwardingBackend, ForwardingBackend, any UserDialect, any GatewayStore) async throws -> T
    ) async throws -> T {
        for (flag, name) in [(flags.0, from), (flags.1, to)] {
            if name == "local" {
                throw BackfillError(description: "\(flag) local: a backfill to or from the gateway's own store is not built yet; name an upstream")
            }
            guard upstreams[name] != nil else {
                let known = upstreams.keys.sorted().joined(separator: ", ")
                throw BackfillError(description: "\(flag) \(name): no such upstream in the configuration (upstreams: \(known.isEmpty ? "none" : known))")
            }
        }
        guard from != to else { throw BackfillError(description: "\(flags.0) and \(flags.1) name the same upstream '\(from)'") }
        let store = try await storeLocation.open(logger: logger)
        do {
            let value = try await withSides(from, to, store: store, body)
            try await store.close()
            return value
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// The same on an open store.
    private func withSides<T: Sendable>(
        _ from: String, _ to: String, store: any GatewayStore,
        _ body: @Sendable (ForwardingBackend, ForwardingBackend, any UserDialect, any GatewayStore) async throws -> T
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
            let value = try await body(try side(source), try side(target), sourceDialect, store)
            try await clients.shutdown()
            return value
        } catch {
            try? await clients.shutdown()
            throw error
        }
    }
}
