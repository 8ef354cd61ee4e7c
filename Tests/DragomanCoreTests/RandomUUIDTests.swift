import Foundation
import Testing

@testable import DragomanCore

/// `UUID.random()` (claim tokens, backend keys) and `UUID.timeOrdered(at:)` (the ids of users
/// and id mappings).
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

    @Test func aTimeOrderedUUIDIsVersion7WithTheRFCVariantAndItsMillisecond() {
        let date = Date(timeIntervalSince1970: 1_764_670_000.123_9)
        for _ in 0..<1000 {
            let id = UUID.timeOrdered(at: date)
            let text = id.uuidString
            let characters = Array(text)
            #expect(characters[14] == "7", "\(text)")
            #expect("89AB".contains(characters[19]), "\(text)")
            let milliseconds = withUnsafeBytes(of: id.uuid) { bytes in (0..<6).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[$1]) } }
            #expect(milliseconds == 1_764_670_000_123)
        }
    }

    @Test func timeOrderedUUIDsSortByTimeAndDoNotRepeatWithinAMillisecond() {
        let start = Date(timeIntervalSince1970: 1_764_670_000)
        // Two milliseconds apart, so that no step falls within one millisecond however the
        // floating-point time rounds.
        let texts = (0..<2000).map { UUID.timeOrdered(at: start.addingTimeInterval(Double($0) * 0.002)).uuidString }
        // The text form, which both stores index, sorts as the times do.
        #expect(zip(texts, texts.dropFirst()).allSatisfy { $0 < $1 })
        let sameInstant = (0..<20_000).map { _ in UUID.timeOrdered(at: start) }
        #expect(Set(sameInstant).count == sameInstant.count)
    }

    @Test func aTimeBeforeTheEpochGivesTheEpochsMillisecond() {
        let id = UUID.timeOrdered(at: Date(timeIntervalSince1970: -5))
        #expect(id.uuidString.hasPrefix("00000000-0000-7"))
    }
}
