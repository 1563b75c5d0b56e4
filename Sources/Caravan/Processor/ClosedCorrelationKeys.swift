import Synchronization

/// The correlation keys of completed groups, for `closeCorrelationKeyOnCompletion`: a later
/// message with one of them is refused. At most `capacity` keys are kept (0: no bound),
/// the oldest forgotten first, as Camel's LRU cache does. In memory, as in Camel: a
/// restart forgets them.
final class ClosedCorrelationKeys: Sendable {
    let capacity: Int
    private struct State {
        /// Each key with the message that completed its group (its own redelivery passes).
        var closers: [String: String] = [:]
        var order: [String] = []
        var head = 0
    }
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = max(0, capacity) }

    func close(_ key: String, by owner: String) {
        state.withLock { s in
            guard s.closers.updateValue(owner, forKey: key) == nil else { return }
            s.order.append(key)
            while capacity > 0, s.closers.count > capacity {
                s.closers[s.order[s.head]] = nil
                s.head += 1
            }
            if s.head > 1024, s.head * 2 > s.order.count {
                s.order.removeFirst(s.head)
                s.head = 0
            }
        }
    }

    /// True when `key` is closed, unless `owner` is the message that closed it.
    func isClosed(_ key: String, except owner: String) -> Bool {
        state.withLock { s in s.closers[key].map { $0 != owner } ?? false }
    }
}
