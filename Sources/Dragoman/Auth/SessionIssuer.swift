import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
import HTTPTypes
import Hummingbird

/// Creates and ends login sessions and writes their cookies. Every login gets a new random id;
/// the store keeps only its digest.
struct SessionIssuer: Sendable {
    let store: any SessionStore
    /// How long a session lasts, and how long one lasts whose login asked to be remembered
    /// (a dialect's own login may offer that).
    let ttl: TimeInterval
    let rememberMeTTL: TimeInterval

    /// A new session for `principal`; returns its id.
    func open(for principal: Principal, rememberMe: Bool = false, now: Date = Date()) async throws -> (id: String, expires: Date) {
        let id = SecretDigest.randomToken()
        let expires = now.addingTimeInterval(rememberMe ? rememberMeTTL : ttl)
        try await store.createSession(digest: SecretDigest.sha256Hex(id), record: SessionRecord(principal: principal.name, expiresAt: expires))
        return (id, expires)
    }

    func close(id: String) async throws {
        try await store.deleteSession(digest: SecretDigest.sha256Hex(id))
    }

    /// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, `Path=/`, and `Secure` over TLS.
    static func cookie(_ name: String, _ value: String, maxAge: Int?, secure: Bool, sameSite: String = "Lax", path: String = "/") -> HTTPField {
        var parts = ["\(name)=\(value)", "Path=\(path)", "HttpOnly", "SameSite=\(sameSite)"]
        if let maxAge { parts.append("Max-Age=\(maxAge)") }
        if secure { parts.append("Secure") }
        return HTTPField(name: .setCookie, value: parts.joined(separator: "; "))
    }
}
