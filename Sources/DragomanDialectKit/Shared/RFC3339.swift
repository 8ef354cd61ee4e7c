package import Foundation

/// RFC 3339 date-times in UTC with a `Z` (`2026-12-07T17:07:06Z`), as several dialects write
/// them: written by integer arithmetic (``UTCDateParts``), read with or without fractions.
package enum RFC3339 {
    /// `date` to the second, or with `milliseconds` to the millisecond.
    package static func format(_ date: Date, milliseconds: Bool = false) -> String {
        let t = UTCDateParts(date)
        let seconds =
            "\(t.year.zeroPadded(4))-\(t.month.zeroPadded(2))-\(t.day.zeroPadded(2))T\(t.hour.zeroPadded(2)):\(t.minute.zeroPadded(2)):\(t.second.zeroPadded(2))"
        guard milliseconds else { return seconds + "Z" }
        let millis = Int((date.timeIntervalSince1970 * 1000).rounded(.down)) % 1000
        return seconds + ".\(abs(millis).zeroPadded(3))Z"
    }

    /// A date-time with or without fractions of a second, or `nil`.
    package static func parse(_ text: String) -> Date? {
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
