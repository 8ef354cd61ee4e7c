import DragomanCore
import DragomanTransport
import Foundation
import Testing

@testable import Dragoman
@testable import DragomanDialectKit
@testable import DragomanTelness
@testable import DragomanVoltMX

/// Users a backend had before the bridge keep the backend's own facts: when they were created
/// and changed, and their order, whenever the bridge first sees them.
@Suite(.serialized) struct BackendFactsTests {
    @Test func aListIsInTheBackendsOrderWhateverOrderTheBridgeSawUsersIn() async throws {
        try await ForwardingTests.withPair(caller: .telnessConnect, backend: .telnessConnect) { front, back in
            // C is seen by the bridge first (created through it), A and B only in the list.
            #expect(try await back.post("/users", #"{"name":"Ada A"}"#).status == .created)
            #expect(try await back.post("/users", #"{"name":"Bob B"}"#).status == .created)
            #expect(try await front.post("/users", #"{"name":"Cy C"}"#).status == .created)
            let names = try await front.get("/users").json["items"]?.array.compactMap { $0["name"]?.string }
            #expect(names == ["Ada A", "Bob B", "Cy C"])
            // Cursors page in that order too.
            var seen: [String] = []
            var cursor: String? = nil
            repeat {
                let page = try await front.get("/users?limit=1" + (cursor.map { "&cursor=\($0)" } ?? "")).json
                seen += page["items"]?.array.compactMap { $0["name"]?.string } ?? []
                cursor = page["pagination"]?["nextCursor"]?.string
            } while cursor != nil && seen.count < 5
            #expect(seen == ["Ada A", "Bob B", "Cy C"])
        }
    }

    @Test func aUserFirstSeenLaterShowsTheBackendsTimes() async throws {
        try await ForwardingTests.withPair(caller: .telnessConnect, backend: .telnessConnect) { front, back in
            let created = try await back.post("/users", #"{"name":"Ada Early"}"#).json
            // The bridge first sees the user a second later; it must still show the backend's times.
            try await Task.sleep(for: .milliseconds(1100))
            let listed = try #require(try await front.get("/users").json["items"]?[0])
            #expect(listed["createdAt"] == created["createdAt"])
            #expect(listed["updatedAt"] == created["updatedAt"])
            let id = try #require(listed["userId"]?.string)
            #expect(try await front.get("/users/\(id)").json["createdAt"] == created["createdAt"])
        }
    }

    @Test func voltMXAndTelnessDateTimesReadBack() throws {
        let date = Date(timeIntervalSince1970: 1_504_181_042)  // 2017-08-31 12:04:02 UTC
        #expect(VoltMX.dateTime(date) == "08/31/2017 12:04:02 PM UTC")
        #expect(VoltMX.parseDateTime("08/31/2017 12:04:02 PM UTC") == date)
        #expect(VoltMX.parseDateTime("08/31/2017 12:04:02 AM UTC") == date.addingTimeInterval(-12 * 3600))
        #expect(VoltMX.parseDateTime("31/08/2017 12:04") == nil)
        #expect(RFC3339.parse("2017-08-31T12:04:02Z") == date)
        #expect(RFC3339.parse("2017-08-31T12:04:02.000Z") == date)
    }
}
