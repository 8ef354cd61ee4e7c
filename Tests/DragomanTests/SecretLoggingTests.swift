import DragomanCore
import DragomanTransport
import Foundation
import InMemoryLogging
import Logging
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// Passwords are never logged nor echoed back, whatever happens to the request.
@Suite struct SecretLoggingTests {
    @Test func passwordsNeverReachTheLogOrTheResponse() async throws {
        let handler = InMemoryLogHandler()
        var logger = Logger(label: "test") { _ in handler }
        logger.logLevel = .trace
        let password = "Sup3rSecret!Pass"
        try await TestGateway().run(logger: logger) { client in
            let access = Samples.accessManagement.replacingOccurrences(of: "VoltMX@123", with: password)
            var replies = [try await client.post("/api/v1/accessmgmt/users", access)]
            replies.append(try await client.post("/api/v1/accessmgmt/users", access))
            replies.append(try await client.post("/api/v1/accessmgmt/users", access.replacingOccurrences(of: "\"displayName\"", with: "\"bogus\"")))
            let ccc = #"{"emailAddress":"a@b.com","password":"\#(password)","firstName":"A","lastName":"B"}"#
            replies.append(try await client.post(Samples.cccPath, ccc))
            replies.append(try await client.post(Samples.cccPath, ccc))
            replies.append(try await client.post(Samples.cccPath, ccc.replacingOccurrences(of: "a@b.com", with: "bad")))
            replies.append(try await client.get("/api/v1/accessmgmt/users/1"))
            for reply in replies { #expect(!reply.text.contains(password)) }
        }
        let logged = handler.entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(!logged.isEmpty)
        #expect(!logged.contains(password))
        #expect(!logged.contains("$2b$"))
    }

    @Test func secretsPrintRedacted() {
        let secret = Secret("hunter2")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
    }
}

@Suite struct APIKeyTests {
    @Test func newKeysAreRandomAndStoredAsTheirDigest() {
        let first = APIKey.generate()
        let second = APIKey.generate()
        #expect(first.key.hasPrefix("dgm_") && first.key.count == 36)
        #expect(first.key != second.key)
        #expect(first.digest == APIKey.digest(first.key))
        #expect(first.digest.count == 64 && !first.digest.contains(first.key))
    }

    @Test func keysAreFoundByDigestAndComparedInFull() {
        let directory = PrincipalDirectory([Principal(name: "ops", apiKeyHashes: [APIKey.digest("dgm_right")])])
        #expect(directory.principal(apiKey: "dgm_right")?.name == "ops")
        #expect(directory.principal(apiKey: "dgm_righ") == nil)
        #expect(directory.principal(apiKey: "dgm_right ") == nil)
        #expect(SecretDigest.constantTimeEquals("abc", "abc"))
        #expect(!SecretDigest.constantTimeEquals("abc", "abd"))
        #expect(!SecretDigest.constantTimeEquals("abc", "abcd"))
    }
}
