extension StringProtocol {
    /// The text without the optional white space (spaces and tabs) HTTP allows around header
    /// values and list items (RFC 9110 §5.6.3), without a round trip through Foundation.
    package var trimmingOWS: Substring {
        let isOWS: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let text = self[...]
        guard let first = text.firstIndex(where: { !isOWS($0) }), let last = text.lastIndex(where: { !isOWS($0) }) else {
            return Substring()
        }
        return Substring(text[first...last])
    }
}

extension Substring {
    /// Whether the text is `lowercase` (ASCII, given in lower case) in any case, without making
    /// a lowercased copy: for header tokens compared on every request.
    package func equalsIgnoringASCIICase(_ lowercase: StaticString) -> Bool {
        let expected = UnsafeRawBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        return utf8.elementsEqual(expected) { byte, lower in
            (byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) == lower
        }
    }
}

extension String {
    /// The text with its first character in upper case (`emailAddress` → `EmailAddress`).
    package var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
