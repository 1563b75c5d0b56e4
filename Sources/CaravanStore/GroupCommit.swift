/// Group commit as a state machine without I/O: while one batch is being committed, new
/// appends wait and then go together in the next batch (one transaction, one commit for
/// all of them), bounded by `maxBatch`. The caller performs the flushes it is told to.
///
/// ```
/// append(a) → .flush([a])        // idle: commit at once
/// append(b) → .none              // a is committing: b waits
/// append(c) → .none
/// flushed() → .flush([b, c])     // b and c share the next commit
/// flushed() → .none              // idle again
/// ```
struct GroupCommitState<Item> {
    let maxBatch: Int
    private(set) var pending: [Item] = []
    private(set) var flushing = false

    init(maxBatch: Int) { self.maxBatch = max(1, maxBatch) }

    enum Action {
        case none
        case flush([Item])
    }

    mutating func append(_ item: Item) -> Action {
        pending.append(item)
        guard !flushing else { return .none }
        flushing = true
        return .flush(takeBatch())
    }

    /// Called when a flush finished (committed or failed).
    mutating func flushed() -> Action {
        guard !pending.isEmpty else {
            flushing = false
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
