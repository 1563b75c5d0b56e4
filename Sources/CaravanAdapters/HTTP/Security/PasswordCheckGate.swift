import NIOCore
import NIOPosix
import Synchronization

/// Admission to the password checks as a state machine without I/O: at most `maxRunning`
/// checks at once, at most `maxWaiting` more queued in arrival order; beyond, a check is
/// refused at once.
///
/// ```
/// // maxRunning: 1, maxWaiting: 1
/// enter(a) → .run      // a checks
/// enter(b) → .wait     // b queued
/// enter(c) → .refuse   // full: c is answered 503 without a check
/// leave()  → b         // a done: b checks
/// ```
struct PasswordCheckGateState<Waiter> {
    let maxRunning: Int
    let maxWaiting: Int
    private(set) var running = 0
    private var waiters: [Waiter] = []
    private var head = 0

    init(maxRunning: Int, maxWaiting: Int) {
        self.maxRunning = max(1, maxRunning)
        self.maxWaiting = max(0, maxWaiting)
    }

    var waiting: Int { waiters.count - head }

    enum Entry: Equatable {
        case run
        case wait
        case refuse
    }

    mutating func enter(_ waiter: Waiter) -> Entry {
        if running < maxRunning {
            running += 1
            return .run
        }
        guard waiting < maxWaiting else { return .refuse }
        waiters.append(waiter)
        return .wait
    }

    /// A check finished: the next waiter, which now runs (its slot is taken over).
    mutating func leave() -> Waiter? {
        guard head < waiters.count else {
            running -= 1
            return nil
        }
        let next = waiters[head]
        head += 1
        if head > 64, head * 2 > waiters.count {
            waiters.removeFirst(head)
            head = 0
        }
        return next
    }
}

/// Runs bcrypt checks on threads of their own, as ``PasswordCheckGateState`` admits them.
///
/// bcrypt costs tens of milliseconds of CPU a check by design, so a flood of wrong
/// passwords is a cheap way to burn a server's CPU. Unbounded, the flood's checks queued
/// on NIO's shared thread pool (where file I/O also runs) and every new login waited
/// behind all of them; bounded, the flood gets 503 at once, names and passwords that
/// passed recently are taken without a check (``BasicCheck``), and the rest of the node
/// keeps its threads.
final class PasswordCheckGate: Sendable {
    private let state: Mutex<PasswordCheckGateState<CheckedContinuation<Bool, Never>>>
    private let pool: NIOThreadPool

    init(maxRunning: Int, maxWaiting: Int) {
        state = Mutex(PasswordCheckGateState(maxRunning: maxRunning, maxWaiting: maxWaiting))
        pool = NIOThreadPool(numberOfThreads: max(1, maxRunning))
        pool.start()
    }

    /// One check per core, and a queue of 32 a core: a second's worth of checks at cost 10.
    static let shared = PasswordCheckGate(
        maxRunning: System.coreCount, maxWaiting: 32 * System.coreCount)

    /// `check`'s answer, or nil when the gate is full (the caller answers 503).
    func run(_ check: @escaping @Sendable () -> Bool) async -> Bool? {
        let admitted = await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            switch state.withLock({ $0.enter(c) }) {
            case .run: c.resume(returning: true)
            case .wait: break  // resumed by the check that finishes before it
            case .refuse: c.resume(returning: false)
            }
        }
        guard admitted else { return nil }
        defer { state.withLock { $0.leave() }?.resume(returning: true) }
        return (try? await pool.runIfActive(check)) ?? false
    }
}
