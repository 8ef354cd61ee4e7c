import Foundation
// swift-tools-version:6.2
import PackageDescription

/// `DRAGOMAN_FUZZ=1` (set by `scripts/fuzz`) builds the libFuzzer targets: the core and the
/// gateway are compiled with coverage instrumentation and `dragoman-fuzz` is added. Without it
/// nothing changes, so ordinary builds and the tests do not pay for fuzzing.
let fuzzing = ProcessInfo.processInfo.environment["DRAGOMAN_FUZZ"] == "1"
let fuzzFlags: [SwiftSetting] = fuzzing ? [.unsafeFlags(["-sanitize=fuzzer"])] : []

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
]

let testSwiftSettings: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

/// What a vendor dialect's target may depend on.
let dialectDependencies: [Target.Dependency] = [
    "DragomanCore",
    "DragomanDialectKit",
    .product(name: "HTTPTypes", package: "swift-http-types"),
    .product(name: "Logging", package: "swift-log"),
]

let package = Package(
    name: "dragoman",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dragoman", targets: ["DragomanCLI"]),
        .executable(name: "dragoman-benchmark", targets: ["DragomanBenchmark"]),
    ],
    // `swift build --traits OTel` adds the OpenTelemetry (OTLP) span exporter to `dragoman`
    // (`tracing.exporter: otlp`); the default build does not compile swift-otel (minutes).
    traits: [
        .trait(name: "OTel", description: "OpenTelemetry span export (tracing.exporter: otlp) through swift-otel")
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-otel/swift-w3c-trace-context.git", from: "1.0.0"),
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0"),
    ],
    targets: [
        // The system's SQLite (`libsqlite3-dev` on Debian), owned as a system library target so the
        // store depends on no package's internal module (sqlite-nio's C target is not a product).
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),
        // The canonical user model, its validation and the create/read service: no HTTP, no vendor field names.
        .target(
            name: "DragomanCore",
            dependencies: [],
            swiftSettings: swiftSettings + fuzzFlags
        ),
        // The dialect kit: what a dialect implements (UserDialect, BackendDialect, its registration)
        // and what it may use (wire helpers, the strict JSON parser and writer, failures, its own
        // routes and login through narrow protocols). No server, store or upstream client.
        .target(
            name: "DragomanDialectKit",
            dependencies: [
                "DragomanCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings + fuzzFlags
        ),
        // One target per dialect (each vendor's, and SCIM's): each depends on the core and the dialect kit only (and
        // the vocabulary types those speak: HTTP types and a logger).
        .target(name: "DragomanVoltMX", dependencies: dialectDependencies, swiftSettings: swiftSettings + fuzzFlags),
        .target(name: "DragomanTelness", dependencies: dialectDependencies, swiftSettings: swiftSettings + fuzzFlags),
        .target(name: "DragomanCCC", dependencies: dialectDependencies, swiftSettings: swiftSettings + fuzzFlags),
        .target(name: "DragomanSCIM", dependencies: dialectDependencies, swiftSettings: swiftSettings + fuzzFlags),
        // The store: users, sessions, the id map and idempotency records, in SQLite (the system's,
        // one writer thread committing in groups) or PostgreSQL; no HTTP, no dialect.
        .target(
            name: "DragomanStore",
            dependencies: [
                "DragomanCore",
                "DragomanDialectKit",
                "CSQLite",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings + fuzzFlags
        ),
        // Transport and forwarding: the guarded HTTP/1 and TLS listeners (connection limits and
        // timeouts), the upstream pool and its exchanges, the forwarding backend that speaks a
        // backend's dialect, the reverse proxy, and what travels with each request (its record,
        // id and trace context). Knows no vendor and no gateway configuration.
        .target(
            name: "DragomanTransport",
            dependencies: [
                "DragomanCore",
                "DragomanDialectKit",
                "DragomanStore",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
            ],
            swiftSettings: swiftSettings + fuzzFlags
        ),
        // The assembled gateway: the HTTP pipeline, auth, configuration and reload, metrics and
        // logs, and the shipped dialects' registry.
        .target(
            name: "Dragoman",
            dependencies: [
                "DragomanCore",
                "DragomanDialectKit",
                "DragomanVoltMX",
                "DragomanTelness",
                "DragomanCCC",
                "DragomanSCIM",
                "DragomanStore",
                "DragomanTransport",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
            ],
            swiftSettings: swiftSettings + fuzzFlags
        ),
        // The `dragoman` command.
        .executableTarget(
            name: "DragomanCLI",
            dependencies: [
                "Dragoman",
                "DragomanCore",
                "DragomanStore",
                "DragomanDialectKit",
                "DragomanTransport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel", condition: .when(traits: ["OTel"])),
            ],
            swiftSettings: swiftSettings
        ),
        // Throughput, latency and memory figures: `swift run -c release dragoman-benchmark`.
        .executableTarget(
            name: "DragomanBenchmark",
            dependencies: [
                "Dragoman",
                "DragomanStore",
                "DragomanCore",
                "DragomanDialectKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "DragomanCoreTests",
            dependencies: ["DragomanCore"],
            swiftSettings: testSwiftSettings
        ),
        // The transport's state machines and handlers on their own: EmbeddedChannel and a
        // clock moved by hand, no gateway, no socket.
        .testTarget(
            name: "DragomanTransportTests",
            dependencies: [
                "DragomanTransport",
                "DragomanDialectKit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: testSwiftSettings
        ),
        .testTarget(
            name: "DragomanTests",
            dependencies: [
                "Dragoman",
                "DragomanStore",
                "DragomanCore",
                "DragomanDialectKit",
                "DragomanVoltMX",
                "DragomanTelness",
                "DragomanCCC",
                "DragomanSCIM",
                "DragomanTransport",
                // Built so that the crash test can run the real `dragoman` process.
                "DragomanCLI",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                // Certificates made at test time for the TLS tests (already built for the gateway's own dependencies).
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
            ],
            swiftSettings: testSwiftSettings
        ),
        // A dialect of one's own, from outside the gateway's targets: the fifth-dialect test
        // uses only the public and package API (no @testable), as CONTRIBUTING.md walks through.
        .testTarget(
            name: "DragomanExtensionTests",
            dependencies: [
                "Dragoman",
                "DragomanStore",
                "DragomanCore",
                "DragomanDialectKit",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: testSwiftSettings
        ),
    ]
)

if fuzzing {
    package.products.append(.executable(name: "dragoman-fuzz", targets: ["DragomanFuzz"]))
    package.targets.append(
        // libFuzzer targets for every parser a client or operator reaches: `scripts/fuzz`.
        .executableTarget(
            name: "DragomanFuzz",
            dependencies: [
                "Dragoman", "DragomanCore", "DragomanDialectKit", "DragomanStore", "DragomanTransport", "DragomanVoltMX", "DragomanTelness", "DragomanCCC",
            ],
            swiftSettings: testSwiftSettings + [.unsafeFlags(["-sanitize=fuzzer", "-parse-as-library"])],
            // libFuzzer without its `main`: SwiftPM names the executable's entry point itself,
            // and `DragomanFuzz_main` hands over to libFuzzer's driver.
            linkerSettings: [.unsafeFlags([ProcessInfo.processInfo.environment["DRAGOMAN_FUZZ_RUNTIME"] ?? "", "-lstdc++"])]
        )
    )
}
