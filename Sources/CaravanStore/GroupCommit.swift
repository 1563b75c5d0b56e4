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
final class GroupCommitter<Item: Sendable>: Sendable {
    typealias Flush = @Sendable ([Item]) async throws(StoreError) -> [Bool]

    struct Entry: Sendable {
        let item: Item
        let done: Completion<Bool>
    }

    private let state: Mutex<GroupCommitState<Entry>>

    init(maxBatch: Int, maxInFlight: Int = 1) {
        state = Mutex(GroupCommitState(maxBatch: maxBatch, maxInFlight: maxInFlight))
    }

    /// Submits `item` and returns its result once the batch that carried it was flushed.
    /// `watch` sees the item's completion first (to fail it at a deadline).
    func submit(
        _ item: Item, watch: (Completion<Bool>) -> Void = { _ in }, flush: @escaping Flush
    ) async throws(StoreError) -> Bool {
        let done = Completion<Bool>()
        let action = state.withLock { $0.append(Entry(item: item, done: done)) }
        watch(done)
        if case .flush(let batch) = action { start(batch, flush) }
        return try await done.wait()
    }

    private func start(_ batch: [Entry], _ flush: @escaping Flush) {
        Task {
            var next: [Entry]? = batch
            while let current = next {
                do throws(StoreError) {
                    let results = try await flush(current.map(\.item))
                    for (entry, result) in zip(current, results) {
                        entry.done.resolve(.success(result))
                    }
                } catch {
                    for entry in current { entry.done.resolve(.failure(error)) }
                }
                let action = state.withLock { $0.flushed() }
                if case .flush(let more) = action { next = more } else { next = nil }
            }
        }
    }
}
