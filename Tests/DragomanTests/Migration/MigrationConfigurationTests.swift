import DragomanCore
import DragomanTransport
import Foundation
import Testing

@testable import Dragoman
@testable import DragomanDialectKit

/// `dialects.<id>.migration` and `principals.<name>.roles`: read whole, and every mistake named
/// by its key.
@Suite struct MigrationConfigurationTests {
    static let upstreams = """
        upstreams:
          old: {baseURL: "http://127.0.0.1:9001", dialect: telness-connect}
          new: {baseURL: "http://127.0.0.1:9002", dialect: voltmx-audience}
        """

    static func load(_ migration: String, mode: String = "forward") throws -> GatewayConfiguration {
        let yaml = "\(upstreams)\ndialects:\n  telness-connect:\n    mode: \(mode)\n    upstream: old\n    migration:\n\(migration)"
        return try GatewayConfiguration.load(path: try ConfigurationTests.file(yaml), environment: [:])
    }

    @Test func aMigrationIsReadWithEveryKey() throws {
        let configuration = try Self.load(
            """
                  candidate: new
                  stage: split
                  percent: 20
                  principals: [team-a, team-b]
                  mirrorWrites: true
                  ignore: [lastActiveDate, country]
                  sample: 0.25
                  outbox: {attempts: 5, firstBackoff: 0.5, maxBackoff: 60}

            """)
        let plan = try #require(configuration.dialects[.telnessConnect]?.migration)
        #expect(plan.candidate == "new")
        #expect(plan.stage == .split)
        #expect(plan.percent == 20)
        #expect(plan.principals == ["team-a", "team-b"])
        #expect(plan.mirrorWrites)
        #expect(plan.ignore == ["lastActiveDate", "country"])
        #expect(plan.sample == 0.25)
        #expect(plan.attempts == 5 && plan.firstBackoff == 0.5 && plan.maxBackoff == 60)
    }

    @Test(arguments: [
        ("      stage: shadow\n", "dialects.telness-connect.migration.candidate"),
        ("      candidate: nowhere\n      stage: shadow\n", "dialects.telness-connect.migration.candidate"),
        ("      candidate: old\n      stage: shadow\n", "dialects.telness-connect.migration.candidate"),
        ("      candidate: new\n", "dialects.telness-connect.migration.stage"),
        ("      candidate: new\n      stage: halfway\n", "dialects.telness-connect.migration.stage"),
        ("      candidate: new\n      stage: split\n      percent: 101\n", "dialects.telness-connect.migration.percent"),
        ("      candidate: new\n      stage: shadow\n      ignore: [nickname]\n", "dialects.telness-connect.migration.ignore"),
        ("      candidate: new\n      stage: shadow\n      mirrorWrite: true\n", "dialects.telness-connect.migration.mirrorWrite"),
        ("      candidate: new\n      stage: shadow\n      outbox: {attempts: 0}\n", "dialects.telness-connect.migration.outbox.attempts"),
        ("      candidate: new\n      stage: shadow\n      sample: 2\n", "dialects.telness-connect.migration.sample"),
    ])
    func aBadMigrationIsNamedByItsKey(migration: String, key: String) throws {
        #expect {
            try Self.load(migration)
        } throws: { error in
            (error as? ConfigurationError)?.key == key
        }
    }

    @Test func aMigrationNeedsAForwardingRoute() throws {
        #expect {
            try Self.load("      candidate: new\n      stage: shadow\n", mode: "local")
        } throws: { error in
            (error as? ConfigurationError)?.key == "dialects.telness-connect.migration.candidate"
        }
    }

    @Test func theShippedDemoPrincipalIsAnAdminAndRolesAreChecked() throws {
        let shipped = try GatewayConfiguration.load(path: ConfigurationTests.shippedConfig, environment: [:])
        #expect(shipped.principals.first { $0.name == DemoPrincipal.name }?.isAdmin == true)
        let path = try ConfigurationTests.file("principals:\n  ops:\n    apiKeys: [\(String(repeating: "a", count: 64))]\n    roles: [root]\n")
        #expect {
            try GatewayConfiguration.load(path: path, environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.key == "principals.ops.roles"
        }
    }
}

