import Crypto
import DragomanCore
import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation

/// The fingerprint a keyed request is compared by: SHA-256 over the canonical request, so two
/// requests that differ only in whitespace, key order, letter case of field names or body format
/// count as the same, while any change of a value, the password, the path or the query counts.
///
/// The password enters only through the digest; the fingerprint cannot be turned back into it
/// without guessing every other field as well.
enum RequestFingerprint {
    static func of(dialect: DialectID, path: String, query: [(name: String, value: String)], create: DecodedCreate) -> String {
        var hash = SHA256()
        func add(_ text: String) {
            // Length-prefixed, so no two different sequences of parts hash alike.
            hash.update(data: Data("\(text.utf8.count):".utf8))
            hash.update(data: Data(text.utf8))
        }
        add(dialect.rawValue)
        add(path)
        for item in query.sorted(by: { ($0.name, $0.value) < ($1.name, $1.value) }) {
            add(item.name)
            add(item.value)
        }
        add(create.user.realm)
        add(StoredDocument.profileJSON(create.user.profile))
        add(create.user.password == nil ? "-" : "+")
        add(create.user.password?.exposedValue ?? "")
        for violation in create.violations { add(violation.field.logName + String(reflecting: violation.rule)) }
        return SecretDigest.hex(hash.finalize())
    }
}
