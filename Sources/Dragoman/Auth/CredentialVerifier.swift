import Foundation
import HummingbirdBcrypt
import NIOConcurrencyHelpers
import NIOPosix

/// Checks credentials against the principals and the session store.
///
/// bcrypt is slow on purpose, so a verified password is remembered for ``cacheTTL`` under the
/// SHA-256 digest of the credential (never the credential itself): Basic auth under load costs
/// one bcrypt per credential per cache period. An unknown user name still costs one bcrypt, so
/// timing does not reveal which names exist.
final class CredentialVerifier: Sendable {
    let directory: PrincipalDirectory
    let sessions: any SessionStore
    let cacheTTL: TimeInterval
    private let cache = NIOLockedValueBox([String: (principal: String, expires: Date)]())
    private static let maxCacheEntries = 10_000
    /// A bcrypt hash nobody's password matches, verified against when the user name is unknown.
    private static let decoyHash = Bcrypt.hash(SecretDigest.randomToken(), cost: 10)

    init(directory: PrincipalDirectory, sessions: any SessionStore, cacheTTL: TimeInterval) {
        self.directory = directory
        self.sessions = sessions
        self.cacheTTL = cacheTTL
    }

    /// The principal `credential` proves, or `nil`.
    func verify(_ credential: PresentedCredential, now: Date = Date()) async -> Principal? {
        switch credential {
        case .malformed:
            return nil
        case .apiKey(let key):
            return directory.principal(apiKey: key)
        case .session(let id):
            guard let record = try? await sessions.session(digest: SecretDigest.sha256Hex(id), now: now) else { return nil }
            return directory.principal(named: record.principal)
        case .password(let user, let password):
            return await verifyPassword(user: user, password: password, now: now)
        }
    }

    /// The cache's keys: digests only (for tests).
    var cachedKeys: [String] { cache.withLockedValue { Array($0.keys) } }

    func verifyPassword(user: String, password: String, now: Date = Date()) async -> Principal? {
        let key = SecretDigest.sha256Hex("password\u{0}\(user)\u{0}\(password)")
        if let cached = cache.withLockedValue({ $0[key] }), cached.expires > now {
            return directory.principal(named: cached.principal)
        }
        let principal = directory.principal(named: user)
        let hash = principal?.passwordHash ?? Self.decoyHash
        let matches = (try? await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }) ?? false
        guard matches, let principal, principal.passwordHash != nil else { return nil }
        cache.withLockedValue { cache in
            if cache.count >= Self.maxCacheEntries { cache = cache.filter { $0.value.expires > now } }
            if cache.count < Self.maxCacheEntries { cache[key] = (principal.name, now.addingTimeInterval(cacheTTL)) }
        }
        return principal
    }
}
