import Foundation
import Logging
import PostgresNIO

/// Keeps the store's tables small: deletes `done` messages older than the retention age
/// (a signed one not before its replay window ends: it is what refuses the replay),
/// and the signatures of signed requests whose replay window ended, a batch at a time (short transactions, no long locks, autovacuum keeps up). Dead
/// letters, replayed originals and discarded messages stay: they are the operators'
/// history. One node at a time does this: each batch takes a transaction-scoped advisory
/// lock in its own statement, so the lock ends with the statement whatever happens to the
/// connection or the task (a session lock whose unlock failed stayed on a pooled
/// connection, and every node then skipped housekeeping for good). A node that finds the
/// lock taken skips the round.
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

    /// Runs one round: prunes old `done` rows in batches until none is left, then the
    /// signatures whose replay window ended.
    @discardableResult
    public func runOnce() async throws(StoreError) -> Round {
        let messages = schema.table("messages")
        let old = try await deleteInBatches(
            from: messages,
            """
            SELECT id FROM \(messages)
            WHERE state = 'done' AND updated_at < now() - \(retention.milliseconds) * interval '1 millisecond'
                AND (signature_until IS NULL OR signature_until < now())
            """, key: "id")
        guard let old else { return .skipped }
        if old > 0 {
            logger.info(
                "pruned done messages",
                metadata: ["count": "\(old)", "older_than": "\(retention)"])
        }
        let signatures = schema.table("seen_signatures")
        _ = try await deleteInBatches(
            from: signatures, "SELECT ctid FROM \(signatures) WHERE until < now()", key: "ctid")
        return .pruned(old)
    }

    /// Deletes the rows `select` picks (by their `key` column) from `table`, `batchSize`
    /// per statement until fewer are left: how many, or nil when another node held the
    /// maintenance lock from the start.
    ///
    /// The lock and the batch are one statement, hence one transaction: the lock cannot
    /// outlive it. `locked` is evaluated once, before the DELETE reads any row.
    func deleteInBatches(from table: String, _ select: String, key column: String)
        async throws(StoreError) -> Int?
    {
        let sql = """
            WITH lock AS (SELECT pg_try_advisory_xact_lock($2) AS locked),
            deleted AS (
                DELETE FROM \(table) WHERE (SELECT locked FROM lock) AND \(column) IN (
                    \(select) LIMIT $1 FOR UPDATE SKIP LOCKED)
                RETURNING 1)
            SELECT (SELECT locked FROM lock), (SELECT count(*)::int FROM deleted)
            """
        let lock = Housekeeping.lockKey(schema)
        var total = 0
        while !Task.isCancelled {
            var b = PostgresBindings()
            b.append(batchSize)
            b.append(lock)
            let query = PostgresQuery(unsafeSQL: sql, binds: b)
            // Each statement on its own deadline: a round may delete for minutes.
            let (locked, deleted) = try await statements.run { [client, logger] in
                var result = (false, 0)
                for try await row in try await client.query(query, logger: logger)
                    .decode((Bool, Int).self)
                {
                    result = row
                }
                return result
            }
            if !locked {
                if total == 0 { return nil }
                break  // another node took over between two batches
            }
            total += deleted
            if deleted < batchSize { break }
        }
        return total
    }
}
