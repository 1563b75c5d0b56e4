import Synchronization

/// Group commit as a state machine without I/O: up to `maxInFlight` batches are being
/// committed at once; appends that arrive while all of them are busy wait and then go
/// together in the next batch (one transaction, one commit for all of them), bounded by
/// `maxBatch`. The caller performs the flushes it is told to.
///
/// ```
/// // maxInFlight: 1
/// append(a) → .flush([a])        // idle: commit at once
/// append(b) → .none              // a is committing: b waits
/// append(c) → .none
/// flushed() → .flush([b, c])     // b and c share the next commit
/// flushed() → .none              // idle again
/// ```
/// More than one flush in flight overlaps one batch's round trip and commit with the
/// next batch's, which PostgreSQL's own WAL group commit then merges: the journal is
/// latency-bound, not CPU-bound, with one.
struct GroupCommitState<Item> {
    let maxBatch: Int
    let maxInFlight: Int
    private(set) var pending: [Item] = []
    private(set) var inFlight = 0

    init(maxBatch: Int, maxInFlight: Int = 1) {
        self.maxBatch = max(1, maxBatch)
        self.maxInFlight = max(1, maxInFlight)
    }

    enum Action {
        case none
        case flush([Item])
    }

    mutating func append(_ item: Item) -> Action {
        pending.append(item)
        guard inFlight < maxInFlight else { return .none }
        inFlight += 1
        return .flush(takeBatch())
    }

    /// Called when a flush finished (committed or failed).
    mutating func flushed() -> Action {
        guard !pending.isEmpty else {
            inFlight -= 1
            return .none
        }
        return .flush(takeBatch())
    }

    private mutating func takeBatch() -> [Item] {
        let count = min(maxBatch, pending.count)
        defer { pending.removeFirst(count) }
        return Array(pending.prefix(count))
    }
}

/// ``GroupCommitState`` with its I/O: callers submit items and wait; batches are flushed
/// as the state machine says, by the `flush` the submitting caller passes (every caller
/// of one committer passes the same), which returns each item's result. Used for the
/// journal's appends and the workers' completions.
///
/// A flush that takes longer than `flushTimeout` fails its items and gives its slot to
/// the next batch: the statement may have been lost by PostgresNIO (see
/// ``StatementGuard``), and a flush that never ends would hold every later item of the
/// process. One watchdog for the committer rather than a task per statement, which would
/// add two thread hops to each commit on the append path.
final class GroupCommitter<Item: Sendable, Outcome: Sendable>: Sendable {
    /// Returns one outcome per item, in the batch's order.
    typealias Flush = @Sendable ([Item]) async throws(StoreError) -> [Outcome]

    struct Entry: Sendable {
        let item: Item
        let done: Completion<Outcome>
    }

    private let state: Mutex<GroupCommitState<Entry>>
    private let watchdog: Watchdog

    init(maxBatch: Int, maxInFlight: Int = 1, flushTimeout: Duration, timeoutMessage: String) {
        state = Mutex(GroupCommitState(maxBatch: maxBatch, maxInFlight: maxInFlight))
        watchdog = Watchdog(timeout: flushTimeout) { .unavailable(timeoutMessage) }
    }

    /// Submits `item` and returns its result once the batch that carried it was flushed.
    /// `watch` sees the item's completion first (to fail it at a deadline).
    func submit(
        _ item: Item, watch: (Completion<Outcome>) -> Void = { _ in }, flush: @escaping Flush
    ) async throws(StoreError) -> Outcome {
        let done = Completion<Outcome>()
        let action = state.withLock { $0.append(Entry(item: item, done: done)) }
        watch(done)
        if case .flush(let batch) = action { start(batch, flush) }
        return try await done.wait()
    }

    private func start(_ batch: [Entry], _ flush: @escaping Flush) {
        let flusher = Flusher()
        flusher.set(Task { await self.flushing(batch, flush, flusher) })
    }

    /// Flushes `batch`, then the batches that gathered meanwhile, until none is left.
    private func flushing(_ batch: [Entry], _ flush: @escaping Flush, _ flusher: Flusher) async {
        var next: [Entry]? = batch
        while let current = next {
            let flight = Flight { [self] error in
                // Withdraws the statement where PostgresNIO still can (a request waiting
                // for a connection), so that a failed append does not commit later.
                flusher.cancel()
                for entry in current { entry.done.resolve(.failure(error)) }
                // This task may never come back: the next batch goes in a task of its own.
                if case .flush(let more) = state.withLock({ $0.flushed() }) { start(more, flush) }
            }
            watchdog.watch(flight)
            let outcome: Result<[Outcome], StoreError>
            do throws(StoreError) {
                outcome = .success(try await flush(current.map(\.item)))
            } catch {
                outcome = .failure(error)
            }
            // Past the deadline the watchdog already failed the batch and moved on.
            guard flight.land() else { return }
            switch outcome {
            case .success(let results):
                for (entry, result) in zip(current, results) {
                    entry.done.resolve(.success(result))
                }
            case .failure(let error):
                for entry in current { entry.done.resolve(.failure(error)) }
            }
            let action = state.withLock { $0.flushed() }
            if case .flush(let more) = action { next = more } else { next = nil }
        }
    }
}

/// The task that flushes, cancelled when a flush of it runs out of time (it may be
/// cancelled before it is known: the deadline is far longer than starting a task).
private final class Flusher: Sendable {
    private let state = Mutex<(task: Task<Void, Never>?, cancelled: Bool)>((nil, false))

    func set(_ task: Task<Void, Never>) {
        let cancelled = state.withLock { s in
            s.task = task
            return s.cancelled
        }
        if cancelled { task.cancel() }
    }

    func cancel() {
        let task = state.withLock { s in
            s.cancelled = true
            return s.task
        }
        task?.cancel()
    }
}

/// One flush in flight: it ends once, when it lands or when the watchdog gives up on it.
private final class Flight: Expiring {
    private let ended = Atomic(false)
    private let onExpiry: @Sendable (StoreError) -> Void

    init(onExpiry: @escaping @Sendable (StoreError) -> Void) { self.onExpiry = onExpiry }

    var isResolved: Bool { ended.load(ordering: .acquiring) }

    /// True when the flush landed before its deadline.
    func land() -> Bool { !ended.exchange(true, ordering: .acquiringAndReleasing) }

    func expire(_ error: StoreError) {
        if !ended.exchange(true, ordering: .acquiringAndReleasing) { onExpiry(error) }
    }
}
