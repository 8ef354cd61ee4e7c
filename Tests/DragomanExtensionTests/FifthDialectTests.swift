import Dragoman
import DragomanCore
import DragomanDialectKit
import DragomanTransport
import Foundation
import HTTPTypes
import Testing

/// A dialect added from outside the gateway's targets, with a field of its own: it answers
/// locally over real HTTP (created, validated, stored, merged on update, read back, also after
/// a restart on the same store), and it is a forward target for an existing dialect.
@Suite struct FifthDialectTests {
    static let ada = #"{"fullName":"Ada Lovelace","mail":"ada@acme.example","nick":"  Countess  "}"#

    @Test func aRegisteredDialectCreatesAndReadsAUserWithItsOwnField() async throws {
        try await ExtensionGateway().run { client in
            let created = try await client.send(.post, "/acme/people", Self.ada)
            #expect(created.status == .created, "\(created.text)")
            let id = try #require(created.string("id"))
            #expect(created.string("nick") == "Countess")
            let read = try await client.send(.get, "/acme/people/\(id)")
            #expect(read.status == .ok)
            #expect(read.string("fullName") == "Ada Lovelace")
            #expect(read.string("nick") == "Countess")
        }
    }

    @Test func theAddedFieldIsStoredWithTheUserAndReadBackAfterARestart() async throws {
        let store = StoreLocation()
        let first = try ExtensionGateway(store: store)
        let box = IDBox()
        try await first.run { client in
            let created = try await client.send(.post, "/acme/people", Self.ada)
            box.id = created.string("id")
        }
        let id = try #require(box.id)
        try await ExtensionGateway(store: store).run { client in
            let read = try await client.send(.get, "/acme/people/\(id)")
            #expect(read.status == .ok, "\(read.text)")
            #expect(read.string("nick") == "Countess")
        }
    }

    @Test func theAddedFieldIsValidatedAndErrorsUseTheDialectsNames() async throws {
        try await ExtensionGateway().run { client in
            let tooLong = String(repeating: "n", count: 300)
            let invalid = try await client.send(.post, "/acme/people", #"{"fullName":"Ada","mail":"not an address","nick":"\#(tooLong)","shoe":1}"#)
            #expect(invalid.status == .unprocessableContent)
            #expect(Set(invalid.json["fields"] as? [String] ?? []) == ["mail", "nick", "shoe"])
            let hidden = try await client.send(.post, "/acme/people", #"{"fullName":"Ada","mail":"ada@acme.example","nick":"a\u202Eb"}"#)
            #expect(hidden.json["fields"] as? [String] == ["nick"])
            _ = try await client.send(.post, "/acme/people", #"{"fullName":"Ada","mail":"ada@acme.example"}"#)
            let duplicate = try await client.send(.post, "/acme/people", #"{"fullName":"Ada Two","mail":"ADA@acme.example"}"#)
            #expect(duplicate.status == .conflict)
            let missing = try await client.send(.get, "/acme/people/\(UUID().uuidString)")
            #expect(missing.status == .notFound)
        }
    }

    @Test func anUpdateMergesTheAddedFieldAndKeepsWhatItDoesNotSend() async throws {
        try await ExtensionGateway().run { client in
            let created = try await client.send(.post, "/acme/people", Self.ada)
            let id = try #require(created.string("id"))
            let renamed = try await client.send(.put, "/acme/people/\(id)", #"{"nick":"Enchantress of Numbers"}"#)
            #expect(renamed.status == .ok, "\(renamed.text)")
            let read = try await client.send(.get, "/acme/people/\(id)")
            #expect(read.string("nick") == "Enchantress of Numbers")
            #expect(read.string("mail") == "ada@acme.example")
            #expect(read.string("fullName") == "Ada Lovelace")
        }
    }

    @Test func otherDialectsReadTheUserButNotTheAddedField() async throws {
        try await ExtensionGateway().run { client in
            let created = try await client.send(.post, "/acme/people", Self.ada)
            let id = try #require(created.string("id"))
            let telness = try await client.send(.get, "/users/\(id.lowercased())")
            #expect(telness.status == .ok)
            #expect(telness.string("email") == "ada@acme.example")
            #expect(!telness.text.contains("Countess"))
        }
    }

    @Test func anExistingDialectIsForwardedToTheFifthDialectsServer() async throws {
        try await ExtensionGateway().run { back in
            var upstream = UpstreamConfiguration(name: "acme", baseURL: "http://127.0.0.1:\(back.port!)", dialect: .acmePeople)
            upstream.requestTimeout = 10
            let front = try ExtensionGateway { configuration in
                configuration.upstreams = ["acme": upstream]
                configuration.dialects[DialectID(rawValue: "telness-connect")]?.mode = .forward
                configuration.dialects[DialectID(rawValue: "telness-connect")]?.upstream = "acme"
            }
            try await front.run { client in
                let created = try await client.send(.post, "/users", #"{"name":"Grace Hopper","email":"grace@acme.example"}"#)
                #expect(created.status == .created, "\(created.text)")
                let id = try #require(created.string("userId"))
                let read = try await client.send(.get, "/users/\(id)")
                #expect(read.status == .ok, "\(read.text)")
                #expect(read.string("name") == "Grace Hopper")
                #expect(read.string("email") == "grace@acme.example")
                let refused = try await client.send(.post, "/users", #"{"name":"Grace Hopper","email":"GRACE@acme.example"}"#)
                #expect(refused.status == .conflict, "\(refused.text)")
            }
            // The user lives on the Acme server, which refuses the same address itself.
            let again = try await back.send(.post, "/acme/people", #"{"fullName":"Grace","mail":"grace@acme.example"}"#)
            #expect(again.status == .conflict)
        }
    }

    @Test func theFifthDialectsRoutesAreClosedByItsDefaultAuthChain() async throws {
        let gateway = try ExtensionGateway { configuration in
            configuration.dialects[.acmePeople] = GatewayConfiguration.DialectSettings(auth: AuthPolicy(schemes: DialectRegistration.acmePeople.defaultSchemes))
        }
        try await gateway.run { client in
            let refused = try await client.send(.post, "/acme/people", Self.ada)
            #expect(refused.status == .unauthorized)
            #expect(refused.string("problem") == "who are you")
        }
    }

    @Test func theStandardRegistryKnowsNothingOfTheFifthDialect() {
        #expect(!DialectRegistry.standard.ids.contains(.acmePeople))
        #expect(DialectRegistry.standard.adding(.acmePeople).ids.last == .acmePeople)
    }
}

/// The id a first gateway's test body learnt, for the second gateway's.
final class IDBox: @unchecked Sendable {
    var id: String?
}
