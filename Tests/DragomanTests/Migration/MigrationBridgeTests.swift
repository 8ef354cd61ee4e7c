import DragomanCore
import DragomanTransport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import Dragoman
@testable import DragomanDialectKit
@testable import DragomanStore

/// The live migration bridge through real HTTP, with real backend gateways as the old and the
/// new system: each stage, mirrored writes through the outbox, the translation-aware
/// comparison, a candidate that is down, reloads between stages, and the admin route.
/// Serialized: each test runs three gateways.
@Suite(.serialized) struct MigrationBridgeTests {
    typealias Harness = MigrationHarness

    @Test(arguments: DialectRegistry.standard.ids, DialectRegistry.standard.ids)
    func everyPairMirrorsACreateAndComparesTheSameUserAsTheSame(old: DialectID, new: DialectID) async throws {
        try await Harness.withBridge(caller: old, old: old, new: new, plan: Harness.plan(.shadow)) { front, _, _ in
            let speaker = ForwardingTests.Caller(id: old)
            let created = try await speaker.create(front, email: "ada@example.com")
            #expect(created.status == speaker.createdStatus, "\(created.text)")
            let id = try #require(speaker.createdID(created))
            // The mirrored create is applied and its answer compared.
            let mirrored = try await Harness.waitFor(front, old, "the mirrored create") {
                Harness.pending($0) == 0 && Harness.comparisons($0, "same") + Harness.comparisons($0, "different") >= 1
            }
            #expect(mirrored["users"]?["new"]?["held"]?.int == 1)
            let read = try await speaker.read(front, id: id)
            #expect(read.status == .ok, "\(read.text)")
            let compared = try await Harness.waitFor(front, old, "the read's comparison") {
                Harness.comparisons($0, "same") + Harness.comparisons($0, "different") >= 2
            }
            #expect(Harness.comparisons(compared, "different") == 0, "\(compared["differences"] ?? .null)")
            #expect(Harness.comparisons(compared, "candidate_error") == 0)
        }
    }

    @Test func aFieldTheCandidateAnswersDifferentlyIsCountedWithExamplesAndInTheMetrics() async throws {
        try await Harness.withBridge(caller: .voltMXAudience, old: .voltMXAudience, new: .voltMXAudience, plan: Harness.plan(.shadow)) { front, _, new in
            let created = try await front.post("/api/v1/audience", Samples.audience(email: "ada@example.com"))
            let id = try #require(created.json["id"]?.string)
            try await Harness.waitFor(front, .voltMXAudience, "the mirrored create") { Harness.pending($0) == 0 && $0["users"]?["new"]?["held"]?.int == 1 }
            // The new system's copy changes behind the bridge's back.
            #expect(try await new.json(.put, "/api/v1/audience/1", #"{"country":"Sweden"}"#).status == .ok)
            #expect(try await front.get("/api/v1/audience/\(id)").json["country"]?.string == "India")
            let state = try await Harness.waitFor(front, .voltMXAudience, "the difference") { Harness.comparisons($0, "different") >= 1 }
            let country = try #require(state["differences"]?["country"])
            #expect(country["count"]?.int == 1)
            #expect(country["examples"]?[0]?["primary"]?.string == "\"India\"")
            #expect(country["examples"]?[0]?["candidate"]?.string == "\"Sweden\"")
            let metrics = try await front.get("/metrics").text
            #expect(metrics.contains(#"dragoman_migration_field_differences_total{dialect="voltmx-audience",field="country"} 1"#))
            #expect(metrics.contains(#"dragoman_migration_comparisons_total{dialect="voltmx-audience",result="different"} 1"#))
            #expect(metrics.contains(#"dragoman_migration_outbox_pending{dialect="voltmx-audience"} 0"#))
        }
    }

    @Test func ignoredFieldsAreNeverCompared() async throws {
        let plan = Harness.plan(.shadow) { $0.ignore = ["country"] }
        try await Harness.withBridge(caller: .voltMXAudience, old: .voltMXAudience, new: .voltMXAudience, plan: plan) { front, _, new in
            let created = try await front.post("/api/v1/audience", Samples.audience(email: "ada@example.com"))
            let id = try #require(created.json["id"]?.string)
            try await Harness.waitFor(front, .voltMXAudience, "the mirrored create") { Harness.pending($0) == 0 && $0["users"]?["new"]?["held"]?.int == 1 }
            #expect(try await new.json(.put, "/api/v1/audience/1", #"{"country":"Sweden"}"#).status == .ok)
            _ = try await front.get("/api/v1/audience/\(id)")
            let state = try await Harness.waitFor(front, .voltMXAudience, "the read's comparison") { Harness.comparisons($0, "same") >= 2 }
            #expect(Harness.comparisons(state, "different") == 0)
        }
    }

