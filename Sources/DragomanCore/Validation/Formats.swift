/// Email addresses: one definition for every dialect, since dialects that share a realm must
/// agree on which addresses exist. Internationalised addresses (RFC 6531/6532) are accepted.
///
/// - The whole address is at most 254 characters, in NFC (``CleanText``), without white space
///   or control and format characters.
/// - The local part is a dot-atom of 1 to 64 UTF-8 bytes: letters and digits of any script and
///   ``localSymbols``, with dots only between other characters (no leading, trailing or
///   doubled dot). Quoted local parts are not accepted.
/// - The domain has at least two dot-separated labels of 1 to 63 letters, digits (any script)
///   or hyphens, not starting or ending with a hyphen; the last label is not all digits.
///
/// Two addresses are the same when their NFC forms are equal ignoring letter case.
public enum EmailAddress {
    /// The symbols a local part may hold beside letters, digits and dots (RFC 5322 atext).
    public static let localSymbols: Set<Character> = ["!", "#", "$", "%", "&", "'", "*", "+", "-", "/", "=", "?", "^", "_", "`", "{", "|", "}", "~"]

    public static func isValid(_ text: String) -> Bool {
        // Nearly every address is ASCII: checked on its bytes, by the same rules, without
        // grapheme breaking or Unicode properties (issue 10's profile: 4 % of a create).
        if let verdict = text.utf8.withContiguousStorageIfAvailable({ bytes in bytes.allSatisfy { $0 < 0x80 } ? isValidASCII(bytes) : nil }),
            let verdict
        {
            return verdict
        }
        return isValidByCharacters(text)
    }

    /// ``isValid(_:)`` on characters: any address, ASCII or not.
    static func isValidByCharacters(_ text: String) -> Bool {
        guard text.count <= 254, !text.contains(where: \.isWhitespace), CleanText.forbidden(in: text) == nil else { return false }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, isLocalPart(parts[0]) else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, let top = labels.last, !top.allSatisfy(\.isNumber) else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
        }
    }

    /// The same rules as ``isValid(_:)`` for an address of ASCII bytes only.
    static func isValidASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // No white space or control characters (CleanText forbids the controls, `isValid` the spaces).
        guard bytes.count <= 254, !bytes.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { return false }
        let parts = bytes.split(separator: UInt8(ascii: "@"), omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let local = parts[0]
        guard (1...64).contains(local.count), local.first != UInt8(ascii: "."), local.last != UInt8(ascii: "."),
            !zip(local, local.dropFirst()).contains(where: { $0 == UInt8(ascii: ".") && $1 == UInt8(ascii: ".") }),
            local.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: ".") || localSymbolBytes.contains($0) })
        else { return false }
        let labels = parts[1].split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2, let top = labels.last, !top.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.count) && label.first != UInt8(ascii: "-") && label.last != UInt8(ascii: "-")
                && label.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
        }
    }

    private static let localSymbolBytes: Set<UInt8> = Set(localSymbols.map { $0.asciiValue! })

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    static func isLocalPart(_ local: Substring) -> Bool {
        guard (1...64).contains(local.utf8.count), !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else { return false }
        return local.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || localSymbols.contains($0) }
    }

    /// The form two addresses are compared in for uniqueness: NFC, lowercased.
    public static func key(_ text: String) -> String { CleanText.normalised(text).lowercased() }
}

/// Phone numbers: the digits a dialect's ``PhoneRule`` checks.
public enum PhoneNumber {
    /// The digits of `text` after an optional leading `+`, or `nil` when anything else is there.
    public static func digits(_ text: String) -> Substring? {
        let digits = text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return digits
    }
}

/// Password limits shared by every dialect.
public enum PasswordPolicy {
    /// bcrypt reads at most 72 bytes; a longer password would be silently cut, so it is refused.
    public static let maxBytes = 72
}

extension String {
    func trimmingWhitespace() -> String {
        // Nearly every value starts and ends with a printable ASCII character, which begins a
        // character of its own that is not whitespace: nothing to trim, and no character to
        // look up in Unicode's tables.
        if let first = utf8.first, let last = utf8.last, (0x21...0x7E).contains(first), (0x21...0x7E).contains(last) { return self }
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
