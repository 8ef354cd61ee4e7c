import ArgumentParser
import Dragoman
import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
import Hummingbird
import HummingbirdBcrypt
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Tracing
import UnixSignals

#if OTel
    import OTel
#endif

/// The `dragoman` command.
@main
struct DragomanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dragoman",
        abstract: "A dialect-translating API gateway for create-user APIs.",
        subcommands: [Serve.self, CheckConfig.self, HashPassword.self, NewAPIKey.self, BackfillCommand.self, ReconcileCommand.self],
        defaultSubcommand: Serve.self
    )
}

/// `dragoman serve`: runs the gateway.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway.")

    @Option(name: .long, help: "The configuration file (default: config/dragoman.yaml, or $DRAGOMAN_CONFIG).")
    var config: String?

    @Option(name: .long, help: "The address to listen on.")
    var host: String?

    @Option(name: .long, help: "The port to listen on.")
    var port: Int?

    @Option(name: .long, help: "The SQLite file to store users in.")
    var storePath: String?

    @Option(name: .long, help: "A postgres:// URL: store in PostgreSQL instead, shared with other instances.")
    var storeURL: String?

    @Flag(name: .long, help: "Reload the configuration when its file changes (checked every 2 s), as on SIGHUP.")
    var watchConfig = false

    func run() async throws {
        HeapTuning.apply(environment: ProcessInfo.processInfo.environment)
        var overrides: [String: String] = [:]
        if let host { overrides["server.host"] = host }
        if let port { overrides["server.port"] = String(port) }
        if let storePath { overrides["store.sqlite.path"] = storePath }
        if let storeURL { overrides["store.url"] = storeURL }
        let configuration: GatewayConfiguration
        do {
            configuration = try GatewayConfiguration.load(path: config, overrides: overrides)
        } catch {
            FileHandle.standardError.write(Data("dragoman: \(error)\n".utf8))
            throw ExitCode(78)
        }
        // Bind once before opening the store, so a busy or foreign address is one clear line.
        do {
            let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .bind(host: configuration.host, port: configuration.port).get()
            try await probe.close()
        } catch {
            throw Self.cannotListen(configuration, error)
        }
        switch configuration.logFormat {
        case .json: LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
        case .text: LoggingSystem.bootstrap(StreamLogHandler.standardOutput)
        }
        var logger = Logger(label: "dragoman")
        logger.logLevel = configuration.logLevel
        let (tracer, tracing) = try Self.tracing(configuration)
        // SIGHUP (and with --watch-config a change of the file) reads the configuration again,
        // from the same file, environment and flags; a bad one is refused and logged.
        let file = config ?? ProcessInfo.processInfo.environment["DRAGOMAN_CONFIG"] ?? GatewayConfiguration.defaultPath
        let reloader = GatewayReloader(watchPath: watchConfig ? file : nil) { [config, overrides] in
            try GatewayConfiguration.load(path: config, overrides: overrides)
        }
        let app: any ApplicationProtocol
        let listening = ListeningFlag()
        let lifecycle = GatewayLifecycle()
        do {
            app = try await buildApplication(
                configuration: configuration,
                logger: logger,
                lifecycle: lifecycle,
                tracer: tracer,
                reloader: reloader,
                onServerRunning: { _ in await listening.set() }
            )
        } catch let error as StoreUnavailable {
            FileHandle.standardError.write(Data("dragoman: \(error)\n".utf8))
            throw ExitCode(error.exitCode)
        }
        // SIGTERM or SIGINT: readiness turns 503 first (the drain signal runs last, so it hears
        // first), then the server stops accepting and in-flight requests get `shutdownGrace`
        // seconds to finish before the rest is cancelled; the upstream pool and the store close
        // after the server.
        var group = ServiceGroupConfiguration(
            // Services stop in reverse order: the exporter last, so the final spans are sent.
            services: (tracing.map { [.init(service: $0)] } ?? []) + [
                .init(service: app), .init(service: lifecycle.drainSignal), .init(service: ReloadSignal(reloader: reloader)),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        group.maximumGracefulShutdownDuration = .milliseconds(Int64(configuration.shutdownGrace * 1000))
        group.maximumCancellationDuration = .seconds(5)
        do {
            try await ServiceGroup(configuration: group).run()
        } catch {
            // A failure before the server listened is a failure to bind its address.
            guard await !listening.isSet else { throw error }
            throw Self.cannotListen(configuration, error)
        }
    }

    /// The tracer for `tracing.exporter`, and the exporter's service; `nil` for `none`.
    static func tracing(_ configuration: GatewayConfiguration) throws -> ((any Tracer)?, (any Service)?) {
        switch configuration.tracingExporter {
        case .none:
            return (nil, nil)
        case .otlp:
            #if OTel
                var otel = OTel.Configuration.default
                otel.serviceName = "dragoman"
                otel.logs.enabled = false
                otel.metrics.enabled = false
                otel.traces.enabled = true
                do {
                    let service = try OTel.bootstrap(configuration: otel)
                    return (InstrumentationSystem.tracer, service)
                } catch {
                    FileHandle.standardError.write(Data("dragoman: tracing.exporter: \(error)\n".utf8))
                    throw ExitCode(78)
                }
            #else
                let message = "dragoman: configuration error: tracing.exporter: otlp needs the OpenTelemetry build (swift build -c release --traits OTel)\n"
                FileHandle.standardError.write(Data(message.utf8))
                throw ExitCode(78)
            #endif
        }
    }

    /// Says that the address cannot be bound, and why, in one line; exit 71 (EX_OSERR).
    static func cannotListen(_ configuration: GatewayConfiguration, _ error: any Error) -> ExitCode {
        let cause = (error as? IOError).map { String(cString: strerror($0.errnoCode)) } ?? String(describing: error)
        let message = "dragoman: server.host/server.port: cannot listen on \(configuration.host):\(configuration.port): \(cause)\n"
        FileHandle.standardError.write(Data(message.utf8))
        return ExitCode(71)
    }
}

/// `dragoman check-config [PATH]`: reads the configuration as `serve` would (the file, then
/// `DRAGOMAN_…` variables) and reports every problem, one per line with its key (each key of
/// `server`, `log`, `idempotency` and `metrics` on its own; the first problem of each other
/// section, of the upstreams and of each dialect); exit 0 when it is usable, 78 (EX_CONFIG) when not. Opens no store and binds no port.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a configuration file (and the DRAGOMAN_ environment) without starting."
    )

    @Argument(help: "The configuration file (default: config/dragoman.yaml, or $DRAGOMAN_CONFIG).")
    var path: String?

    func run() throws {
        do {
            let configuration = try GatewayConfiguration.load(path: path)
            let dialects = DialectRegistry.standard.ids.filter { configuration.dialects[$0]?.enabled ?? true }.map(\.rawValue).joined(separator: ", ")
            print(
                "configuration OK: listening on \(configuration.host):\(configuration.port), dialects \(dialects), \(configuration.upstreams.count) upstream(s)"
            )
        } catch {
            for problem in error.all { FileHandle.standardError.write(Data("\(problem.key): \(problem.problem)\n".utf8)) }
            throw ExitCode(78)
        }
    }
}

