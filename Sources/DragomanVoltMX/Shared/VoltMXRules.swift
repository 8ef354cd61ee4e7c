import DragomanCore
import DragomanDialectKit

/// Volt MX's own validation rules, which both Volt MX dialects contribute to the canonical
/// validator through their ``ValidationProfile``.
enum VoltMXRules {
    /// Volt MX's mobile numbers: an optional `+`, a 1–3 digit country code, then exactly ten
    /// digits; a missing `+` is added.
    static let phone = PhoneRule(name: "voltmx.countryCodeAndTenDigits", expected: "a country code followed by a ten digit number") { text in
        guard let digits = PhoneNumber.digits(text), (11...13).contains(digits.count), digits.first != "0" else { return nil }
        return "+" + digits
    }

    /// A country of USA / United States makes `state` required.
    static let stateInUSA = ValidationRule("voltmx.stateInUSA") { user in
        guard let country = user.profile.country, user.profile.state == nil, isUSA(country) else { return [] }
        return [FieldViolation(.state, .required)]
    }

    /// `lastActiveDate` is a calendar date in the `MM/dd/yyyy` form Volt MX uses.
    static let lastActiveDate = ValidationRule("voltmx.lastActiveDate") { user in
        guard let date = user.profile.lastActiveDate, !isMonthDayYear(date) else { return [] }
        return [FieldViolation(.lastActiveDate, .invalidFormat(expected: "MM/dd/yyyy"))]
    }

    static func isUSA(_ name: String) -> Bool {
        ["usa", "us", "united states", "united states of america", "u.s.a.", "u.s."].contains(name.lowercased())
    }

    static func isMonthDayYear(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 2, parts[1].count == 2, parts[2].count == 4,
            let month = Int(parts[0]), let day = Int(parts[1]), let year = Int(parts[2])
        else { return false }
        let days = [31, year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return (1...12).contains(month) && (1...days[month - 1]).contains(day) && year >= 1900
    }
}
