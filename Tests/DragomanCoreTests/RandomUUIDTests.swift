import Foundation
import Testing

@testable import DragomanCore

/// `UUID.random()`: the ids every create, claim and id mapping is given.
struct RandomUUIDTests {
    @Test func aRandomUUIDIsVersion4WithTheRFCVariant() {
        for _ in 0..<1000 {
            let text = UUID.random().uuidString
            let characters = Array(text)
            #expect(characters[14] == "4", "\(text)")
            #expect("89AB".contains(characters[19]), "\(text)")
            #expect(UUID(uuidString: text)?.uuidString == text)
        }
    }

    @Test func randomUUIDsDoNotRepeatAndUseEveryFreeBit() {
        let ids = (0..<20_000).map { _ in UUID.random() }
        #expect(Set(ids).count == ids.count)
        // Each of the 122 random bits is set in some id and clear in another.
        var anySet = [UInt8](repeating: 0, count: 16)
        var anyClear = [UInt8](repeating: 0, count: 16)
        for id in ids {
            withUnsafeBytes(of: id.uuid) { bytes in
                for index in 0..<16 {
                    anySet[index] |= bytes[index]
                    anyClear[index] |= ~bytes[index]
                }
            }
        }
        let fixed: [Int: UInt8] = [6: 0xF0, 8: 0xC0]
        for index in 0..<16 {
            let free = ~(fixed[index] ?? 0)
            #expect(anySet[index] & free == free, "byte \(index)")
            #expect(anyClear[index] & free == free, "byte \(index)")
        }
    }
}
