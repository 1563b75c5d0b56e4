import Synchronization

/// Wakes idle workers: `ring()` when there may be work (a notification arrived, a message
/// was appended here, the polling interval passed); `wait()` returns on the next ring. A
/// ring with nobody waiting is remembered once, so a worker that was busy does not sleep
/// through it.
///
/// No timeout of its own: the worker group rings every lane on a polling tick. A timer per
/// wait cost a task and a dispatch timer each time a worker went idle — once per message
/// at light load, where the dispatch timer thread showed up as a tenth of the profile.
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

    /// Returns after a ring, or when the waiting task is cancelled.
    func wait() async {
        let id = state.withLock { s -> UInt64 in
            s.next += 1
            return s.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s -> Bool in
                    if s.pendingRing || Task.isCancelled {
                        s.pendingRing = false
                        return true
                    }
                    s.waiters[id] = c
                    return false
                }
                if ready { c.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
