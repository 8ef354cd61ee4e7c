public import Foundation

extension UUID {
    /// A version 4 (random) UUID drawn from the system's random number generator.
    ///
    /// Foundation's `UUID()` on Linux opens, reads and closes `/dev/urandom` on every call,
    /// three system calls per id on every create; this draws the same 122 random bits with
    /// `SystemRandomNumberGenerator` (the kernel's `getrandom`), no file involved.
    public static func random() -> UUID {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        // Version 4 in the high nibble of byte 6, the RFC 9562 variant (10xx) in byte 8.
        let versioned = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let varianted = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return withUnsafeBytes(of: (versioned.bigEndian, varianted.bigEndian)) { bytes in
            UUID(uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
        }
    }
}
