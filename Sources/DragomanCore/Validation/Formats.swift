/// Email address syntax: one `@`, a non-empty local part, a dotted domain, no white space.
public enum EmailAddress {
    public static func isValid(_ text: String) -> Bool {
        guard text.count <= 254, !text.contains(where: \.isWhitespace) else { return false }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64 else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        return labels.allSatisfy { label in
            !label.isEmpty && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
        }
    }

    /// The form two addresses are compared in for uniqueness: lowercased.
    public static func key(_ text: String) -> String { text.lowercased() }
}

/// Phone number rules and normalisation.
public enum PhoneNumber {
    /// The number in E.164 form, or `nil` when it breaks `rule`.
    public static func normalise(_ text: String, rule: PhoneRule) -> String? {
        let hasPlus = text.hasPrefix("+")
        let digits = hasPlus ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        switch rule {
        case .e164:
            guard hasPlus, (8...15).contains(digits.count), digits.first != "0" else { return nil }
        case .countryCodeAndTenDigits:
            guard (11...13).contains(digits.count), digits.first != "0" else { return nil }
        }
        return "+" + digits
    }

    /// What `rule` asks for, in words.
    public static func describe(_ rule: PhoneRule) -> String {
        switch rule {
        case .e164: "an E.164 number such as +15551234567"
        case .countryCodeAndTenDigits: "a country code followed by a ten digit number"
        }
    }
}

/// Country names.
enum Country {
    static func isUSA(_ name: String) -> Bool {
        ["usa", "us", "united states", "united states of america", "u.s.a.", "u.s."].contains(name.lowercased())
    }
}

/// Calendar dates in the `MM/dd/yyyy` form Volt MX uses.
enum CalendarDate {
    static func isMonthDayYear(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 2, parts[1].count == 2, parts[2].count == 4,
            let month = Int(parts[0]), let day = Int(parts[1]), let year = Int(parts[2])
        else { return false }
        let days = [31, year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return (1...12).contains(month) && (1...days[month - 1]).contains(day) && year >= 1900
    }
}

/// Password limits shared by every dialect.
public enum PasswordPolicy {
    /// bcrypt reads at most 72 bytes; a longer password would be silently cut, so it is refused.
    public static let maxBytes = 72
}

extension String {
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
