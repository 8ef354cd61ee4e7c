import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
import Logging
import NIOSSL
public import ServiceLifecycle
import Synchronization

/// Reloads the configuration while the gateway runs: on ``reload(trigger:)`` (the CLI calls it on
/// SIGHUP) or, with a watched file, when that file changes. The new configuration is read from
/// ``source`` and checked in full, and a new router is built from it (principals, auth chains,
/// dialect modes and upstreams, the proxy, limits on bodies, throttling, idempotency, metrics
/// route); only when all of that succeeds is it swapped in, atomically. A configuration that
/// fails to load or build is refused and logged, and the old one keeps serving.
///
/// Settings that shape the listener or the store (`server.host`, `server.port`, the connection
/// limits, `store.*`, `log.level`, `log.format`, `server.shutdownGrace`, `tracing.exporter`)
/// take effect at the next start; a reload that changes them says so in the log.
///
/// The upstream HTTP clients of the old configuration are shut down once every request that
/// may still use them has had its upstream timeout; the reloader owns them as a service.
public final class GatewayReloader: Service, Sendable {
    /// Reads the configuration again (the file, the environment, the command line).
    let source: @Sendable () throws -> GatewayConfiguration
    /// The file to watch for changes, and how often to look; `nil` watches nothing.
    let watchPath: String?
    let watchInterval: Duration
    private let state = Mutex<State?>(nil)
    private let retired = AsyncStream<Retired>.makeStream()

    /// What a reload did.
    public enum Outcome: Sendable, Equatable {
        /// The new configuration serves; these keys changed but need a restart.
        case applied(needsRestart: [String])
        /// The new configuration was refused; the old one serves.
        case refused(String)
    }

    /// What the reloader swaps, set by `buildApplication`.
    struct State {
        var configuration: GatewayConfiguration
        var clients: UpstreamHTTPClients
        let responder: SwappableResponder
        /// The listener's TLS context, when it listens for HTTPS.
        let certificates: TLSContextBox?
        let build: @Sendable (GatewayConfiguration) throws -> BuiltRouter
        let logger: Logger
        var lastModified: Date?
    }

    /// Old upstream clients and when they may be shut down.
    private struct Retired: Sendable {
        let clients: UpstreamHTTPClients
        let after: Duration
    }

    public init(watchPath: String? = nil, watchInterval: Duration = .seconds(2), source: @escaping @Sendable () throws -> GatewayConfiguration) {
        self.source = source
        self.watchPath = watchPath
        self.watchInterval = watchInterval
    }

    func attach(
        configuration: GatewayConfiguration,
        built: BuiltRouter,
        responder: SwappableResponder,
        certificates: TLSContextBox?,
        logger: Logger,
        build: @escaping @Sendable (GatewayConfiguration) throws -> BuiltRouter
    ) {
        state.withLock {
            $0 = State(
                configuration: configuration, clients: built.clients, responder: responder, certificates: certificates, build: build, logger: logger,
                lastModified: Self.modified(watchPath)
            )
        }
    }

    /// Reads, checks and builds the configuration, and swaps it in if all of that succeeds.
    @discardableResult
    public func reload(trigger: String) async -> Outcome {
        guard let current = state.withLock({ $0 }) else { return .refused("the gateway is not running") }
        let logger = current.logger
        let next: GatewayConfiguration
        let built: BuiltRouter
        let context: NIOSSLContext?
        do {
            next = try source()
            // The listener's certificate and key are read again (a renewed certificate); whether
            // it listens for HTTPS at all is decided at start.
            context = try next.tls.flatMap { tls throws(ConfigurationError) in current.certificates == nil ? nil : try tls.context() }
            built = try current.build(next)
        } catch {
            let reason = "\(error)"
            logger.error(
                "Configuration reload refused; the running configuration keeps serving",
                metadata: ["dragoman.reload.trigger": "\(trigger)", "dragoman.reload.error": "\(reason)"])
            return .refused(reason)
        }
        // One lock around the whole swap, so that two reloads at once (a signal and the file
        // watch) cannot leave the router of one serving with the clients the other retired.
        let previous = state.withLock { state -> GatewayConfiguration? in
            guard let running = state else { return nil }
            state?.configuration = next
            state?.clients = built.clients
            running.responder.swap(to: built.responder)
            built.activate()
            if let context { running.certificates?.replace(with: context) }
            let wait = running.configuration.upstreams.values.map { $0.connectTimeout + $0.requestTimeout * 2 }.max() ?? 0
            retired.continuation.yield(Retired(clients: running.clients, after: .seconds(wait + 5)))
            return running.configuration
        }
        guard let previous else {
            try? await built.clients.shutdown()
            return .refused("the gateway has stopped")
        }
        let restart = Self.needsRestart(from: previous, to: next)
        logger.notice(
            "Configuration reloaded",
            metadata: ["dragoman.reload.trigger": "\(trigger)", "dragoman.reload.needsRestart": "\(restart.joined(separator: ","))"]
        )
        next.warnIfNobodyCanSignIn(logger: logger)
        return .applied(needsRestart: restart)
    }

    /// The keys that changed but take effect only at the next start.
    static func needsRestart(from old: GatewayConfiguration, to new: GatewayConfiguration) -> [String] {
        var keys: [String] = []
        if old.host != new.host { keys.append("server.host") }
        if old.port != new.port { keys.append("server.port") }
        if old.connectionLimits != new.connectionLimits { keys.append("server (connection limits)") }
        if old.storeLocation != new.storeLocation { keys.append("store") }
        if old.logLevel != new.logLevel { keys.append("log.level") }
        if old.logFormat != new.logFormat { keys.append("log.format") }
        if old.shutdownGrace != new.shutdownGrace { keys.append("server.shutdownGrace") }
        if old.tracingExporter != new.tracingExporter { keys.append("tracing.exporter") }
        if (old.tls == nil) != (new.tls == nil) || old.tls?.http2 != new.tls?.http2 { keys.append("server.tls") }
        if old.enabledDialects.map(\.id) != new.enabledDialects.map(\.id) { keys.append("dialects (answers refused before routing)") }
        return keys
    }

    /// Watches the file (when one is named), retires old upstream clients, and at shutdown
    /// closes the current ones.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.retireOldClients() }
            if watchPath != nil { group.addTask { await self.watch() } }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        retired.continuation.finish()
        if let clients = state.withLock({ $0?.clients }) { try? await clients.shutdown() }
    }

    private func retireOldClients() async {
        await withDiscardingTaskGroup { group in
            for await old in retired.stream {
                group.addTask {
                    try? await Task.sleep(for: old.after)
                    try? await old.clients.shutdown()
                }
            }
        }
    }

    private func watch() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: watchInterval)
            let modified = Self.modified(watchPath)
            let changed = state.withLock { state -> Bool in
                guard let known = state?.lastModified, let modified else { return false }
                if modified != known {
                    state?.lastModified = modified
                    return true
                }
                return false
            }
            if changed { await reload(trigger: "file") }
        }
    }

    private static func modified(_ path: String?) -> Date? {
        guard let path else { return nil }
        return (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}
