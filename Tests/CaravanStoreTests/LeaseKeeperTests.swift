import Foundation
import Testing

@testable import CaravanStore

/// The leases of running batches are renewed by one ticking task, only while held.
@Suite(.timeLimit(.minutes(1))) struct LeaseKeeperTests {
    @Test func aHeldBatchIsRenewedUntilItsMessagesFinish() async {
        let keeper = LeaseKeeper()
        let (a, b) = (UUID(), UUID())
        let (renewals, renewed) = AsyncStream.makeStream(of: Set<UUID>.self)
        let hold = keeper.hold([a, b], lease: .milliseconds(300)) { renewed.yield(Set($0)) }
        var next = renewals.makeAsyncIterator()
        #expect(await next.next() == [a, b])
        hold.finish(a)
        // A renewal may have been under way; the one after it leaves out the finished one.
        var last = await next.next()
        if last == [a, b] { last = await next.next() }
        #expect(last == [b])
        keeper.release(hold)
    }

    @Test func aReleasedBatchIsNoLongerRenewed() async {
        let keeper = LeaseKeeper()
        let (renewals, renewed) = AsyncStream.makeStream(of: String.self)
        let first = keeper.hold([UUID()], lease: .milliseconds(300)) { _ in renewed.yield("first") }
        let second = keeper.hold([UUID()], lease: .milliseconds(300)) { _ in
            renewed.yield("second")
        }
        var next = renewals.makeAsyncIterator()
        while await next.next() != "first" {}
        keeper.release(first)
        // Both are renewed on the same ticks: after the release, the next two ticks renew
        // only the second (one renewal of the first may have been under way).
        var seen: [String] = []
        while seen.filter({ $0 == "second" }).count < 3, let name = await next.next() {
            seen.append(name)
        }
        #expect(seen.filter { $0 == "first" }.count <= 1, "\(seen)")
        keeper.release(second)
    }
}
