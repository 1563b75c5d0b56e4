import Synchronization

/// A one-shot result that the first of several parties sets (the statement, the
/// watchdog's deadline); later results are ignored.
final class Completion<Value: Sendable>: Sendable {
    private enum State {
        case pending(CheckedContinuation<Value, any Error>?)
        case done(Result<Value, StoreError>)
    }

    private let state = Mutex<State>(.pending(nil))

    func resolve(_ result: Result<Value, StoreError>) {
        let waiter = state.withLock { s -> CheckedContinuation<Value, any Error>? in
            guard case .pending(let c) = s else { return nil }
            s = .done(result)
            return c
        }
        waiter?.resume(with: result.mapError { $0 as any Error })
    }

    var isResolved: Bool {
        state.withLock { s in
            if case .done = s { return true }
            return false
        }
    }

    /// Waits for the result. A cancelled waiter stops waiting at once (the result is set
    /// to a failure): a stopping worker does not wait out the deadline of a statement
    /// PostgresNIO lost.
    func wait() async throws(StoreError) -> Value {
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation {
                    (c: CheckedContinuation<Value, any Error>) in
                    let ready = state.withLock { s -> Result<Value, StoreError>? in
                        switch s {
                        case .done(let r): return r
                        case .pending: s = .pending(c); return nil
                        }
                    }
                    if let ready { c.resume(with: ready.mapError { $0 as any Error }) }
                }
            } onCancel: {
                resolve(.failure(.unavailable("stopped waiting for PostgreSQL: cancelled")))
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.unavailable("\(error)")
        }
    }
}

/// What a ``Watchdog`` fails when its deadline passes.
protocol Expiring: AnyObject, Sendable {
    var isResolved: Bool { get }
    func expire(_ error: StoreError)
}

extension Completion: Expiring {
    func expire(_ error: StoreError) { resolve(.failure(error)) }
}
