import Crypto
import Foundation

/// Hashing and comparison of secrets: SHA-256 digests in hex, compared in constant time, and
/// random tokens for API keys, session ids and CSRF tokens.
package enum SecretDigest {
    /// The SHA-256 digest of `text`, as 64 lowercase hex digits.
    package static func sha256Hex(_ text: String) -> String {
        hex(SHA256.hash(data: Array(text.utf8)))
    }

    /// Bytes as lowercase hexadecimal, without a formatter per byte.
    package static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Whether two strings are equal, taking the same time wherever they differ.
    package static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= x ^ y
        }
        return difference == 0
    }

    /// A random token of `bytes` random bytes, URL-safe Base64 without padding.
    package static func randomToken(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let data = Data((0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// API keys: how new ones are made and how they are stored.
public enum APIKey {
    /// A new random key (`dgm_` and 32 URL-safe Base64 characters, 192 bits) with the SHA-256
    /// digest that goes in the configuration.
    public static func generate() -> (key: String, digest: String) {
        let key = "dgm_" + SecretDigest.randomToken(bytes: 24)
        return (key, digest(key))
    }

    /// The SHA-256 digest of `key`, as stored in the configuration.
    public static func digest(_ key: String) -> String { SecretDigest.sha256Hex(key) }
}
