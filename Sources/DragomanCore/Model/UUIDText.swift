public import Foundation

extension UUID {
    /// The UUID's canonical text, 8-4-4-4-12 hex digits: uppercase, as `uuidString` writes it
    /// (the form the stores keep), or lowercase. Written by hand into the string's own buffer:
    /// Foundation's `uuidString` formats with `snprintf` on Linux, on every request that reads,
    /// stores or answers with an id (issue 10's profile).
    public func text(uppercase: Bool = true) -> String {
        withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var index = 0
                for (offset, byte) in bytes.enumerated() {
                    if offset == 4 || offset == 6 || offset == 8 || offset == 10 {
                        out[index] = UInt8(ascii: "-")
                        index += 1
                    }
                    out[index] = HexDigit.ascii(byte >> 4, uppercase: uppercase)
                    out[index + 1] = HexDigit.ascii(byte & 0xF, uppercase: uppercase)
                    index += 2
                }
                return index
            }
        }
    }

    /// The UUID as 32 lowercase hex digits with no dashes (.NET's `Guid.ToString("N")`).
    public var compactText: String {
        withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 32) { out in
                for (offset, byte) in bytes.enumerated() {
                    out[2 * offset] = HexDigit.ascii(byte >> 4, uppercase: false)
                    out[2 * offset + 1] = HexDigit.ascii(byte & 0xF, uppercase: false)
                }
                return 32
            }
        }
    }
}

/// One hex digit as its ASCII byte; for ids written straight into a string's buffer.
public enum HexDigit {
    /// The digit of `nibble`'s low four bits, `0-9a-f` or `0-9A-F`.
    @inlinable
    public static func ascii(_ nibble: UInt8, uppercase: Bool = false) -> UInt8 {
        let value = nibble & 0xF
        return value < 10 ? 0x30 + value : (uppercase ? 0x37 : 0x57) + value
    }
}
