import Foundation
import Synchronization

/// Keeps the leases of the batches workers are running: one task for the whole store
/// renews each batch's unfinished messages once a third of its lease has passed since the
/// last renewal, so no other worker takes over a message that is still running.
///
/// One ticking task rather than a renewal task per batch: at light load a batch is one
/// message, and a task with a sleep per message cost a dispatch timer each (3% of the
/// process in perf at half the peak rate). The task runs only while batches are held.
final class LeaseKeeper: Sendable {
    /// One batch's leases: the messages still running, until the batch is released.
    final class Hold: Sendable {
        let lease: Duration
        /// Renews the leases of the given messages.
        let renew: Renew
        fileprivate let state: Mutex<(running: Set<UUID>, renewedAt: ContinuousClock.Instant)>

        fileprivate init(_ ids: [UUID], lease: Duration, renew: @escaping Renew) {
            self.lease = lease
            self.renew = renew
            self.state = Mutex((Set(ids), .now))
        }

        /// The message is finished (its outcome recorded, or left to its lease).
        func finish(_ id: UUID) { state.withLock { _ = $0.running.remove(id) } }
    }

    /// Renews the leases of the given messages (a failure is tried again a third of the
    /// lease later, with two thirds of it left).
    typealias Renew = @Sendable (_ ids: [UUID]) async -> Void

    private let holds = Mutex<(all: [ObjectIdentifier: Hold], ticking: Bool)>(([:], false))

    /// Starts keeping the leases of `ids`, each `lease` long, renewed by `renew`.
    func hold(_ ids: [UUID], lease: Duration, renew: @escaping Renew) -> Hold {
        let hold = Hold(ids, lease: lease, renew: renew)
        let start = holds.withLock { h -> Bool in
            h.all[ObjectIdentifier(hold)] = hold
            defer { h.ticking = true }
            return !h.ticking
        }
        if start { Task { await tick() } }
        return hold
    }

    /// Stops keeping the batch's leases (the batch's outcomes are recorded).
    func release(_ hold: Hold) {
        holds.withLock { _ = $0.all.removeValue(forKey: ObjectIdentifier(hold)) }
    }

    private func tick() async {
        while true {
            // Checked six times per (shortest) lease: a lease is renewed between a third
            // and half of it after the last renewal.
            let interval = holds.withLock { h -> Duration? in
                guard let shortest = h.all.values.map(\.lease).min() else {
                    h.ticking = false
                    return nil
                }
                return shortest / 6
            }
            guard let interval else { return }
            try? await Task.sleep(for: interval)
            let now = ContinuousClock.now
            let due = holds.withLock { h in
                h.all.values.compactMap { hold -> (Hold, [UUID])? in
                    hold.state.withLock { s in
                        guard !s.running.isEmpty, now - s.renewedAt >= hold.lease / 3 else {
                            return nil
                        }
                        s.renewedAt = now
                        return (hold, Array(s.running))
                    }
                }
            }
            // Not awaited: a renewal that hangs until its statement deadline must not make
            // the next tick — other batches' renewals — late. Rare: a third of a lease
            // per long-running batch.
            for (hold, ids) in due { Task { await hold.renew(ids) } }
        }
    }
}
