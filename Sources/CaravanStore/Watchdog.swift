import Synchronization

/// Fails what did not finish within `timeout` of being watched. One task per watchdog,
/// ticking only while something is outstanding — a timer per watched item would cost a
/// task and a dispatch timer each, a measurable share of the append path.
final class Watchdog: Sendable {
    private struct State {
        // Every item gets the same timeout, so deadlines grow in watch order and the
        // oldest are always at the front.
        var queue: [(item: any Expiring, deadline: ContinuousClock.Instant)] = []
        var head = 0
        var running = false
    }

    let timeout: Duration
    /// The error an expired item fails with.
    private let failure: @Sendable () -> StoreError
    private let state = Mutex(State())

    init(timeout: Duration, failure: @escaping @Sendable () -> StoreError) {
        self.timeout = timeout
        self.failure = failure
    }

    /// Fails `item` unless it is resolved within ``timeout`` from now.
    func watch(_ item: any Expiring) {
        let deadline = ContinuousClock.now + timeout
        let start = state.withLock { s -> Bool in
            s.queue.append((item, deadline))
            defer { s.running = true }
            return !s.running
        }
        if start { Task { await self.run() } }
    }

    private func run() async {
        let tick = min(timeout / 4, .milliseconds(250))
        while true {
            try? await Task.sleep(for: tick)
            let now = ContinuousClock.Instant.now
            let (expired, idle) = state.withLock { s -> ([any Expiring], Bool) in
                var expired: [any Expiring] = []
                while s.head < s.queue.count {
                    let (item, deadline) = s.queue[s.head]
                    if item.isResolved {
                        s.head += 1
                    } else if deadline <= now {
                        expired.append(item)
                        s.head += 1
                    } else {
                        break
                    }
                }
                if s.head == s.queue.count {
                    s.queue.removeAll(keepingCapacity: true)
                    s.head = 0
                    s.running = false
                    return (expired, true)
                }
                if s.head > 4096 {
                    s.queue.removeFirst(s.head)
                    s.head = 0
                }
                return (expired, false)
            }
            for item in expired { item.expire(failure()) }
            if idle { return }
        }
    }
}
