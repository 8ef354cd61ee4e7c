import DragomanCore
import DragomanTransport
import Foundation
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// Reading the configuration: the shipped defaults, the file, the environment and the flags in
/// their order, every problem reported with its key, and the operations settings.
@Suite struct ConfigurationTests {
    static func file(_ yaml: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static var shippedConfig: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("config/dragoman.yaml").path
    }

    @Test func shippedDefaultsMountEveryDialectLocallyOnLoopback() throws {
        let configuration = try GatewayConfiguration.load(path: Self.shippedConfig, environment: [:])
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.bodyLimit == 1_048_576)
        #expect(configuration.storePath == "./data/dragoman.sqlite")
        #expect(configuration.enabledDialects.map(\.id) == DialectRegistry.standard.ids)
        #expect(configuration.dialects.values.allSatisfy { $0.mode == .local })
    }

    @Test func environmentOverridesTheFileAndFlagsOverrideTheEnvironment() throws {
        let path = try Self.file("server:\n  port: 9000\n")
        let environment = ["DRAGOMAN_SERVER__PORT": "9100", "DRAGOMAN_SERVER__HOST": "0.0.0.0", "DRAGOMAN_SECURITY__BCRYPTCOST": "5"]
        let fromEnvironment = try GatewayConfiguration.load(path: path, environment: environment)
        #expect(fromEnvironment.port == 9100)
        #expect(fromEnvironment.host == "0.0.0.0")
        #expect(fromEnvironment.bcryptCost == 5)
        let fromFlags = try GatewayConfiguration.load(path: path, environment: environment, overrides: ["server.port": "9200"])
        #expect(fromFlags.port == 9200)
    }

    @Test func environmentReachesDialectSettings() throws {
        let path = try Self.file("dialects:\n  voltmx-audience:\n    reconciliationKey: email\n")
        let configuration = try GatewayConfiguration.load(
            path: path,
            environment: ["DRAGOMAN_DIALECTS__VOLTMX_AUDIENCE__RECONCILIATIONKEY": "mobileNumber", "DRAGOMAN_DIALECTS__TELNESS_CONNECT__ENABLED": "false"]
        )
        #expect(configuration.dialectData[VoltMXAudienceDialect.ReconciliationKey.self] == .mobileNumber)
        #expect(!configuration.enabledDialects.contains { $0.id == .telnessConnect })
    }

    @Test func environmentSetsCamelCaseKeysTheFileLeavesOut() throws {
        let path = try Self.file("server:\n  port: 9000\n")
        let environment = ["DRAGOMAN_SERVER__BODYLIMIT": "2048", "DRAGOMAN_IDEMPOTENCY__TTL": "60", "DRAGOMAN_AUTH__THROTTLE__MAXFAILURES": "3"]
        let configuration = try GatewayConfiguration.load(path: path, environment: environment)
        #expect(configuration.bodyLimit == 2048)
        #expect(configuration.idempotencyTTL == 60)
        #expect(configuration.throttleMaxFailures == 3)
    }

    @Test func keysDifferingOnlyInCaseAreRefused() throws {
        let path = try Self.file("server:\n  bodyLimit: 10\n  bodylimit: 20\n")
        #expect {
            try GatewayConfiguration.load(path: path, environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.key == "server.bodylimit"
        }
    }

    @Test func aPostgresURLFromTheEnvironmentChoosesPostgreSQL() throws {
        let path = try Self.file("store:\n  sqlite:\n    path: ./x.sqlite\n")
        #expect(try GatewayConfiguration.load(path: path, environment: [:]).storeLocation == .sqlite(path: "./x.sqlite"))
        let environment = ["DRAGOMAN_STORE__URL": "postgres://gw:secret@db:5433/users?schema=gw"]
        let configuration = try GatewayConfiguration.load(path: path, environment: environment)
        guard case .postgres(let location) = configuration.storeLocation else {
            Issue.record("not PostgreSQL")
            return
        }
        #expect(location.host == "db")
        #expect(location.port == 5433)
        #expect(location.schema == "gw")
    }

    @Test func timeoutsAndConnectionCapsAreConfigurable() throws {
        let path = try Self.file(
            "server:\n  headerTimeout: 2.5\n  bodyTimeout: 3\n  requestTimeout: 20\n  idleTimeout: 0.5\n  sendTimeout: 7\n  lingerTimeout: 1\n"
                + "  maxConnections: 100\n  maxConnectionsPerClient: 10\n  maxRequestLineBytes: 4096\n  maxHeaderBytes: 16384\n  maxHeaderCount: 50\n"
                + "auth:\n  throttle:\n    maxBackoff: 60\n"
        )
        let configuration = try GatewayConfiguration.load(path: path, environment: [:])
        let limits = configuration.connectionLimits
        #expect(limits.headerTimeout == .milliseconds(2500))
        #expect(limits.bodyTimeout == .seconds(3))
        #expect(limits.requestTimeout == .seconds(20))
        #expect(limits.idleTimeout == .milliseconds(500))
        #expect(limits.sendTimeout == .seconds(7))
        #expect(limits.lingerTimeout == .seconds(1))
        #expect(limits.maxConnections == 100)
        #expect(limits.maxConnectionsPerClient == 10)
        #expect(limits.maxRequestLineBytes == 4096)
        #expect(limits.maxHeaderBytes == 16384)
        #expect(limits.maxHeaderCount == 50)
        #expect(configuration.throttleMaxBackoff == 60)
    }

    @Test(arguments: [
        ("headerTimeout", "0"), ("bodyTimeout", "soon"), ("maxConnections", "0"), ("maxConnectionsPerClient", "-1"),
        ("maxHeaderCount", "1"), ("maxRequestLineBytes", "10"),
    ])
    func badLimitsAreRefusedNamingTheKey(key: String, value: String) throws {
        #expect {
            try GatewayConfiguration.load(path: try Self.file("server:\n  \(key): \(value)\n"), environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.key == "server.\(key)"
        }
    }

    @Test func idempotencyRetentionAndLeaseAreConfigurable() throws {
        let path = try Self.file("idempotency:\n  ttl: 3600\n  lease: 30\n")
        let configuration = try GatewayConfiguration.load(path: path, environment: [:])
        #expect(configuration.idempotencyTTL == 3600)
        #expect(configuration.idempotencyLease == 30)
        #expect(GatewayConfiguration().idempotencyTTL == 24 * 3600)
    }

    @Test func theScriptsOwnVariablesAreNotReadAsKeys() throws {
        let path = try Self.file("server:\n  port: 7000\n")
        let environment = [
            "DRAGOMAN_TEST_POSTGRES_URL": "postgres://a@b/c", "DRAGOMAN_FUZZ_SECONDS": "0", "DRAGOMAN_FUZZ": "1",
            "DRAGOMAN_BENCH_STORE_URL": "postgres://a@b/c", "DRAGOMAN_SERVER__PORT": "7001",
        ]
        #expect(try GatewayConfiguration.load(path: path, environment: environment).port == 7001)
    }

    @Test func anUnknownDragomanVariableIsStillRefused() throws {
        let path = try Self.file("server:\n  port: 7000\n")
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.load(path: path, environment: ["DRAGOMAN_SEVRER__PORT": "7001"])
        }
    }

    @Test func configEnvironmentVariableNamesTheFile() throws {
        let path = try Self.file("server:\n  port: 7000\n")
        #expect(try GatewayConfiguration.load(environment: ["DRAGOMAN_CONFIG": path]).port == 7000)
    }

    @Test(arguments: [
        ("server:\n  port: eighty\n", "server.port"),
        ("server:\n  port: 70000\n", "server.port"),
        ("server:\n  prot: 80\n", "server.prot"),
        ("dialects:\n  voltmx-audiense: {}\n", "dialects.voltmx-audiense"),
        ("dialects:\n  voltmx-audience:\n    reconciliationKey: phone\n", "dialects.voltmx-audience.reconciliationKey"),
        ("dialects:\n  telness-connect:\n    mode: forward\n", "dialects.telness-connect.upstream"),
        ("dialects:\n  telness-connect:\n    mode: forward\n    upstream: nowhere\n", "dialects.telness-connect.upstream"),
        ("upstreams:\n  a:\n    dialect: telness-connect\n", "upstreams.a.baseURL"),
        ("upstreams:\n  a:\n    baseURL: ftp://x\n    dialect: telness-connect\n", "upstreams.a.baseURL"),
        ("upstreams:\n  a:\n    baseURL: 'http://:8080'\n    dialect: telness-connect\n", "upstreams.a.baseURL"),
        ("upstreams:\n  a:\n    baseURL: http://x\n    dialect: soap\n", "upstreams.a.dialect"),
        ("upstreams:\n  a:\n    baseURL: http://x\n    dialect: telness-connect\n    auth:\n      scheme: basic\n", "upstreams.a.auth.user"),
        (
            "upstreams:\n  a:\n    baseURL: http://x\n    dialect: telness-connect\n    defaults:\n      permissionIds: [x]\n",
            "upstreams.a.defaults.permissionIds"
        ),
        ("proxy:\n  upstream: nowhere\n", "proxy.upstream"),
        ("dialects:\n  telness-connect:\n    enabled: maybe\n", "dialects.telness-connect.enabled"),
        ("dialects:\n  deliveryslip-ccc:\n    services:\n      not-a-guid: {}\n", "dialects.deliveryslip-ccc.services.not-a-guid"),
        ("log:\n  level: loud\n", "log.level"),
        ("store:\n  sqlite:\n    path: ''\n", "store.sqlite.path"),
        ("store:\n  url: mysql://a@b/c\n", "store.url"),
        ("store:\n  url: postgres://a@b/c?sslmode=sometimes\n", "store.url"),
        ("idempotency:\n  ttl: 0\n", "idempotency.ttl"),
        ("idempotency:\n  lease: forever\n", "idempotency.lease"),
        ("server: [1, 2]\n", "server"),
        ("log:\n  format: xml\n", "log.format"),
        ("log:\n  access: sometimes\n", "log.access"),
        ("server:\n  shutdownGrace: -1\n", "server.shutdownGrace"),
        ("metrics:\n  path: metrics\n", "metrics.path"),
        ("metrics:\n  path: /users/:id\n", "metrics.path"),
        ("metrics:\n  enabled: perhaps\n", "metrics.enabled"),
        ("auth:\n  throttle:\n    firstBackoff: 0\n", "auth.throttle.firstBackoff"),
        ("tracing:\n  exporter: zipkin\n", "tracing.exporter"),
    ])
    func badSettingsNameTheKey(yaml: String, key: String) throws {
        let path = try Self.file(yaml)
        #expect {
            try GatewayConfiguration.load(path: path, environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.key == key
        }
    }

    @Test func everySectionsProblemIsReportedNotOnlyTheFirst() throws {
        let path = try Self.file("server:\n  port: 99999\nlog:\n  format: xml\nbogus: 1\ndialects:\n  telness-connect:\n    mode: forward\n")
        #expect {
            try GatewayConfiguration.load(path: path, environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.all.map(\.key) == ["bogus", "server.port", "log.format", "dialects.telness-connect.upstream"]
        }
    }

    @Test func everyBadKeyOfASectionIsReportedToo() throws {
        let path = try Self.file(
            "server:\n  port: 99999\n  bodyLimit: 0\n  headerTimeout: soon\nlog:\n  level: loud\n  format: xml\nmetrics:\n  enabled: maybe\n  path: nowhere\n")
        #expect {
            try GatewayConfiguration.load(path: path, environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.all.map(\.key)
                == ["server.port", "server.bodyLimit", "server.headerTimeout", "log.level", "log.format", "metrics.enabled", "metrics.path"]
        }
    }

    @Test func checkConfigReportsEveryProblemWithItsKeyAndExits78() async throws {
        func run(_ path: String) async throws -> (status: Int32, output: String) {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID().uuidString).txt")
            defer { try? FileManager.default.removeItem(at: output) }
            let status = try await ChildProcess(Self.executable, arguments: ["check-config", path], output: .file(output.path)).finished()
            return (status, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
        }
        let bad = try await run(try Self.file("server:\n  port: 99999\nlog:\n  format: xml\n"))
        #expect(bad.status == 78)
        #expect(bad.output.contains("server.port: must be a whole number from 0 to 65535"))
        #expect(bad.output.contains("log.format: must be one of json, text"))
        let good = try await run(Self.shippedConfig)
        #expect(good.status == 0)
        #expect(good.output.hasPrefix("configuration OK"))
    }

    @Test func anOTLPExporterWithoutTheOTelBuildIsRefusedAtStart() async throws {
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("otel-\(UUID().uuidString).stderr")
        defer { try? FileManager.default.removeItem(at: errors) }
        let status = try await ChildProcess(
            Self.executable,
            arguments: [
                "serve", "--config", Self.shippedConfig, "--port", "0", "--store-path",
                FileManager.default.temporaryDirectory.appendingPathComponent("otel-\(UUID().uuidString).sqlite").path,
            ],
            environment: ["PATH": "/usr/bin:/bin", "DRAGOMAN_TRACING__EXPORTER": "otlp"],
            error: .file(errors.path)
        ).finished()
        let output = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        #expect(status == 78)
        #expect(output.contains("tracing.exporter: otlp needs the OpenTelemetry build"))
    }

    /// The `dragoman` executable built beside the tests.
    static var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dragoman").path
    }

    @Test func operationsSettingsAreRead() throws {
        let defaults = try GatewayConfiguration.load(path: try Self.file("{}\n"), environment: [:])
        #expect(defaults.logFormat == .json)
        #expect(defaults.accessLog)
        #expect(defaults.shutdownGrace == 30)
        #expect(defaults.metricsEnabled)
        #expect(defaults.metricsPath == "/metrics")
        #expect(defaults.tracingExporter == TracingExporter.none)
        let path = try Self.file("log:\n  format: text\n  access: false\nserver:\n  shutdownGrace: 5\nmetrics:\n  enabled: false\n  path: /internal/metrics\n")
        let configuration = try GatewayConfiguration.load(path: path, environment: [:])
        #expect(configuration.logFormat == .text)
        #expect(!configuration.accessLog)
        #expect(configuration.shutdownGrace == 5)
        #expect(!configuration.metricsEnabled)
        #expect(configuration.metricsPath == "/internal/metrics")
    }

    @Test func invalidYAMLNamesTheFile() throws {
        let path = try Self.file("server: [unclosed\n")
        #expect {
            try GatewayConfiguration.load(path: path, environment: [:])
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.key == path && error.problem.contains("YAML")
        }
    }

    @Test func missingNamedFileIsAnError() {
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.load(path: "/nonexistent/dragoman.yaml", environment: [:])
        }
    }

    @Test func servicesAndGroupsAreRead() throws {
        let yaml = """
            dialects:
              deliveryslip-ccc:
                services:
                  \(Samples.service):
                    groups:
                      \(Samples.guestGroup): Guest
            """
        let configuration = try GatewayConfiguration.load(path: try Self.file(yaml), environment: [:])
        #expect(configuration.dialectData[ServiceDirectory.self]?.services == [Samples.service: [Samples.guestGroup: .guest]])
    }
}
