import Caravan
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// A message to keep: what a durable consumer journals before it acknowledges.
public struct JournalEntry: Sendable {
    /// The message id (the exchange id; the HTTP `202` answers it).
    public var id: UUID
    public var route: String
    /// The endpoint it came from (`platform-http:/orders`).
    public var consumer: String
    public var message: Message

    public init(id: UUID = UUID(), route: String, consumer: String, message: Message) {
        self.id = id
        self.route = route
        self.consumer = consumer
        self.message = message
    }
}

/// The durable journal: appends messages as `ready` rows with group commit — concurrent
/// appends share one INSERT, hence one transaction and one commit — and returns to each
/// caller only after its row committed. When the database is unreachable, appends fail
/// with ``StoreError/unavailable(_:)``: nothing is acknowledged that is not committed.
public final class Journal: Sendable {
    public let client: PostgresClient
    public let schema: StoreSchema
    let logger: Logger
    private let state: Mutex<GroupCommitState<Pending>>
    private let commits = Mutex(0)

    struct Pending: Sendable {
        let entry: JournalEntry
        let done: Completion
    }

    /// How long an append waits for its commit before it reports the database as
    /// unavailable (the HTTP layer answers 503). PostgresNIO's pool would otherwise queue
    /// the request for up to a minute while it retries connecting.
    public let appendTimeout: Duration

    public init(
        client: PostgresClient, schema: StoreSchema = .default, maxBatch: Int = 500,
        appendTimeout: Duration = .seconds(5),
        logger: Logger = Logger(label: "caravan.journal")
    ) {
        self.appendTimeout = appendTimeout
        self.client = client
        self.schema = schema
        self.logger = logger
        self.state = Mutex(GroupCommitState(maxBatch: maxBatch))
    }

    /// How many commits (INSERT statements) the journal has made: fewer than appends when
    /// group commit shared them.
    public var commitCount: Int { commits.withLock { $0 } }

    /// Appends one message; returns once it is committed. Throws
    /// ``StoreError/unavailable(_:)`` when the commit does not happen within
    /// ``appendTimeout`` — the row may still commit later, so a sender that retries after
    /// a 503 can leave a duplicate (at-least-once), never a loss.
    public func append(_ entry: JournalEntry) async throws(StoreError) {
        let done = Completion()
        let action = state.withLock { $0.append(Pending(entry: entry, done: done)) }
        if case .flush(let batch) = action { startFlush(batch) }
        let timeout = appendTimeout
        let timer = Task {
            try await Task.sleep(for: timeout)
            done.resolve(
                .failure(
                    StoreError.unavailable(
                        "no commit within \(timeout) — is PostgreSQL running and reachable?")))
        }
        defer { timer.cancel() }
        try await done.wait()
    }

    private func startFlush(_ batch: [Pending]) {
        Task {
            var next: [Pending]? = batch
            while let current = next {
                await flush(current)
                let action = state.withLock { $0.flushed() }
                if case .flush(let more) = action { next = more } else { next = nil }
            }
        }
    }

    private func flush(_ batch: [Pending]) async {
        do {
            try await insert(batch.map(\.entry))
            commits.withLock { $0 += 1 }
            for p in batch { p.done.resolve(.success(())) }
        } catch {
            for p in batch { p.done.resolve(.failure(error)) }
        }
    }

    /// One INSERT for the whole batch, from parallel arrays.
    func insert(_ entries: [JournalEntry]) async throws(StoreError) {
        var ids: [UUID] = []
        var routes: [String] = []
        var consumers: [String] = []
        var headers: [String] = []
        var bodies: [ByteBuffer] = []
        var types: [String] = []
        for e in entries {
            ids.append(e.id)
            routes.append(e.route)
            consumers.append(e.consumer)
            headers.append(JSONWriter().string(e.message.headers.document))
            bodies.append(ByteBuffer(bytes: e.message.body.bytes))
            types.append(e.message.contentType?.description ?? "")
        }
        // One statement: the rows, and one notification for the whole batch (sent by
        // PostgreSQL at commit) that wakes idle workers everywhere.
        let sql = """
            WITH inserted AS (
                INSERT INTO \(schema.table("messages")) (id, route, consumer, headers, body, content_type)
                SELECT id, route, consumer, headers::jsonb, body, NULLIF(content_type, '')
                FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[])
                    AS t(id, route, consumer, headers, body, content_type)
                RETURNING route
            )
            SELECT pg_notify('\(schema.notificationChannel)', string_agg(DISTINCT route, ',')) FROM inserted
            """
        var bindings = PostgresBindings(capacity: 6)
        bindings.append(ids)
        bindings.append(routes)
        bindings.append(consumers)
        bindings.append(headers)
        bindings.append(bodies)
        bindings.append(types)
        let query = PostgresQuery(unsafeSQL: sql, binds: bindings)
        _ = try await withStoreErrors {
            try await client.query(query, logger: logger)
        }
    }
}

/// A one-shot result that the first of several parties (the commit, the timeout) sets.
final class Completion: Sendable {
    private enum State {
        case pending(CheckedContinuation<Void, any Error>?)
        case done(Result<Void, StoreError>)
    }

    private let state = Mutex<State>(.pending(nil))

    func resolve(_ result: Result<Void, StoreError>) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, any Error>? in
            guard case .pending(let c) = s else { return nil }
            s = .done(result)
            return c
        }
        waiter?.resume(with: result.mapError { $0 as any Error })
    }

    func wait() async throws(StoreError) {
        do {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let ready = state.withLock { s -> Result<Void, StoreError>? in
                    switch s {
                    case .done(let r): return r
                    case .pending: s = .pending(c); return nil
                    }
                }
                if let ready { c.resume(with: ready.mapError { $0 as any Error }) }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.unavailable("\(error)")
        }
    }
}