    @Test func aUserTheCandidateLacksIsADifferenceOfStatus() async throws {
        try await Harness.withBridge(caller: .telnessConnect, old: .telnessConnect, new: .telnessConnect, plan: Harness.plan(.shadow, mirror: false)) {
            front, _, _ in
            let created = try await front.post("/users", #"{"name":"Ada Lovelace","email":"ada@example.com"}"#)
            let id = try #require(created.json["userId"]?.string)
            #expect(try await front.get("/users/\(id)").status == .ok)
            let state = try await Harness.waitFor(front, .telnessConnect, "the read's comparison") { Harness.comparisons($0, "different") >= 1 }
            #expect(state["differences"]?["status"]?["examples"]?[0]?["candidate"]?.string == "not found")
            #expect(state["outbox"]?["pending"]?.int == 0)
        }
    }

    @Test func aCandidateThatIsDownNeitherFailsTheCallerAndItsOutboxDrainsWhenItReturns() async throws {
        let port = try await Harness.freePort()
        try await TestGateway(engine: .sqlite).run { old in
            let front = Harness.front(
                caller: .telnessConnect, old: Harness.upstream("old", port: old.port!, dialect: .telnessConnect),
                new: Harness.upstream("new", port: port, dialect: .voltMXAudience), plan: Harness.plan(.shadow) { $0.attempts = 1000 })
            try await front.run { front in
                var ids: [String] = []
                for n in 1...3 {
                    let created = try await front.post("/users", #"{"name":"Ada Lovelace","email":"ada\#(n)@example.com"}"#)
                    #expect(created.status == .created, "\(created.text)")
                    ids.append(try #require(created.json["userId"]?.string))
                }
                #expect(try await front.get("/users/\(ids[0])").status == .ok)
                let waiting = try await Harness.waitFor(front, .telnessConnect, "the first failed tries") {
                    $0["outbox"]?["entries"]?[0]?["lastError"]?.string != nil
                }
                #expect(Harness.pending(waiting) == 3)
                // The candidate holds nobody yet: the read's comparison says so.
                #expect(waiting["differences"]?["status"]?["count"]?.int == 1)
                // The new system comes up on its address: the outbox drains into it.
                try await Harness.serve(TestGateway(engine: .sqlite) { $0.port = port }) {
                    try await Harness.waitFor(front, .telnessConnect, "the outbox to drain") { Harness.pending($0) == 0 }
                }
                let state = try await Harness.state(front, .telnessConnect)
                #expect(state["users"]?["new"]?["held"]?.int == 3)
            }
        }
    }

    @Test func aCandidateThatNeverAnswersNeitherDelaysNorFailsTheCaller() async throws {
        // The candidate takes every request and says nothing.
        let silent = try await ScriptedBackend { _ in ScriptedBackend.Reply(raw: nil) }
        try await TestGateway(engine: .sqlite).run { old in
            let front = Harness.front(
                caller: .telnessConnect, old: Harness.upstream("old", port: old.port!, dialect: .telnessConnect),
                new: Harness.upstream("new", port: silent.port, dialect: .telnessConnect), plan: Harness.plan(.shadow))
            try await front.run { front in
                let created = try await front.post("/users", #"{"name":"Ada Lovelace","email":"ada@example.com"}"#)
                #expect(created.status == .created)
                let id = try #require(created.json["userId"]?.string)
                // Answered while the mirrored create still waits on the candidate.
                for _ in 0..<400 where silent.received.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
                #expect(silent.received.count == 1)
                #expect(try await front.get("/users/\(id)").status == .ok)
                #expect(try await front.get("/users").status == .ok)
                #expect(silent.received.count <= 2)
            }
        }
        await silent.close()
    }

    @Test func aWriteTheCandidateRefusesFailsForGoodAndIsReported() async throws {
        // Access Management requires a user name the Telness caller never gives, and the new
        // upstream is not told to make one.
        try await TestGateway(engine: .sqlite).run { old in
            try await TestGateway(engine: .sqlite).run { new in
                var candidate = Harness.upstream("new", port: new.port!, dialect: .voltMXAccessManagement)
                candidate.userName = .reject
                let front = Harness.front(
                    caller: .telnessConnect, old: Harness.upstream("old", port: old.port!, dialect: .telnessConnect), new: candidate,
                    plan: Harness.plan(.shadow))
                try await front.run { front in
                    #expect(try await front.post("/users", #"{"name":"Ada Lovelace","email":"ada@example.com"}"#).status == .created)
                    let state = try await Harness.waitFor(front, .telnessConnect, "the failure") { $0["outbox"]?["failed"]?.int == 1 }
                    #expect(state["outbox"]?["entries"]?[0]?["state"]?.string == "failed")
                    #expect(state["outbox"]?["entries"]?[0]?["lastError"]?.string == "invalid(userName)")
                    // A refusal of what the old side accepted is a difference of status class.
                    #expect(state["differences"]?["status"]?["examples"]?[0]?["candidate"]?.string == "invalid(userName)")
                    #expect(try await front.get("/metrics").text.contains(#"dragoman_migration_outbox_failed_total{dialect="telness-connect"} 1"#))
                }
            }
        }
    }

    @Test func aSplitPlacesNewUsersByShareAndKeepsEachWhereItLives() async throws {
        try await TestGateway(engine: .sqlite).run { old in
            try await TestGateway(engine: .sqlite).run { new in
                let gateway = Harness.front(
                    caller: .telnessConnect, old: Harness.upstream("old", port: old.port!, dialect: .telnessConnect),
                    new: Harness.upstream("new", port: new.port!, dialect: .telnessConnect), plan: Harness.plan(.split, mirror: false) { $0.percent = 100 })
                let source = ReloadTests.Source(gateway.configuration)
                let reloader = GatewayReloader { try source.read() }
                try await gateway.run(reloader: reloader) { front in
                    let onNew = try await front.post("/users", #"{"name":"Ada Lovelace","email":"ada@example.com"}"#)
                    let adaID = try #require(onNew.json["userId"]?.string)
                    #expect(try await new.get("/users").text.contains("ada@example.com"))
                    #expect(!(try await old.get("/users").text.contains("ada@example.com")))
                    // Nobody new goes to the candidate now; Ada stays where she lives.
                    source.change { $0.dialects[.telnessConnect]?.migration?.percent = 0 }
                    #expect(await reloader.reload(trigger: "test") == .applied(needsRestart: []))
                    let read = try await front.get("/users/\(adaID)")
                    #expect(read.status == .ok)
                    #expect(read.json["userId"]?.string == adaID)
                    let onOld = try await front.post("/users", #"{"name":"Bob Babbage","email":"bob@example.com"}"#)
                    #expect(onOld.status == .created)
                    #expect(try await old.get("/users").text.contains("bob@example.com"))
                    let renamed = try await front.json(.put, "/users/\(adaID)", #"{"name":"Augusta Lovelace"}"#)
                    #expect(renamed.status == .ok, "\(renamed.text)")
                    #expect(try await new.get("/users").text.contains("Augusta Lovelace"))
                    let listed = try await front.get("/users")
                    #expect(listed.text.contains("ada@example.com") && listed.text.contains("bob@example.com"), "\(listed.text)")
                    let state = try await Harness.state(front, .telnessConnect)
                    #expect(state["users"]?["new"]?["living"]?.int == 1)
                    #expect(state["users"]?["old"]?["living"]?.int == 1)
                }
            }
        }
    }

    @Test func cutoverWithMirroredWritesMakesShadowARollbackThatLosesNothing() async throws {
        try await TestGateway(engine: .sqlite).run { old in
            try await TestGateway(engine: .sqlite).run { new in
                let gateway = Harness.front(
                    caller: .voltMXAudience, old: Harness.upstream("old", port: old.port!, dialect: .voltMXAudience),
                    new: Harness.upstream("new", port: new.port!, dialect: .telnessConnect), plan: Harness.plan(.cutover))
                let source = ReloadTests.Source(gateway.configuration)
                let reloader = GatewayReloader { try source.read() }
                try await gateway.run(reloader: reloader) { front in
                    let created = try await front.post("/api/v1/audience", Samples.audience(email: "ada@example.com"))
                    let id = try #require(created.json["id"]?.string)
                    #expect(try await new.get("/users").text.contains("ada@example.com"))
                    let renamed = try await front.json(.put, "/api/v1/audience/\(id)", #"{"firstName":"Augusta"}"#)
                    #expect(renamed.status == .ok, "\(renamed.text)")
                    try await Harness.waitFor(front, .voltMXAudience, "the mirrored writes") {
                        Harness.pending($0) == 0 && $0["users"]?["old"]?["held"]?.int == 1
                    }
                    source.change { $0.dialects[.voltMXAudience]?.migration?.stage = .shadow }
                    #expect(await reloader.reload(trigger: "test") == .applied(needsRestart: []))
                    // Answered by the old system now: the same id, the change kept.
                    let read = try await front.get("/api/v1/audience/\(id)")
                    #expect(read.status == .ok, "\(read.text)")
                    #expect(read.json["firstName"]?.string == "Augusta")
                    #expect(read.json["email"]?.string == "ada@example.com")
                }
            }
        }
    }

    @Test func reloadsBetweenSplitAndCutoverUnderTrafficLoseNoRequest() async throws {
        try await TestGateway(engine: .sqlite).run { old in
            try await TestGateway(engine: .sqlite).run { new in
                let gateway = Harness.front(
                    caller: .telnessConnect, old: Harness.upstream("old", port: old.port!, dialect: .telnessConnect),
                    new: Harness.upstream("new", port: new.port!, dialect: .telnessConnect), plan: Harness.plan(.split) { $0.percent = 50 })
                let source = ReloadTests.Source(gateway.configuration)
                let reloader = GatewayReloader { try source.read() }
                try await gateway.run(reloader: reloader) { front in
                    var ids: [String] = []
                    for n in 0..<6 {
                        let created = try await front.post("/users", #"{"name":"Known \#(n)","email":"known\#(n)@example.com"}"#)
                        ids.append(try #require(created.json["userId"]?.string))
                    }
                    try await Harness.waitFor(front, .telnessConnect, "both sides to hold every user") {
                        Harness.pending($0) == 0 && $0["users"]?["old"]?["held"]?.int == 6 && $0["users"]?["new"]?["held"]?.int == 6
                    }
                    // Creates and reads, each on a connection of its own, while the stage flips.
                    let requests = (0..<120).map { index in
                        index % 2 == 0
                            ? ConcurrentRequests.Request(path: "/users", body: #"{"name":"User \#(index)","email":"u\#(index)@example.com"}"#)
                            : ConcurrentRequests.Request(method: .GET, path: "/users/\(ids[index % ids.count])")
                    }
                    let port = try #require(front.port)
                    try await withThrowingTaskGroup(of: [UInt].self) { group in
                        group.addTask { try await ConcurrentRequests.statuses(port: port, requests) }
                        group.addTask {
                            for round in 0..<8 {
                                source.change { $0.dialects[.telnessConnect]?.migration?.stage = round % 2 == 0 ? .cutover : .split }
                                #expect(await reloader.reload(trigger: "test") == .applied(needsRestart: []))
                            }
                            return []
                        }
                        for try await statuses in group {
                            for (index, status) in statuses.enumerated() { #expect(status == (index % 2 == 0 ? 201 : 200), "request \(index)") }
                        }
                    }
                }
            }
        }
    }

    @Test func theMigrationRouteIsForAdminsOnly() async throws {
        let bobKey = "dgm_bob_0123456789abcdefghijklmnopqrstuvwx"
        try await TestGateway(engine: .sqlite).run { old in
            var gateway = Harness.front(
                caller: .telnessConnect, old: Harness.upstream("old", port: old.port!, dialect: .telnessConnect),
                new: Harness.upstream("new", port: old.port!, dialect: .voltMXAudience), plan: Harness.plan(.shadow))
            gateway.configuration.principals.append(Principal(name: "bob", apiKeyHashes: [SecretDigest.sha256Hex(bobKey)]))
            try await gateway.run { front in
                let anonymous = try await front.get(MigrationController.path)
                #expect(anonymous.status == .unauthorized)
                #expect(anonymous.headers[.wwwAuthenticate] != nil)
                let bob = try await front.send(MigrationController.path, method: .get, headers: [HTTPField.Name("X-API-Key")!: bobKey], body: nil)
                #expect(bob.status == .forbidden)
                let state = try await Harness.state(front, .telnessConnect)
                #expect(state["stage"]?.string == "shadow")
                #expect(state["candidate"]?.string == "new")
                #expect(state["mirrorWrites"] == .bool(true))
            }
        }
    }
}
