import Foundation
import Synchronization

/// Messages this node appended and claimed for itself in the same statement, waiting for
/// one of its workers: they are processed without being read back from the database.
///
/// Bounded: when it is full, appends go to the database as `ready` rows like any other
/// (any node claims them). A message that waited longer than ``staleAfter`` (half its
/// lease) is not run from here: its lease may be about to expire, and then another node
/// could run it too. The worker that finds it gives it back to `ready` at once (see
/// ``WorkerGroup``), so it neither waits for its lease to expire nor counts as an expired
/// lease.
public final class LocalQueue: Sendable {
    struct Item: Sendable {
        let message: ClaimedMessage
        let queuedAt: ContinuousClock.Instant
    }

    private struct State {
        var reserved = 0
        var items: [Item] = []
        var head = 0
        /// Rows that may commit leased to this queue after their appends failed, with
        /// how long to look for them.
        var unconfirmed: [(id: UUID, until: ContinuousClock.Instant)] = []
        /// Closed: no more reservations (the workers are stopping).
        var closed = false
        /// Waiting for the reservations in flight to resolve.
        var settling: [CheckedContinuation<Void, Never>] = []

        /// Resolves one reservation; the waiters to resume when it was the last.
        mutating func resolve() -> [CheckedContinuation<Void, Never>] {
            reserved -= 1
            guard reserved == 0 else { return [] }
            defer { settling = [] }
            return settling
        }
    }

    public let capacity: Int
    /// The lease the journal gives a handed-off row (what the worker renews).
    public let lease: Duration
    /// How long a hand-off may wait before it is given back instead of run here.
    public let staleAfter: Duration
    /// The lease owner of handed-off rows.
    public let owner: String
    private let state = Mutex(State())
    let doorbell: Doorbell

    init(
        capacity: Int, lease: Duration, staleAfter: Duration? = nil, owner: String,
        doorbell: Doorbell
    ) {
        self.capacity = capacity
        self.lease = lease
        self.staleAfter = staleAfter ?? lease / 2
        self.owner = owner
        self.doorbell = doorbell
    }

    /// Reserves a place before the append (false: full, append as `ready`).
    func reserve() -> Bool {
        state.withLock { s in
            guard !s.closed, s.reserved + s.items.count - s.head < capacity else { return false }
            s.reserved += 1
            return true
        }
    }

    /// Gives back a reservation whose append failed.
    func cancelReservation() {
        for waiter in state.withLock({ $0.resolve() }) { waiter.resume() }
    }

    /// The row of an append that failed, which may yet commit leased to this queue (the
    /// commit's answer was late or lost): no worker will get it from the queue, so the
    /// workers look for it, for as long as its lease, and return it to `ready`.
    func giveBack(_ id: UUID) {
        state.withLock { $0.unconfirmed.append((id, .now + lease)) }
        doorbell.ring()
    }

    /// Hands a committed message to the workers.
    func deliver(_ message: ClaimedMessage) {
        let waiters = state.withLock { s in
            s.items.append(Item(message: message, queuedAt: .now))
            return s.resolve()
        }
        for waiter in waiters { waiter.resume() }
        doorbell.ring()
    }

    /// Takes no more hand-offs: appends from now on write `ready` rows for any worker.
    func close() { state.withLock { $0.closed = true } }

    /// Returns once every append that reserved a place here has committed or failed —
    /// at most the journal's append deadline. Giving back the node's leases before that
    /// missed rows committed just after: they stayed `running`, leased to workers that
    /// had stopped, until the lease expired (seen on hot reloads under load).
    func settled() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.reserved == 0 { return true }
                s.settling.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    /// What ``take(_:now:)`` found: messages to run, and messages that waited too long.
    struct Taken {
        var fresh: [ClaimedMessage] = []
        var stale: [(message: ClaimedMessage, waited: Duration)] = []
        /// Rows that may commit leased to this queue (see ``giveBack(_:)``), with how
        /// long to look for them.
        var unconfirmed: [(id: UUID, until: ContinuousClock.Instant)] = []
    }

    /// Up to `limit` messages: those still fresh enough to run here, and those that waited
    /// longer than ``staleAfter`` (to give back).
    func take(_ limit: Int, now: ContinuousClock.Instant = .now) -> Taken {
        state.withLock { s in
            var taken = Taken()
            swap(&taken.unconfirmed, &s.unconfirmed)
            while s.head < s.items.count, taken.fresh.count + taken.stale.count < limit {
                let item = s.items[s.head]
                s.head += 1
                let waited = now - item.queuedAt
                if waited < staleAfter {
                    taken.fresh.append(item.message)
                } else {
                    taken.stale.append((item.message, waited))
                }
            }
            if s.head > 64, s.head * 2 > s.items.count {
                s.items.removeFirst(s.head)
                s.head = 0
            }
            return taken
        }
    }

    var count: Int { state.withLock { $0.items.count - $0.head } }
}
