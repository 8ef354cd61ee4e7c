import DragomanDialectKit
import DragomanStore
import DragomanTransport

/// The principals, looked up by name or by API key.
struct PrincipalDirectory: Sendable {
    let principals: [String: Principal]

    init(_ principals: [Principal]) {
        self.principals = Dictionary(principals.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func principal(named name: String) -> Principal? { principals[name] }

    /// The principal owning the key, comparing against every stored digest in constant time.
    func principal(apiKey: String) -> Principal? {
        let digest = SecretDigest.sha256Hex(apiKey)
        var found: Principal?
        for principal in principals.values.sorted(by: { $0.name < $1.name }) {
            for stored in principal.apiKeyHashes where SecretDigest.constantTimeEquals(stored, digest) {
                found = principal
            }
        }
        return found
    }
}

/// The demo principal the default configuration ships with, so the README's examples work on a
/// fresh clone. Dragoman refuses to start with it on any address but loopback.
public enum DemoPrincipal {
    public static let name = "demo"
    public static let password = "demo-password"
    public static let apiKey = "dgm_demo_0123456789abcdefghijklmnopqrstuv"
}
