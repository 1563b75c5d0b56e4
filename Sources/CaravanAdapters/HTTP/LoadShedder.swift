import Synchronization

/// Bounds what the node holds for requests at once: how many are in flight, and how many
/// body bytes they keep in memory together. Beyond either a request is refused at once
/// (503 with `Retry-After`) instead of growing the process until the kernel kills it —
/// a 9 MB upload costs several times its size on its way to the journal, and 64 of them
/// at once took 2.7 GB.
final class LoadShedder: Sendable {
    let maxRequests: Int
    let maxBytes: Int
    private let state = Mutex((requests: 0, bytes: 0))

    init(maxRequests: Int, maxBytes: Int) {
        self.maxRequests = maxRequests
        self.maxBytes = maxBytes
    }

    /// Takes a request slot; false when all are taken.
    func enter() -> Bool {
        state.withLock { s in
            guard s.requests < maxRequests else { return false }
            s.requests += 1
            return true
        }
    }

    func leave() { state.withLock { $0.requests -= 1 } }

    /// Reserves `count` body bytes; false when they would exceed the bound. One request
    /// alone may always reserve up to the bound, so no body under it is refused for ever.
    func reserve(_ count: Int) -> Bool {
        state.withLock { s in
            guard s.bytes + count <= maxBytes else { return false }
            s.bytes += count
            return true
        }
    }

    func release(_ count: Int) {
        guard count > 0 else { return }
        state.withLock { $0.bytes -= count }
    }
}
