import Synchronization

/// Wakes idle workers: `ring()` when there may be work (a notification arrived, a message
/// was appended here); `wait(upTo:)` returns on a ring or after the polling interval,
/// whichever comes first. A ring with nobody waiting is remembered once, so a worker that
/// was busy does not sleep through it.
final class Doorbell: Sendable {
    private struct State {
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var pendingRing = false
        var next: UInt64 = 0
    }

    private let state = Mutex(State())

    func ring() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            if s.waiters.isEmpty {
                s.pendingRing = true
                return []
            }
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume() }
    }

    /// Returns after a ring or `timeout`.
    func wait(upTo timeout: Duration) async {
        var timer: Task<Void, Never>?
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let id = state.withLock { s -> UInt64? in
                if s.pendingRing {
                    s.pendingRing = false
                    return nil
                }
                s.next += 1
                s.waiters[s.next] = c
                return s.next
            }
            guard let id else {
                c.resume()
                return
            }
            // Started only once the waiter is registered, so it cannot fire too early.
            timer = Task { [weak self] in
                try? await Task.sleep(for: timeout)
                self?.wake(id)
            }
        }
        timer?.cancel()
    }

    private func wake(_ id: UInt64) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.resume()
    }
}
