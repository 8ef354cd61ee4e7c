public import Foundation

/// What text a user field may hold, and the one form it is kept in.
///
/// Every text is put in Unicode NFC before it is validated, stored or compared, so the same
/// name typed precomposed (`é`) or decomposed (`e` + U+0301) is the same name and the same
/// address. Characters that are invisible or rewrite how text around them is shown are refused:
/// C0 and C1 controls and DEL (NUL, ESC and terminal escape sequences), bidirectional controls
/// (U+202E and friends), other format characters (U+200B zero width space, U+00AD soft hyphen,
/// U+FEFF) and the line and paragraph separators. Names may keep U+200C and U+200D, the joiners
/// that Persian, Indic scripts and emoji sequences need.
public enum CleanText {
    /// `text` in NFC.
    public static func normalised(_ text: String) -> String {
        // Text with no scalar from U+0300 (where combining marks begin) on is already NFC: the
        // common case skips Foundation's normalisation, which is costly.
        if text.utf8.allSatisfy({ $0 < 0x80 }) || text.unicodeScalars.allSatisfy({ $0.value < 0x300 }) { return text }
        return text.precomposedStringWithCanonicalMapping
    }

    /// The first character `text` may not hold, or `nil`.
    public static func forbidden(in text: String, allowJoiners: Bool = false) -> Unicode.Scalar? {
        // Printable ASCII is never forbidden; only other scalars need their properties looked up.
        if text.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) { return nil }
        return text.unicodeScalars.first { isForbidden($0, allowJoiners: allowJoiners) }
    }

    static func isForbidden(_ scalar: Unicode.Scalar, allowJoiners: Bool) -> Bool {
        if allowJoiners, scalar.value == 0x200C || scalar.value == 0x200D { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate: return true
        default: return false
        }
    }

    /// How a forbidden character is named in an error: its code point, never the character.
    public static func describe(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
