import DragomanCore
import DragomanDialectKit
import DragomanStore
import Synchronization

/// Mints request ids: 32 lowercase hex digits, a random half fixed for the process and a
/// counter that starts at a random value, as Hummingbird's own ids are (unique within the
/// process, hard to guess across processes), written straight into a 32-byte string.
package enum RequestIDs {
    private static let high = UInt64.random(in: .min ... .max)
    private static let counter = Atomic<UInt64>(UInt64.random(in: .min ... .max))

    /// A new id.
    package static func mint() -> String {
        let low = counter.wrappingAdd(1, ordering: .relaxed).oldValue
        return hex(high, low)
    }

    /// `high` and `low` as 32 hex digits, leading zeros kept.
    package static func hex(_ high: UInt64, _ low: UInt64) -> String {
        String(unsafeUninitializedCapacity: 32) { bytes in
            for index in 0..<16 {
                let shift = UInt64(60 - 4 * index)
                bytes[index] = HexDigit.ascii(UInt8(truncatingIfNeeded: high >> shift))
                bytes[16 + index] = HexDigit.ascii(UInt8(truncatingIfNeeded: low >> shift))
            }
            return 32
        }
    }
}
