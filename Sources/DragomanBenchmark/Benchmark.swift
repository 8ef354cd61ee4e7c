import AsyncHTTPClient
import Dragoman
import DragomanCore
import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
import Hummingbird
import HummingbirdBcrypt
import Logging
import NIOCore
import ServiceLifecycle

/// `swift run -c release dragoman-benchmark [requests] [concurrency]`: runs the gateway in this
/// process on a fresh SQLite file (or, with `DRAGOMAN_BENCH_STORE_URL=postgres://…`, a fresh
/// PostgreSQL schema) and drives it over loopback HTTP, printing throughput, latency percentiles
/// and peak memory for creates, idempotent creates and replays, and reads in each dialect.
@main
struct DragomanBenchmark {
    static let port = 18_181
    static let apiKey = "dgm_benchmark_key"
    static let password = "benchmark-password"

    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst().compactMap(Int.init)
        let requests = arguments.first ?? 2000
        let concurrency = arguments.dropFirst().first ?? 16
        var configuration = GatewayConfiguration()
        configuration.port = port
        configuration.storePath = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-bench-\(UUID()).sqlite").path
        if let url = ProcessInfo.processInfo.environment["DRAGOMAN_BENCH_STORE_URL"] {
            let schema = "bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            configuration.storeURL = try PostgresLocation(url: url + (url.contains("?") ? "&" : "?") + "schema=\(schema)")
        }
        configuration.principals = [Principal(name: "bench", passwordHash: Bcrypt.hash(password, cost: 10), apiKeyHashes: [APIKey.digest(apiKey)])]
        var logger = Logger(label: "dragoman-benchmark")
        logger.logLevel = .error
        let app = try await buildApplication(configuration: configuration, logger: logger)
        let serviceGroup = ServiceGroup(configuration: .init(services: [app], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await serviceGroup.run() }
            try await Task.sleep(for: .milliseconds(500))
            let store = configuration.storeURL.map { "PostgreSQL \($0.redacted)" } ?? "SQLite"
            print("Dragoman benchmark: \(requests) requests per scenario, \(concurrency) concurrent, loopback HTTP/1.1, \(store)")
            print("scenario                               req/s    p50 ms   p99 ms")
            let basic = "Basic " + Data("bench:\(password)".utf8).base64EncodedString()
            try await run("telness create (API key)", requests, concurrency) { index in
                request("/users", body: #"{"name":"User \#(index)","email":"t\#(index)@bench.example"}"#, headers: ["X-API-Key": apiKey])
            }
            try await run("telness create, X-Idempotency-Key", requests, concurrency) { index in
                request(
                    "/users",
                    body: #"{"name":"User \#(index)","email":"k\#(index)@bench.example"}"#,
                    headers: ["X-API-Key": apiKey, "X-Idempotency-Key": "bench-\(index)"]
                )
            }
            try await run("telness replay, X-Idempotency-Key", requests, concurrency) { index in
                request(
                    "/users",
                    body: #"{"name":"User \#(index)","email":"k\#(index)@bench.example"}"#,
                    headers: ["X-API-Key": apiKey, "X-Idempotency-Key": "bench-\(index)"]
                )
            }
            try await run("voltmx-audience create (Basic, cached)", requests, concurrency) { index in
                request(
                    "/api/v1/audience",
                    body: #"{"firstName":"A","lastName":"B\#(index)","country":"India","email":"a\#(index)@bench.example"}"#,
                    headers: ["Authorization": basic]
                )
            }
            try await run("voltmx-audience read (Basic, cached)", requests, concurrency) { index in
                request("/api/v1/audience/\(index % requests + 1)", body: nil, headers: ["Authorization": basic])
            }
            try await run("ccc create (Bearer, bcrypt cost 10)", min(requests, 200), concurrency) { index in
                request(
                    "/api/services/5f1c2a3b4c5d6e7f8091a2b3c4d5e6f7/users",
                    body: #"{"emailAddress":"c\#(index)@bench.example","password":"pw","firstName":"C","lastName":"D"}"#,
                    headers: ["Authorization": "Bearer \(apiKey)"]
                )
            }
            print("peak resident memory: \(peakMemoryMiB()) MiB")
            await serviceGroup.triggerGracefulShutdown()
            try await group.waitForAll()
        }
        try? FileManager.default.removeItem(atPath: configuration.storePath)
    }

    static func request(_ path: String, body: String?, headers: [String: String]) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        return request
    }

    /// Sends `count` requests, `concurrency` at a time, and prints the figures.
    static func run(_ name: String, _ count: Int, _ concurrency: Int, make: @escaping @Sendable (Int) -> HTTPClientRequest) async throws {
        let start = ContinuousClock.now
        var latencies: [Double] = []
        var failures = 0
        try await withThrowingTaskGroup(of: (Double, Bool).self) { group in
            var next = 0
            func launch() {
                let index = next
                next += 1
                group.addTask {
                    let begin = ContinuousClock.now
                    let response = try await HTTPClient.shared.execute(make(index), timeout: .seconds(30))
                    _ = try await response.body.collect(upTo: 1 << 20)
                    let elapsed = ContinuousClock.now - begin
                    return (Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000, response.status.code < 300)
                }
            }
            for _ in 0..<min(concurrency, count) { launch() }
            while let (latency, ok) = try await group.next() {
                latencies.append(latency)
                if !ok { failures += 1 }
                if next < count { launch() }
            }
        }
        let seconds = Double((ContinuousClock.now - start).components.attoseconds) / 1e18 + Double((ContinuousClock.now - start).components.seconds)
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        let line = name.padding(toLength: 38, withPad: " ", startingAt: 0)
        print(
            String(
                format: "%@ %8.0f %9.2f %8.2f%@", line, Double(count) / seconds, percentile(0.5), percentile(0.99), failures > 0 ? "  (\(failures) failed)" : ""
            ))
    }

    /// The process's peak resident set size (`VmHWM`), in MiB.
    static func peakMemoryMiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kib = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return -1 }
        return kib / 1024
    }
}