/// Whether the server got as far as listening.
actor ListeningFlag {
    private(set) var isSet = false
    func set() { isSet = true }
}

/// `dragoman hash-password`: prints the bcrypt hash of a password read from standard input.
struct HashPassword: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the bcrypt hash of a password read from standard input.")

    @Option(name: .long, help: "The bcrypt cost (4-31).")
    var cost: UInt8 = 12

    func run() throws {
        guard (4...31).contains(cost) else { throw ValidationError("--cost must be from 4 to 31") }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw ValidationError("no password on standard input") }
        guard line.utf8.count <= 72 else { throw ValidationError("bcrypt reads at most 72 bytes; use a shorter password") }
        print(Bcrypt.hash(line, cost: cost))
    }
}

/// `dragoman new-api-key`: makes a new API key. The key is shown once; its digest goes in the
/// configuration.
struct NewAPIKey: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Make a new API key and print it with the digest to store.")

    func run() throws {
        let (key, digest) = APIKey.generate()
        print("API key (shown once, give it to the caller): \(key)")
        print("SHA-256 digest (put it under principals.<name>.apiKeys): \(digest)")
    }
}

/// Calls the reloader on every SIGHUP until the gateway stops.
struct ReloadSignal: Service {
    let reloader: GatewayReloader

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in signals { await reloader.reload(trigger: "SIGHUP") }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }
}
