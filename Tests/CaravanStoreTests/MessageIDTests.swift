import CaravanStore
import Foundation
import Testing

@Suite struct MessageIDTests {
    @Test func idsAreVersion7WithTheirMillisecondFirst() {
        let date = Date(timeIntervalSince1970: 1_764_000_000.123)
        let id = UUID.timeOrdered(at: date)
        let bytes = withUnsafeBytes(of: id.uuid) { Array($0) }
        let milliseconds = bytes[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(milliseconds == 1_764_000_000_123)
        #expect(bytes[6] >> 4 == 7)
        #expect(bytes[8] >> 6 == 0b10)
    }

    @Test func laterIdsSortAfterEarlierOnesAndNoTwoAreEqual() {
        let start = Date(timeIntervalSince1970: 1_764_000_000)
        // Two milliseconds apart, half-way into each, so that binary fractions never round
        // two of them into one millisecond.
        let ids = (0..<1_000).map { UUID.timeOrdered(at: start + (Double($0) * 2 + 0.5) / 1000) }
        let texts = ids.map(\.uuidString)
        #expect(texts == texts.sorted())
        #expect(Set(ids).count == ids.count)
        let sameMillisecond = (0..<1_000).map { _ in UUID.timeOrdered(at: start) }
        #expect(Set(sameMillisecond).count == 1_000)
    }
}
