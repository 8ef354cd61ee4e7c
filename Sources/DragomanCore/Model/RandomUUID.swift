public import Foundation

extension UUID {
    /// A version 4 (random) UUID drawn from the system's random number generator.
    ///
    /// Foundation's `UUID()` on Linux opens, reads and closes `/dev/urandom` on every call,
    /// three system calls per id on every create; this draws the same 122 random bits with
    /// `SystemRandomNumberGenerator` (the kernel's `getrandom`), no file involved.
    public static func random() -> UUID {
        var generator = SystemRandomNumberGenerator()
        return UUID(version: 4, high: generator.next(), low: generator.next())
    }

    /// A version 7 UUID (RFC 9562): the Unix time of `date` in milliseconds in its first 48
    /// bits, then 74 random bits from the system's generator.
    ///
    /// For the ids of stored rows (users, id mappings): ids made one after another sort one
    /// after another, so each insert lands on the last page of the id's unique index instead
    /// of a random one. With random ids every create dirtied, wrote to the WAL and later
    /// checkpointed one page of that index of its own, and read it back when the index
    /// outgrew SQLite's page cache (issue 10's profile of creates). The ids stay as hard to
    /// guess (74 random bits); they tell when the row was made, which the dialects' answers
    /// already do.
    public static func timeOrdered(at date: Date = Date()) -> UUID {
        var generator = SystemRandomNumberGenerator()
        let milliseconds = UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded(.down))) & 0xFFFF_FFFF_FFFF
        let randomA: UInt64 = generator.next() & 0x0FFF
        return UUID(version: 7, high: milliseconds << 16 | randomA, low: generator.next())
    }

    /// The UUID of the 128 bits `high` and `low`, with `version` in the high nibble of byte 6
    /// and the RFC 9562 variant (10xx) in byte 8.
    private init(version: UInt64, high: UInt64, low: UInt64) {
        let versioned = (high & 0xFFFF_FFFF_FFFF_0FFF) | version << 12
        let varianted = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        self = withUnsafeBytes(of: (versioned.bigEndian, varianted.bigEndian)) { bytes in
            UUID(
                uuid: (
                    bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                    bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
                ))
        }
    }
}
