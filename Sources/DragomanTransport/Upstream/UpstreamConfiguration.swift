public import DragomanCore
public import DragomanDialectKit
import DragomanStore
public import Foundation

/// A backend Dragoman forwards to: where it is, which dialect it speaks, how Dragoman signs in
/// to it, how long to wait, and the defaults for fields it requires that callers may lack.
public struct UpstreamConfiguration: Sendable, Equatable {
    /// How Dragoman authenticates to the backend.
    public enum Authentication: Sendable, Equatable {
        case none
        case basic(user: String, password: Secret)
        /// An API key in a header (`X-API-Key` by default).
        case apiKey(header: String, key: Secret)
        case bearer(key: Secret)
        /// The backend dialect's own session login (its ``BackendSignIn``), the session sent in
        /// its header, and a new login when the backend says the session has expired.
        case session(user: String, password: Secret)
    }

    /// What to do when the backend requires a password the caller's dialect has none for.
    public enum PasswordPolicy: String, Sendable, CaseIterable {
        /// Refuse the request (400 naming the field).
        case reject
        /// Send a random 24-character password; it is never stored or shown.
        case generate
    }

    /// What to do when the backend requires a user name the caller's dialect has none for.
    public enum UserNamePolicy: String, Sendable, CaseIterable {
        case reject
        /// Use the local part of the email address.
        case fromEmail
    }

    public var name: String
    /// The base URL including any context path (`http://host:8080/kpns`), without a trailing slash.
    public var baseURL: String
    public var dialect: DialectID
    public var authentication: Authentication = .none
    public var connectTimeout: TimeInterval = 2
    public var requestTimeout: TimeInterval = 10
    /// Keep-alive connections held open to the backend (AsyncHTTPClient's per-host soft limit):
    /// more concurrent requests than this wait for one to come free rather than opening and
    /// closing connections of their own.
    public var maxConnections = 128
    /// The tenant the backend's users belong to (``UserField/tenant``), for a backend dialect
    /// that requires one and callers whose dialect has none (set by that dialect's own
    /// upstream default).
    public var tenant: String?
    public var password: PasswordPolicy = .reject
    public var userName: UserNamePolicy = .reject
    public var permissionIDs: [Int64]?
    public var country: String?
    /// Consecutive failures that open the circuit breaker, and how long it stays open.
    /// What a deactivation does to the backend's user.
    public var deactivate: DeactivatePolicy = .disable
    public var breakerFailures = 5
    public var breakerCooldown: TimeInterval = 10
    /// The CA bundle to trust and the client certificate to present, for an `https://` backend.
    public var tls = UpstreamTLS()

    public init(name: String, baseURL: String, dialect: DialectID) {
        self.name = name
        self.baseURL = baseURL
        self.dialect = dialect
    }
}

/// What a deactivation (a caller setting `active` to false, as identity providers deprovision)
/// does to the backend's user.
public enum DeactivatePolicy: String, Sendable, CaseIterable {
    /// An update of the backend's status field, where its dialect has one; elsewhere the field
    /// is lost (refused or dropped, as the route's `lostFields` says).
    case disable
    /// The backend's user is deleted; the caller is answered with the user, inactive.
    case delete
}

/// What a forwarding route does with a field the backend's dialect cannot carry.
public enum LostFieldPolicy: String, Sendable, CaseIterable {
    /// Refuse the request with a 400 naming the field.
    case reject
    /// Send the rest, and name the dropped fields in `Dragoman-Dropped-Fields` and the log.
    case drop
    /// Send the rest, and keep those fields in Dragoman's store beside the id map: reads,
    /// lists (and their filters) and updates lay them over the backend's answers, so nothing
    /// the caller sent is lost.
    case keep
}
