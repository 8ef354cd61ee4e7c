import DragomanDialectKit
import DragomanStore
import Foundation
import Synchronization

/// The `Date` header's value (RFC 9110's IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`),
/// formatted at most once a second and shared by every answer of that second.
package final class HTTPDate: Sendable {
    private let cache = Mutex<(second: Int, text: String)>((-1, ""))

    package init() {}

    /// Now, formatted.
    package var current: String {
        let now = time(nil)
        return cache.withLock { cached in
            if cached.second != now { cached = (now, Self.format(now)) }
            return cached.text
        }
    }

    /// `second` (seconds since 1970, UTC) as IMF-fixdate.
    package static func format(_ second: Int) -> String {
        let t = UTCDateParts(Date(timeIntervalSince1970: TimeInterval(second)))
        // 1970-01-01 was a Thursday.
        let weekday = (second.floorDivided(by: 86_400).quotient % 7 + 11) % 7
        return "\(days[weekday]), \(t.day.zeroPadded(2)) \(months[t.month - 1]) \(t.year) "
            + "\(t.hour.zeroPadded(2)):\(t.minute.zeroPadded(2)):\(t.second.zeroPadded(2)) GMT"
    }

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
}
