import DragomanCore
import DragomanTransport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// `GET /metrics` as Prometheus scrapes it, after real traffic over HTTP: request counts and
/// latencies, stage histograms, authentication failures and throttling, idempotent replays and
/// conflicts, upstream errors and breaker states, dropped fields, store latency, and labels that
/// never carry a request's own values.
@Suite struct MetricsTests {
    /// One scrape, parsed: each sample's name, labels and value.
    struct Scrape {
        /// One line of the exposition: a series and its value.
        struct Sample {
            var name: String
            var labels: [String: String]
            var value: Double
        }

        let text: String
        let samples: [Sample]

        init(_ text: String) {
            self.text = text
            samples = text.split(separator: "\n").compactMap { line in
                guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { return nil }
                let series = line[..<space]
                guard let brace = series.firstIndex(of: "{") else { return Sample(name: String(series), labels: [:], value: value) }
                var labels: [String: String] = [:]
                for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    if parts.count == 2 { labels[String(parts[0])] = String(parts[1].dropFirst().dropLast()) }
                }
                return Sample(name: String(series[..<brace]), labels: labels, value: value)
            }
        }

        /// The sum of the samples named `name` whose labels include `labels`.
        func value(_ name: String, _ labels: [String: String] = [:]) -> Double {
            samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }.reduce(0) { $0 + $1.value }
        }
    }

    static func scrape(_ client: any TestClientProtocol, path: String = "/metrics") async throws -> Scrape {
        let reply = try await client.get(path)
        #expect(reply.status == .ok)
        #expect(reply.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
        return Scrape(reply.text)
    }

    @Test func requestsAreCountedByDialectOperationAndStatusWithTheirLatency() async throws {
        try await TestGateway().run { client in
            let reply1 = try await client.post("/api/v1/audience", Samples.audience)
            #expect(reply1.status == .ok)
            let reply2 = try await client.post("/api/v1/audience", Samples.audience)
            #expect(reply2.status == .badRequest)
            let reply3 = try await client.get("/users/0b3a6a2e-5d41-4c43-9c37-4f3b0c6f0a11")
            #expect(reply3.status == .notFound)
            let scrape = try await Self.scrape(client)
            let create = ["dialect": "voltmx-audience", "operation": "create"]
            #expect(scrape.value("dragoman_requests_total", create.merging(["status": "200"]) { $1 }) == 1)
            #expect(scrape.value("dragoman_requests_total", create.merging(["status": "400"]) { $1 }) == 1)
            #expect(scrape.value("dragoman_requests_total", ["dialect": "telness-connect", "operation": "read", "status": "404"]) == 1)
            #expect(scrape.value("dragoman_request_duration_seconds_count", create) == 2)
            #expect(scrape.value("dragoman_request_duration_seconds_sum", create) > 0)
            #expect(scrape.value("dragoman_request_duration_seconds_bucket", create.merging(["le": "+Inf"]) { $1 }) == 2)
        }
    }

    @Test func eachStageOfALocalCreateHasItsHistogram() async throws {
        try await AuthenticationTests.gateway().run { client in
            let reply = try await client.post(
                "/api/v1/audience", Samples.audience, headers: AuthenticationTests.basic("alice", AuthenticationTests.alicePassword))
            #expect(reply.status == .ok)
            let scrape = try await Self.scrape(client)
            for stage in ["auth", "decode", "store", "encode"] {
                #expect(scrape.value("dragoman_stage_duration_seconds_count", ["dialect": "voltmx-audience", "stage": stage]) == 1, "\(stage)")
            }
            #expect(scrape.value("dragoman_stage_duration_seconds_count", ["stage": "upstream"]) == 0)
        }
    }

    @Test func storeLatencyIsRecordedByEngineAndOperation() async throws {
        try await TestGateway().run { client in
            let created = try await client.post("/api/v1/audience", Samples.audience)
            #expect(created.status == .ok)
            let id = try #require(created.json["id"]?.string)
            let read = try await client.get("/api/v1/audience/\(id)")
            #expect(read.status == .ok)
            let scrape = try await Self.scrape(client)
            let engine = StoreEngine.default.rawValue
            #expect(scrape.value("dragoman_store_duration_seconds_count", ["engine": engine, "operation": "insert"]) == 1)
            #expect(scrape.value("dragoman_store_duration_seconds_count", ["engine": engine, "operation": "read"]) >= 1)
        }
    }

    @Test func authenticationFailuresAreCountedBySchemeAndThrottlingToo() async throws {
        try await AuthenticationTests.throttledGateway(after: 2).run { client in
            for _ in 0..<3 {
                _ = try await client.send("/api/v1/audience/1", method: .get, headers: AuthenticationTests.basic("alice", "wrong"), body: nil)
            }
            _ = try await client.send("/users/x", method: .get, headers: [HTTPField.Name("X-API-Key")!: "dgm_not_a_key"], body: nil)
            let scrape = try await Self.scrape(client)
            #expect(scrape.value("dragoman_auth_failures_total", ["scheme": "basic"]) == 2)
            #expect(scrape.value("dragoman_auth_failures_total", ["scheme": "apiKey"]) == 1)
            #expect(scrape.value("dragoman_throttled_requests_total", ["dialect": "voltmx-audience"]) == 1)
            #expect(scrape.value("dragoman_requests_total", ["dialect": "voltmx-audience", "status": "429"]) == 1)
        }
    }

    @Test func idempotentReplaysAndConflictsAreCounted() async throws {
        try await TestGateway().run { client in
            let reply5 = try await client.post("/users", Samples.telness, headers: IdempotencyTests.telness("k1"))
            #expect(reply5.status == .created)
            let reply6 = try await client.post("/users", Samples.telness, headers: IdempotencyTests.telness("k1"))
            #expect(reply6.status == .created)
            let other = #"{"name":"Someone Else","email":"else@example.com"}"#
            let reply7 = try await client.post("/users", other, headers: IdempotencyTests.telness("k1"))
            #expect(reply7.status == .conflict)
            let scrape = try await Self.scrape(client)
            #expect(scrape.value("dragoman_idempotent_replays_total", ["dialect": "telness-connect"]) == 1)
            #expect(scrape.value("dragoman_idempotent_conflicts_total", ["dialect": "telness-connect", "reason": "mismatch"]) == 1)
        }
    }

    @Test func forwardedRequestsCountUpstreamTimeAndDroppedFieldsPerPair() async throws {
        try await ForwardingTests.withPair(caller: .voltMXAudience, backend: .telnessConnect) { front, _ in
            let reply = try await front.post("/api/v1/audience", Samples.audience)
            #expect(reply.status == .ok, "\(reply.text)")
            let dropped = try #require(reply.headers[UserHandlers.droppedFields]).split(separator: ",").count
            let scrape = try await Self.scrape(front)
            #expect(scrape.value("dragoman_stage_duration_seconds_count", ["dialect": "voltmx-audience", "stage": "upstream"]) == 1)
            #expect(scrape.value("dragoman_dropped_fields_total", ["dialect": "voltmx-audience", "backend": "telness-connect"]) == Double(dropped))
            #expect(scrape.value("dragoman_upstream_breaker_state", ["upstream": "backend", "state": "closed"]) == 1)
            #expect(scrape.value("dragoman_upstream_breaker_state", ["upstream": "backend", "state": "open"]) == 0)
        }
    }

    @Test func upstreamErrorsAreCountedByKindAndTheBreakerStateShows() async throws {
        var upstream = ForwardingTests.upstream(port: 9, dialect: .telnessConnect)
        upstream.breakerFailures = 1
        upstream.breakerCooldown = 60
        try await ForwardingTests.front(.telnessConnect, upstream).run { client in
            let reply8 = try await client.post("/users", Samples.telness)
            #expect(reply8.status == .badGateway)
            let reply9 = try await client.post("/users", Samples.telness)
            #expect(reply9.status == .serviceUnavailable)
            let scrape = try await Self.scrape(client)
            #expect(scrape.value("dragoman_upstream_errors_total", ["upstream": "backend", "kind": "unreachable"]) == 1, "\(scrape.text)")
            #expect(scrape.value("dragoman_upstream_errors_total", ["upstream": "backend", "kind": "breaker_open"]) == 1)
            #expect(scrape.value("dragoman_upstream_breaker_state", ["upstream": "backend", "state": "open"]) == 1)
        }
    }

    @Test func labelsNeverCarryIdsAddressesOrPaths() async throws {
        try await TestGateway().run { client in
            _ = try await client.get("/users/0b3a6a2e-5d41-4c43-9c37-4f3b0c6f0a11?email=ada@example.com")
            _ = try await client.get("/no/such/path/ada@example.com")
            _ = try await client.post("/users", Samples.telness)
            let scrape = try await Self.scrape(client)
            for value in ["0b3a6a2e", "ada@example.com", "/no/such", "Ada", "/users"] {
                #expect(!scrape.text.contains(value), "\(value) appears in the metrics")
            }
            #expect(scrape.value("dragoman_requests_total", ["dialect": "none", "operation": "other", "status": "404"]) == 1)
        }
    }

    @Test func theMetricsPathCanBeMovedOrSwitchedOff() async throws {
        try await TestGateway { $0.metricsPath = "/internal/prometheus" }.run { client in
            _ = try await Self.scrape(client, path: "/internal/prometheus")
            let reply10 = try await client.get("/metrics")
            #expect(reply10.status == .notFound)
        }
        try await TestGateway { $0.metricsEnabled = false }.run { client in
            let reply11 = try await client.get("/metrics")
            #expect(reply11.status == .notFound)
        }
    }
}
