import PostgresNIO

/// Runs store statements so that none waits forever: each runs in a task of its own, and
/// the caller stops waiting after `timeout` with ``StoreError/unavailable(_:)`` (the
/// statement's task is cancelled, which also withdraws a request still queued in the
/// pool).
///
/// Why not only PostgreSQL's `statement_timeout`: PostgresNIO 1.33 can lose a statement
/// on the client. A statement sent on a pooled connection that the server closed a
/// moment before (PostgreSQL restarting) is written to the closed channel without a
/// promise, and its result never comes — no error, no timeout. Measured: one run in
/// fifteen of the outage test left a worker's completion waiting forever, and with it
/// every later completion of the process. And the pool keeps a request for a connection
/// waiting as long as the server cannot be reached.
public final class StatementGuard: Sendable {
    public let timeout: Duration
    private let watchdog: Watchdog

    /// Generous for the store's statements, which take milliseconds; the deadline is for
    /// statements that will never answer, not slow ones.
    public static let defaultTimeout: Duration = .seconds(30)

    /// `timeoutMessage` is what ``StoreError/unavailable(_:)`` says when a statement runs
    /// out of time (by default, that PostgreSQL gave no answer within the timeout).
    public init(timeout: Duration = defaultTimeout, timeoutMessage: String? = nil) {
        self.timeout = timeout
        let message =
            timeoutMessage
            ?? "PostgreSQL gave no answer within \(timeout) — is it running and reachable?"
        self.watchdog = Watchdog(timeout: timeout) { .unavailable(message) }
    }

    /// Runs `statement` (PostgresNIO's errors become ``StoreError``s) and returns its
    /// result, or fails when it takes longer than ``timeout``. The statement may still
    /// take effect after that: callers treat the failure like a lost connection (the
    /// journal does not acknowledge, a worker's lease runs out and the message runs again).
    public func run<T: Sendable>(_ statement: @escaping @Sendable () async throws -> T)
        async throws(StoreError) -> T
    {
        let done = Completion<T>()
        let task = Task {
            do throws(StoreError) {
                done.resolve(.success(try await withStoreErrors(statement)))
            } catch {
                done.resolve(.failure(error))
            }
        }
        watchdog.watch(done)
        let outcome = await withTaskCancellationHandler {
            do throws(StoreError) {
                return Result<T, StoreError>.success(try await done.wait())
            } catch {
                return .failure(error)
            }
        } onCancel: {
            task.cancel()
        }
        // After the deadline: withdraw the statement (or its wait for a connection).
        if case .failure = outcome { task.cancel() }
        return try outcome.get()
    }
}
