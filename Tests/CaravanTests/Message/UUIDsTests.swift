import Caravan
import Foundation
import Testing

@Suite struct UUIDsTests {
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

    @Test func stableIdsAreTheSameInEveryVersion() {
        // Files and seda messages are stored under these ids: a change here would make a
        // file journaled before an upgrade look new after it.
        #expect(StableID.uuid(for: "").lowercasedText == "b5d87778-b94c-8ce3-8e00-013c8bf11790")
        #expect(
            StableID.uuid(for: "orders/file:/in/a.csv/12/1700000000").lowercasedText
                == "67826600-d753-8f3c-a374-32fe522ac620")
        #expect(
            StableID.uuid(for: "01a225c6-062f-75a5-bb93-bcc1579fb506/2.1").lowercasedText
                == "dbf6e651-386b-861b-a4c2-d3b5aa8e746a")
    }

    @Test func exchangeIdsAreRandomVersion4InLowercaseText() throws {
        let id = Exchange.newId()
        let uuid = try #require(UUID(uuidString: id))
        #expect(uuid.lowercasedText == id && id == uuid.uuidString.lowercased())
        #expect(withUnsafeBytes(of: uuid.uuid) { $0[6] >> 4 } == 4)
        #expect(Exchange.newId() != id)
    }
}
