import Foundation
import Logging
import PostgresNIO

/// Keeps the store's tables small: deletes `done` messages older than the retention age,
/// a batch at a time (short transactions, no long locks, autovacuum keeps up). Dead
/// letters, replayed originals and discarded messages stay: they are the operators'
/// history. One node at a time does this, under a session advisory lock; the others skip
/// the round.
public struct Housekeeping: Sendable {
    private let clients: any PostgresClientProvider
    /// The client for the next statement (a ``DatabasePool`` may replace it).
    public var client: PostgresClient { clients.client }
    public let schema: StoreSchema
    /// How long a `done` message is kept (for `caravan messages show` and audits).
    public var retention: Duration = .seconds(7 * 24 * 3600)
    /// Rows deleted per statement.
    public var batchSize = 5_000
    let statements = StatementGuard()
    let logger: Logger

    public init(
        client: some PostgresClientProvider, schema: StoreSchema = .default,
        logger: Logger = Logger(label: "caravan.housekeeping")
    ) {
        self.clients = client
        self.schema = schema
        self.logger = logger
    }

    /// The advisory lock that makes maintenance one node's job at a time.
    public static func lockKey(_ schema: StoreSchema) -> Int64 { schema.lockKey("maintenance") }

    /// What one round did.
    public enum Round: Sendable, Equatable {
        /// Another node holds the maintenance lock.
        case skipped
        case pruned(Int)
    }

    /// Runs one round: prunes old `done` rows in batches until none is left.
    @discardableResult
    public func runOnce() async throws(StoreError) -> Round {
        let key = Housekeeping.lockKey(schema)
        let sql = """
            WITH deleted AS (
                DELETE FROM \(schema.table("messages")) WHERE id IN (
                    SELECT id FROM \(schema.table("messages"))
                    WHERE state = 'done' AND updated_at < now() - $1 * interval '1 millisecond'
                    LIMIT $2
                    FOR UPDATE SKIP LOCKED)
                RETURNING 1)
            SELECT count(*)::int FROM deleted
            """
        let (retention, batchSize, logger, statements) = (retention, batchSize, logger, statements)
        return try await withStoreErrors {
            try await client.withConnection { connection in
                // Each statement on its own deadline: a round may delete for minutes.
                @Sendable func query(_ query: PostgresQuery) async throws(StoreError)
                    -> PostgresRowSequence
                {
                    try await statements.run { try await connection.query(query, logger: logger) }
                }
                let rows = try await query("SELECT pg_try_advisory_lock(\(key))")
                var locked = false
                for try await got in rows.decode(Bool.self) { locked = got }
                guard locked else { return .skipped }
                do {
                    var total = 0
                    while !Task.isCancelled {
                        var b = PostgresBindings()
                        b.append(retention.milliseconds)
                        b.append(batchSize)
                        var deleted = 0
                        for try await n in try await query(PostgresQuery(unsafeSQL: sql, binds: b))
                            .decode(Int.self)
                        {
                            deleted = n
                        }
                        total += deleted
                        if deleted < batchSize { break }
                    }
                    if total > 0 {
                        logger.info(
                            "pruned done messages",
                            metadata: ["count": "\(total)", "older_than": "\(retention)"])
                    }
                    _ = try await query("SELECT pg_advisory_unlock(\(key))")
                    return .pruned(total)
                } catch {
                    _ = try? await query("SELECT pg_advisory_unlock(\(key))")
                    throw error
                }
            }
        }
    }
}
