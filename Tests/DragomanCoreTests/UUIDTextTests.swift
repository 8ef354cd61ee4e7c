import Foundation
import Testing

@testable import DragomanCore

/// `UUID.text(uppercase:)` and `compactText`: the ids the stores keep and the dialects show,
/// written by hand, the same text Foundation writes.
struct UUIDTextTests {
    @Test func theTextIsFoundationsUUIDStringInEitherCase() {
        let fixed = [
            UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
            UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255)),
        ]
        for id in fixed + (0..<2000).map({ _ in UUID.random() }) {
            #expect(id.text() == id.uuidString)
            #expect(id.text(uppercase: false) == id.uuidString.lowercased())
            #expect(UUID(uuidString: id.text(uppercase: false)) == id)
        }
    }

    @Test func theCompactTextIs32LowercaseDigitsWithoutDashes() {
        let id = UUID(uuidString: "0B3A6A2E-5D41-4C43-9C37-4F3B0C6F0A11")!
        #expect(id.compactText == "0b3a6a2e5d414c439c374f3b0c6f0a11")
        #expect(UserID(serial: 1, uuid: id).compactUUID == id.compactText)
    }
}
