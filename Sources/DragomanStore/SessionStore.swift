import DragomanDialectKit
public import Foundation

/// A login session as stored: whose it is and until when. The session id itself is never
/// stored, only its SHA-256 digest, so a copy of the database does not hand out sessions.
public struct SessionRecord: Sendable, Equatable {
    public var principal: String
    public var expiresAt: Date

    public init(principal: String, expiresAt: Date) {
        self.principal = principal
        self.expiresAt = expiresAt
    }
}

/// Durable storage for sessions, so they survive a restart and are shared by every instance
/// using the same store.
public protocol SessionStore: Sendable {
    func createSession(digest: String, record: SessionRecord) async throws
    /// The session, or `nil` when there is none or it expired before `now`.
    func session(digest: String, now: Date) async throws -> SessionRecord?
    func deleteSession(digest: String) async throws
    /// Removes sessions that expired before `now`; returns how many.
    @discardableResult func deleteExpiredSessions(now: Date) async throws -> Int
}
