import Foundation
import Synchronization

/// Group commit for completions: while one completion statement runs, the workers that
/// finish meanwhile wait and then go together in the next (``GroupCommitState``). Under
/// load this turns a statement per worker batch into a statement per few.
final class CompletionBatcher: Sendable {
    struct Item: Sendable {
        let ids: [UUID]
        let owner: String
        let done: Completion
    }

    private let state = Mutex(GroupCommitState<Item>(maxBatch: 64, maxInFlight: 1))

    /// Completes `ids` of `owner` through `flush`, shared with concurrent callers;
    /// returns once the statement that carried them ran.
    func complete(
        _ ids: [UUID], owner: String,
        flush: @escaping @Sendable ([Item]) async throws(StoreError) -> Void
    ) async throws(StoreError) {
        let done = Completion()
        let action = state.withLock { $0.append(Item(ids: ids, owner: owner, done: done)) }
        if case .flush(let batch) = action { start(batch, flush) }
        _ = try await done.wait()
    }

    private func start(
        _ batch: [Item], _ flush: @escaping @Sendable ([Item]) async throws(StoreError) -> Void
    ) {
        Task {
            var next: [Item]? = batch
            while let current = next {
                do {
                    try await flush(current)
                    for item in current { item.done.resolve(.success(true)) }
                } catch let error as StoreError {
                    for item in current { item.done.resolve(.failure(error)) }
                } catch {
                    for item in current { item.done.resolve(.failure(.query("\(error)"))) }
                }
                let action = state.withLock { $0.flushed() }
                if case .flush(let more) = action { next = more } else { next = nil }
            }
        }
    }
}
