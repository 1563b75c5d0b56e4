import Synchronization

/// Work a route starts and does not wait for (wire taps). Errors are logged, never
/// propagated; ``waitUntilIdle()`` lets tests and shutdown wait for it to finish.
public final class BackgroundWork: Sendable {
    private let state = Mutex<(running: Int, waiters: [CheckedContinuation<Void, Never>])>((0, []))

    public init() {}

    /// Starts `work` in a new task.
    public func start(_ work: @escaping @Sendable () async -> Void) {
        state.withLock { $0.running += 1 }
        Task {
            await work()
            let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
                s.running -= 1
                guard s.running == 0 else { return [] }
                defer { s.waiters = [] }
                return s.waiters
            }
            for w in waiters { w.resume() }
        }
    }

    private let timers = Mutex<[ObjectIdentifier: Task<Void, Never>]>([:])

    /// Starts `work` (a wait for a deadline, then what it does) in a task that
    /// ``cancelTimers()`` cancels: a stopping engine does not wait for deadlines.
    public func startTimer(_ work: @escaping @Sendable () async -> Void) {
        let box = TaskBox()
        start { [self] in
            let task = Task { await work() }
            timers.withLock { $0[ObjectIdentifier(box)] = task }
            await task.value
            _ = timers.withLock { $0.removeValue(forKey: ObjectIdentifier(box)) }
        }
    }

    /// Cancels the waits started with ``startTimer(_:)``.
    public func cancelTimers() {
        for task in timers.withLock({ Array($0.values) }) { task.cancel() }
    }

    /// Returns once no background work is running.
    public func waitUntilIdle() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { s -> Bool in
                if s.running == 0 { return true }
                s.waiters.append(c)
                return false
            }
            if idle { c.resume() }
        }
    }
}

/// An identity for one timer.
private final class TaskBox: Sendable {}
