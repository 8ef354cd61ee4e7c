import DragomanCore
import DragomanTransport
import Foundation
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import Dragoman
@testable import DragomanDialectKit
@testable import DragomanStore

/// `dragoman backfill`'s work through real gateways: an old system holding users, a new one
/// receiving them, each a local Dragoman in its dialect.
@Suite(.serialized) struct BackfillTests {
    static let logger = Logger(label: "test")

    /// A configuration naming the two systems, on a fresh SQLite store (the stores' own rules
    /// for links and progress are tested on both engines in `IDLinkAndOutboxStoreTests`; twenty
    /// pairs opening PostgreSQL schemas three times each crowded the PostgreSQL run).
    static func configuration(old: Int, oldDialect: DialectID, new: Int, newDialect: DialectID) -> GatewayConfiguration {
        var configuration = TestGateway(engine: .sqlite).configuration
        configuration.upstreams = [
            "old": MigrationHarness.upstream("old", port: old, dialect: oldDialect),
            "new": MigrationHarness.upstream("new", port: new, dialect: newDialect),
        ]
        return configuration
    }

    static func withSystems(
        old oldDialect: DialectID, new newDialect: DialectID,
        _ body: @escaping @Sendable (GatewayConfiguration, any TestClientProtocol, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await TestGateway(engine: .sqlite).run { old in
            try await TestGateway(engine: .sqlite).run { new in
                try await body(configuration(old: old.port!, oldDialect: oldDialect, new: new.port!, newDialect: newDialect), old, new)
            }
        }
    }

    static func run(_ configuration: GatewayConfiguration, options: BackfillOptions = BackfillOptions()) async throws -> BackfillReport {
        try await configuration.withBackfill(from: "old", to: "new", options: options, logger: logger) { try await $0.run(logger: logger) }
    }

    /// User `n` created on a system in its own dialect (user names differ where they are unique).
    static func create(_ dialect: DialectID, on client: any TestClientProtocol, _ n: Int) async throws -> Reply {
        let email = "user\(n)@example.com"
        switch dialect {
        case .voltMXAccessManagement:
            let body = #"{"userName":"user\#(n)","email":"\#(email)","password":"Pw123456","displayName":"Ada Lovelace","selectedPermissionIds":["3"]}"#
            return try await client.post("/api/v1/accessmgmt/users", body)
        case .scim:
            let body = #"{"userName":"user\#(n)","name":{"givenName":"Ada","familyName":"Lovelace"},"emails":[{"value":"\#(email)","primary":true}]}"#
            return try await client.post("/scim/v2/Users", body, contentType: "application/scim+json")
        default:
            return try await ForwardingTests.Caller(id: dialect).create(client, email: email)
        }
    }

    static let listing: [DialectID] = DialectRegistry.standard.ids.filter { $0 != .voltMXAudience }

    @Test(arguments: listing, DialectRegistry.standard.ids)
    func everyPairCopiesEveryUserOnceAndASecondRunCopiesNothing(old: DialectID, new: DialectID) async throws {
        try await Self.withSystems(old: old, new: new) { configuration, source, _ in
            for n in 1...3 {
                let created = try await Self.create(old, on: source, n)
                #expect(created.status.code < 300, "\(created.text)")
            }
            let first = try await Self.run(configuration)
            #expect(first.copied == 3, "\(first.failed)")
            #expect(first.failed.isEmpty, "\(first.failed)")
            #expect(first.finished)
            #expect(first.passwordsDefaulted == (new == .voltMXAccessManagement || new == .deliverySlipCCC))
            let second = try await Self.run(configuration)
            #expect(second.copied == 0)
            #expect(second.alreadyThere == 3)
            // The live bridge finds each copy: every user has an id on both sides.
            let store = try await configuration.storeLocation.open(logger: Self.logger)
            let residence = try await store.residence()
            try await store.close()
            #expect(residence["old"]?.held == 3)
            #expect(residence["new"]?.held == 3)
        }
    }

    @Test func aSourceWhoseDialectCannotListIsAClearError() async throws {
        try await Self.withSystems(old: .voltMXAudience, new: .telnessConnect) { configuration, _, _ in
            await #expect {
                try await Self.run(configuration)
            } throws: { error in
                "\(error)".contains("voltmx-audience, which documents no list of users")
            }
        }
    }

    @Test func aDryRunCreatesNothingAndOnlyPicksByDomainOrID() async throws {
        try await Self.withSystems(old: .telnessConnect, new: .telnessConnect) { configuration, source, target in
            var ids: [String] = []
            for email in ["ada@example.com", "bob@example.org", "cy@example.org"] {
                ids.append(try #require(try await source.post("/users", #"{"name":"Some One","email":"\#(email)"}"#).json["userId"]?.string))
            }
            let dry = try await Self.run(configuration, options: BackfillOptions(dryRun: true))
            #expect(dry.copied == 3)
            #expect(try await target.get("/users").json["items"]?.array.isEmpty == true)
            let org = try await Self.run(configuration, options: BackfillOptions(only: BackfillFilter("@example.org")))
            #expect(org.copied == 2 && org.skipped == 1)
            let one = try await Self.run(configuration, options: BackfillOptions(only: BackfillFilter(ids[0])))
            #expect(one.copied == 1 && one.alreadyThere == 0 && one.skipped == 2)
            #expect(try await target.get("/users").json["items"]?.array.count == 3)
        }
    }

    @Test func aTargetsRefusalIsReportedPerUserInCanonicalTerms() async throws {
        try await Self.withSystems(old: .telnessConnect, new: .telnessConnect) { configuration, source, target in
            _ = try await source.post("/users", #"{"name":"Ada Lovelace","email":"ada@example.com"}"#)
            _ = try await source.post("/users", #"{"name":"Bob Babbage","email":"bob@example.com"}"#)
            // The target has Bob already, created there directly.
            _ = try await target.post("/users", #"{"name":"Bob Babbage","email":"bob@example.com"}"#)
            let report = try await Self.run(configuration)
            #expect(report.copied == 1)
            #expect(report.failed.map(\.email) == ["bob@example.com"])
            #expect(report.failed.first?.error == "duplicate(email)")
        }
    }

    @Test func anInterruptedBackfillResumesAtItsPageAndCopiesNoUserTwice() async throws {
        try await Self.withSystems(old: .scim, new: .telnessConnect) { configuration, source, target in
            // Three pages of the source's list (SCIM's is read 100 at a time).
            for n in 0..<250 {
                _ = try await Self.create(.scim, on: source, n)
            }
            // Stopped mid-way through the second page.
            let stop = Mutex(false)
            let interrupted = Task {
                try await configuration.withBackfill(from: "old", to: "new", options: BackfillOptions(concurrency: 4), logger: Self.logger) { backfill in
                    try await backfill.run(logger: Self.logger) { report in
                        if report.seen >= 150 { stop.withLock { $0 = true } }
                    }
                }
            }
            while !stop.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
            interrupted.cancel()
            _ = try? await interrupted.value
            let resumed = try await Self.run(configuration)
            #expect(resumed.resumedAfterPages == 1)
            #expect(resumed.failed.isEmpty, "\(resumed.failed.prefix(3))")
            #expect(resumed.finished)
            let listed = try await target.get("/users?limit=1000").json["items"]?.array ?? []
            #expect(listed.count == 250)
            #expect(Set(listed.compactMap { $0["email"]?.string }).count == 250)
            #expect(try await Self.run(configuration).alreadyThere == 250)
        }
    }
}
