import Synchronization

/// Messages this node appended and claimed for itself in the same statement, waiting for
/// one of its workers: they are processed without being read back from the database.
///
/// Bounded: when it is full, appends go to the database as `ready` rows like any other
/// (any node claims them). A message that waited longer than half its lease is left to
/// lease expiry rather than processed late, so no other node can be running it too.
public final class LocalQueue: Sendable {
    struct Item: Sendable {
        let message: ClaimedMessage
        let queuedAt: ContinuousClock.Instant
    }

    private struct State {
        var reserved = 0
        var items: [Item] = []
        var head = 0
    }

    public let capacity: Int
    /// The lease the journal gives a handed-off row (what the worker renews).
    public let lease: Duration
    /// The lease owner of handed-off rows.
    public let owner: String
    private let state = Mutex(State())
    let doorbell: Doorbell

    init(capacity: Int, lease: Duration, owner: String, doorbell: Doorbell) {
        self.capacity = capacity
        self.lease = lease
        self.owner = owner
        self.doorbell = doorbell
    }

    /// Reserves a place before the append (false: full, append as `ready`).
    func reserve() -> Bool {
        state.withLock { s in
            guard s.reserved + s.items.count - s.head < capacity else { return false }
            s.reserved += 1
            return true
        }
    }

    /// Gives back a reservation whose append failed.
    func cancelReservation() { state.withLock { $0.reserved -= 1 } }

    /// Hands a committed message to the workers.
    func deliver(_ message: ClaimedMessage) {
        state.withLock { s in
            s.reserved -= 1
            s.items.append(Item(message: message, queuedAt: .now))
        }
        doorbell.ring()
    }

    /// Up to `limit` messages still fresh enough to run here.
    func take(_ limit: Int) -> [ClaimedMessage] {
        let now = ContinuousClock.Instant.now
        return state.withLock { s in
            var taken: [ClaimedMessage] = []
            while s.head < s.items.count, taken.count < limit {
                let item = s.items[s.head]
                s.head += 1
                if now - item.queuedAt < lease / 2 { taken.append(item.message) }
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
