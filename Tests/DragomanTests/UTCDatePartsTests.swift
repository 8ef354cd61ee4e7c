import DragomanTransport
import Foundation
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// The integer date arithmetic behind every dialect's timestamps agrees with Foundation's calendar.
struct UTCDatePartsTests {
    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    @Test func calendarFieldsMatchFoundationAcrossCenturiesLeapDaysAndBefore1970() {
        var seconds: Int = -4_000_000_000  // 1843
        var checked = 0
        while seconds < 8_000_000_000 {  // 2223
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            let c = Self.calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            let parts = UTCDateParts(date)
            #expect(
                [parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second]
                    == [c.year, c.month, c.day, c.hour, c.minute, c.second].map { $0 ?? -1 },
                "at \(seconds)")
            seconds += 7_777_777  // about 90 days and an odd number of seconds
            checked += 1
        }
        #expect(checked > 1500)
    }

    @Test func leapDayAndYearEndAreExact() {
        let leap = UTCDateParts(Date(timeIntervalSince1970: 951_825_600))  // 2000-02-29 12:00:00
        #expect(leap == UTCDateParts(year: 2000, month: 2, day: 29, hour: 12, minute: 0, second: 0))
        let last = UTCDateParts(Date(timeIntervalSince1970: 1_767_225_599.9))  // 2025-12-31 23:59:59.9
        #expect(last == UTCDateParts(year: 2025, month: 12, day: 31, hour: 23, minute: 59, second: 59))
    }

    @Test func telnessAndVoltMXFormatsMatchTheirFoundationForms() {
        let date = Date(timeIntervalSince1970: 1_504_181_042)  // 2017-08-31 12:04:02 UTC
        #expect(RFC3339.format(date) == date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!)))
        #expect(VoltMX.dateTime(date) == "08/31/2017 12:04:02 PM UTC")
        #expect(VoltMX.dateTime(Date(timeIntervalSince1970: 1_504_137_600)) == "08/31/2017 12:00:00 AM UTC")
    }
}
