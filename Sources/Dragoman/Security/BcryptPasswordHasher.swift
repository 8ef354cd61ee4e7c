public import DragomanCore
import DragomanDialectKit
import DragomanStore
import DragomanTransport
import HummingbirdBcrypt
import NIOPosix

/// Hashes passwords with bcrypt on NIO's thread pool, so the event loops never block on it.
public struct BcryptPasswordHasher: PasswordHasher {
    /// The bcrypt cost: 2^cost rounds. 12 takes about 275 ms here; tests use 4.
    public var cost: UInt8

    public init(cost: UInt8) {
        self.cost = cost
    }

    public func hash(_ password: Secret) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive {
            Bcrypt.hash(password.exposedValue, cost: cost)
        }
    }
}