/// The comparison's rules: translation-aware, in canonical terms.
@Suite struct ProfileComparisonTests {
    static func profile(_ adjust: (inout UserProfile) -> Void) -> UserProfile {
        var profile = UserProfile()
        adjust(&profile)
        return profile
    }

    @Test func aFieldOneSideCannotCarryIsNotCarriedNotADifference() {
        let primary = Self.profile {
            $0.email = "ada@example.com"
            $0.country = "India"
        }
        let candidate = Self.profile { $0.email = "ada@example.com" }
        let result = ProfileComparison.compare(primary, carrying: [.email, .country], with: candidate, carrying: [.email], fields: .standard)
        #expect(result.isSame)
        #expect(result.notCarried == [.country])
    }

    @Test func namesAreComparedInTheFormBothSidesCarry() {
        let parts = Self.profile {
            $0.givenName = "Ada"
            $0.familyName = "Lovelace"
        }
        let whole = Self.profile { $0.displayName = "Ada Lovelace" }
        #expect(ProfileComparison.compare(parts, carrying: [.givenName, .familyName], with: whole, carrying: [.displayName], fields: .standard).isSame)
        let other = Self.profile { $0.displayName = "Augusta Lovelace" }
        let result = ProfileComparison.compare(parts, carrying: [.givenName, .familyName], with: other, carrying: [.displayName], fields: .standard)
        #expect(result.differences == [FieldDifference(field: .displayName, primary: "\"Ada Lovelace\"", candidate: "\"Augusta Lovelace\"")])
    }

    @Test func idListsAreComparedAsSetsAndValuesExactly() {
        let a = Self.profile {
            $0.permissionIDs = [3, 1]
            $0.email = "ada@example.com"
        }
        let b = Self.profile {
            $0.permissionIDs = [1, 3]
            $0.email = "Ada@example.com"
        }
        let result = ProfileComparison.compare(a, carrying: [.permissionIDs, .email], with: b, carrying: [.permissionIDs, .email], fields: .standard)
        #expect(result.differences.map(\.field) == [.email])
    }

    @Test func ignoredServerManagedDefaultedAndSecretFieldsAreSkipped() {
        let a = Self.profile {
            $0.country = nil
            $0.lastActiveDate = "08/23/2017"
        }
        let b = Self.profile {
            $0.country = "Sweden"
            $0.lastActiveDate = "01/01/2020"
        }
        let carried: Set<UserField> = [.country, .lastActiveDate, .password, .tenant]
        #expect(
            ProfileComparison.compare(a, carrying: carried, with: b, carrying: carried, fields: .standard, ignoring: [.lastActiveDate], defaulted: [.country])
                .isSame)
        #expect(!ProfileComparison.compare(a, carrying: carried, with: b, carrying: carried, fields: .standard).isSame)
    }

    @Test func aSplitsPlacementIsStableAndFollowsPrincipalsAndShare() {
        var plan = MigrationPlan(candidate: "new", stage: .split)
        plan.percent = 50
        let placed = (0..<200).map { plan.placesOnCandidate(key: "user\($0)@example.com", principal: nil) }
        #expect(placed == (0..<200).map { plan.placesOnCandidate(key: "USER\($0)@example.com", principal: nil) })
        #expect(placed.filter { $0 }.count > 60 && placed.filter { $0 }.count < 140)
        plan.percent = 0
        plan.principals = ["team-a"]
        #expect(plan.placesOnCandidate(key: "a@example.com", principal: "team-a"))
        #expect(!plan.placesOnCandidate(key: "a@example.com", principal: "team-b"))
    }
}
