/// The rules that turn one full name into given and family names and back.
///
/// Splitting: the last whitespace-separated word is the family name and everything before it the
/// given name; a single word is a given name with no family name. Joining: given name, a space,
/// family name, leaving out whichever is missing.
public enum PersonName {
    /// Splits a full name into given and family names.
    public static func split(_ fullName: String) -> (given: String?, family: String?) {
        let words: [Substring]
        if fullName.utf8.allSatisfy({ $0 < 0x80 }) {
            // ASCII: white space is one of six bytes, found without breaking the text into
            // characters and looking each up in Unicode's tables (a create's name, every time).
            words = fullName.utf8.split(whereSeparator: { $0 == 0x20 || (0x09...0x0D).contains($0) }).map { Substring($0) }
        } else {
            words = fullName.split(whereSeparator: \.isWhitespace)
        }
        guard let last = words.last else { return (nil, nil) }
        if words.count == 1 { return (String(last), nil) }
        return (words.dropLast().joined(separator: " "), String(last))
    }

    /// Joins given and family names into a full name, or `nil` when both are missing.
    public static func join(given: String?, family: String?) -> String? {
        let parts = [given, family].compactMap { $0 }.filter { !$0.isEmpty }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }
}

extension UserProfile {
    /// The name to show for the user: the display name, or given and family names joined.
    public var fullName: String? {
        if let displayName, !displayName.isEmpty { return displayName }
        return PersonName.join(given: givenName, family: familyName)
    }

    /// Given and family names, split from the display name when they were never given.
    public var nameParts: (given: String?, family: String?) {
        if givenName != nil || familyName != nil { return (givenName, familyName) }
        guard let displayName else { return (nil, nil) }
        return PersonName.split(displayName)
    }
}
