import Dispatch
import Foundation
import Hummingbird
import HummingbirdBcrypt
import Logging
import Testing

@testable import CaravanAdapters

/// A flood of wrong passwords costs a bounded number of bcrypt checks; the rest is
/// refused at once.
@Suite struct PasswordCheckGateTests {
    @Test func checksRunUpToTheLimitQueueUpToTheirsAndAreRefusedBeyondInOrder() {
        var gate = PasswordCheckGateState<String>(maxRunning: 2, maxWaiting: 2)
        #expect(gate.enter("a") == .run)
        #expect(gate.enter("b") == .run)
        #expect(gate.enter("c") == .wait)
        #expect(gate.enter("d") == .wait)
        #expect(gate.enter("e") == .refuse)
        #expect(gate.leave() == "c")
        #expect(gate.enter("f") == .wait)
        #expect(gate.leave() == "d")
        #expect(gate.leave() == "f")
        #expect(gate.running == 2)
        #expect(gate.leave() == nil)
        #expect(gate.leave() == nil)
        #expect(gate.running == 0)
        #expect(gate.enter("g") == .run)
    }

    @Test func aLongQueueKeepsItsOrderAcrossCompaction() {
        var gate = PasswordCheckGateState<Int>(maxRunning: 1, maxWaiting: 1000)
        #expect(gate.enter(-1) == .run)
        for i in 0..<300 { #expect(gate.enter(i) == .wait) }
        var order: [Int] = []
        for _ in 0..<150 { order.append(gate.leave()!) }
        for i in 300..<400 { #expect(gate.enter(i) == .wait) }
        while let next = gate.leave() { order.append(next) }
        #expect(order == Array(0..<400))
        #expect(gate.waiting == 0 && gate.running == 0)
    }

    /// While the only check slot is busy and nothing may wait, a basic request is
    /// answered 503 with Retry-After at once, without a bcrypt; once the slot is free the
    /// same request is checked (and refused as a wrong password).
    @Test func aBasicCheckWhileTheGateIsFullIs503WithoutABcrypt() async throws {
        let file = NSTemporaryDirectory() + "caravan-users-\(UUID().uuidString)"
        try "partner:\(Bcrypt.hash("right", cost: 4))\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let gate = PasswordCheckGate(maxRunning: 1, maxWaiting: 0)
        let check = try BasicCheck(
            file: file, realm: "test", logger: Logger(label: "test"), gate: gate)
        let request = AuthRequest(
            headers: [.authorization: "Basic " + Data("partner:wrong".utf8).base64EncodedString()],
            query: [], client: nil)
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let busy = Task {
            await gate.run {
                started.signal()
                release.wait()
                return true
            }
        }
        await withCheckedContinuation { c in
            DispatchQueue.global().async {
                started.wait()
                c.resume()
            }
        }
        guard case .refused(let full) = await check.check(request) else {
            Issue.record("a check got through a full gate")
            return
        }
        release.signal()
        _ = await busy.value
        guard case .refused(let wrong) = await check.check(request) else {
            Issue.record("a wrong password was admitted")
            return
        }
        #expect(full.status == .serviceUnavailable)
        #expect(full.retryAfter == 1)
        #expect(full.challenge == nil)
        #expect(wrong.status == .unauthorized)
        #expect(wrong.retryAfter == nil)
    }
}
