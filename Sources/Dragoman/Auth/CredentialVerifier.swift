import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
import HummingbirdBcrypt
import NIOConcurrencyHelpers
import NIOPosix

/// Checks credentials against the principals and the session store.
///
/// bcrypt is slow on purpose, so a verified password is remembered for ``cacheTTL`` under the
/// SHA-256 digest of the credential (never the credential itself): Basic auth under load costs
/// one bcrypt per credential per cache period, and concurrent requests with the same credential
/// share one check. An unknown user name still costs one bcrypt, so
/// timing does not reveal which names exist.
final class CredentialVerifier: Sendable {
    let directory: PrincipalDirectory
    let sessions: any SessionStore
    let cacheTTL: TimeInterval
    private struct CacheState {
        var verified: [String: (principal: String, expires: Date)] = [:]
        var inFlight: [String: Task<String?, Never>] = [:]
    }

    private let cache = NIOLockedValueBox(CacheState())
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
    var cachedKeys: [String] { cache.withLockedValue { Array($0.verified.keys) } }

    func verifyPassword(user: String, password: String, now: Date = Date()) async -> Principal? {
        let key = SecretDigest.sha256Hex("password\u{0}\(user)\u{0}\(password)")
        enum Step {
            case cached(String)
            case wait(Task<String?, Never>)
        }
        // One bcrypt per credential: concurrent requests with the same credential share one check.
        let step = cache.withLockedValue { state -> Step in
            if let cached = state.verified[key], cached.expires > now { return .cached(cached.principal) }
            if let running = state.inFlight[key] { return .wait(running) }
            let task = Task { await self.bcryptCheck(user: user, password: password) }
            state.inFlight[key] = task
            return .wait(task)
        }
        switch step {
        case .cached(let name):
            return directory.principal(named: name)
        case .wait(let task):
            let name = await task.value
            cache.withLockedValue { state in
                state.inFlight[key] = nil
                guard let name else { return }
                if state.verified.count >= Self.maxCacheEntries { state.verified = state.verified.filter { $0.value.expires > now } }
                if state.verified.count < Self.maxCacheEntries { state.verified[key] = (name, now.addingTimeInterval(cacheTTL)) }
            }
            return name.flatMap(directory.principal(named:))
        }
    }

    /// The principal's name when `password` is theirs; bcrypt runs on NIO's thread pool.
    private func bcryptCheck(user: String, password: String) async -> String? {
        let principal = directory.principal(named: user)
        let hash = principal?.passwordHash ?? Self.decoyHash
        let matches = (try? await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }) ?? false
        guard matches, let principal, principal.passwordHash != nil else { return nil }
        return principal.name
    }
}
