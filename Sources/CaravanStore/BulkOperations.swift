import Caravan
import Foundation
import Logging
import PostgresNIO

/// A bulk action over every dead letter a filter matches, as the store keeps it.
public struct BulkOperation: Sendable {
    public enum Action: String, Sendable, CaseIterable {
        case replay
        case replayFromStart = "replay from start"
        case discard
    }

    public var id: UUID
    public var action: Action
    public var filter: MessageFilter
    /// The journal position when it was created: later dead letters are not its own.
    public var upToSeq: Int64
    public var reason: String
    /// Messages per second at most (as SQS's redrive velocity).
    public var rate: Int
    /// `running`, `done` or `cancelled`.
    public var state: String
    /// How many dead letters matched when it was created.
    public var total: Int
    public var processed: Int
    public var createdBy: String
    public var createdAt: Date
    public var finishedAt: Date?
}

/// What a bulk action would do: how many dead letters its filter matches now, and the
/// first of them.
public struct OperationPreview: Sendable {
    public var count: Int
    public var sample: [UUID]
}

/// Bulk operations: created once (audited with their filter), run in batches by
/// whichever node holds their lease — a batch acts only while its runner still holds the
/// operation, in the same statement, so two nodes never run one operation twice and a
/// crash resumes where the last batch ended — and cancellable at any time.
public struct BulkOperations: Sendable {
    private let clients: any PostgresClientProvider
    public var client: PostgresClient { clients.client }
    public let schema: StoreSchema
    let statements = StatementGuard()
    let logger: Logger

    public init(
        client: some PostgresClientProvider, schema: StoreSchema = .default,
        logger: Logger = Logger(label: "caravan.operations")
    ) {
        self.clients = client
        self.schema = schema
        self.logger = logger
    }

    var table: String { schema.table("operations") }

    /// The dead letters `filter` matches now (its state, if any, must be `dead`).
    public func preview(_ filter: MessageFilter, sampleSize: Int = 10) async throws(StoreError)
        -> OperationPreview
    {
        try Self.validate(filter)
        var b = PostgresBindings()
        let selection = DeadLetterSelection(filter: filter)
        let whereClause = selection.clause(into: &b, schema: schema)
        let sql = """
            SELECT count(*)::int,
                   coalesce((SELECT array_agg(id) FROM (SELECT id FROM \(schema.table("messages"))
                             WHERE \(whereClause) ORDER BY seq LIMIT \(max(0, sampleSize))) s), '{}')
            FROM \(schema.table("messages")) WHERE \(whereClause)
            """
        return try await statements.run { [self, b] in
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
            for try await (count, sample) in rows.decode((Int, [UUID]).self) {
                return OperationPreview(count: count, sample: sample)
            }
            return OperationPreview(count: 0, sample: [])
        }
    }

    /// Creates an operation over what `filter` matches now; audited with the filter and
    /// the count.
    public func create(
        _ action: BulkOperation.Action, filter: MessageFilter, rate: Int, reason: String,
        by actor: Operator
    ) async throws(StoreError) -> BulkOperation {
        try Self.validate(filter)
        guard (1...10_000).contains(rate) else {
            throw StoreError.refused("rate must be 1 to 10000 messages per second")
        }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw StoreError.refused("a bulk action needs a reason, so the next operator knows why")
        }
        var b = PostgresBindings()
        b.append(UUID.timeOrdered())
        b.append(action.rawValue)
        b.append(JSONWriter().string(filter.document))
        b.append(reason)
        b.append(rate)
        b.append(actor.name)
        b.append(actor.via.rawValue)
        let whereClause = DeadLetterSelection(filter: filter).clause(into: &b, schema: schema)
        let sql = """
            WITH snapshot AS (
                SELECT coalesce(max(seq), 0) AS up_to, count(*)::int AS total
                FROM \(schema.table("messages")) WHERE \(whereClause)
            ), created AS (
                INSERT INTO \(table) (id, action, filter, up_to_seq, reason, rate, total, created_by, via)
                SELECT $1, $2, $3::jsonb, up_to, $4, $5, total, $6, $7 FROM snapshot
                RETURNING id, total
            ), logged AS (
                INSERT INTO \(schema.table("audit_log")) (actor, via, action, reason, target, count)
                SELECT $6, $7, 'bulk ' || $2, $4,
                       jsonb_build_object('operation', id, 'filter', $3::jsonb), total
                FROM created
            )
            SELECT id FROM created
            """
        let id = try await statements.run { [self, b] in
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
            for try await id in rows.decode(UUID.self) { return id }
            throw StoreError.query("the operation was not created")
        }
        OperatorMetrics.action(
            "bulk_" + action.rawValue.replacingOccurrences(of: " ", with: "_"), via: actor.via)
        guard let created = try await get(id) else {
            throw StoreError.query("the operation \(id) vanished after it was created")
        }
        try await notify()
        return created
    }

    public func get(_ id: UUID) async throws(StoreError) -> BulkOperation? {
        try await list(id: id).first
    }

    /// The newest operations first.
    public func list(id: UUID? = nil, limit: Int = 50) async throws(StoreError) -> [BulkOperation] {
        var b = PostgresBindings()
        var whereClause = "true"
        if let id {
            b.append(id)
            whereClause = "id = $1"
        }
        let sql = """
            SELECT id, action, filter::text, up_to_seq, reason, rate, state, total, processed, created_by,
                   created_at, finished_at
            FROM \(table) WHERE \(whereClause) ORDER BY created_at DESC LIMIT \(min(max(1, limit), 500))
            """
        return try await statements.run { [self, b] in
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
            var result: [BulkOperation] = []
            for try await (
                id, action, filter, upTo, reason, rate, state, total, processed, by, created,
                finished
            ) in rows.decode(
                (
                    UUID, String, String, Int64, String, Int, String, Int, Int, String, Date, Date?
                ).self)
            {
                result.append(
                    BulkOperation(
                        id: id, action: BulkOperation.Action(rawValue: action) ?? .replay,
                        filter: MessageFilter(document: try JSONReader().read(filter)),
                        upToSeq: upTo, reason: reason, rate: rate, state: state, total: total,
                        processed: processed, createdBy: by, createdAt: created,
                        finishedAt: finished))
            }
            return result
        }
    }

    /// Cancels a running operation: its runner's next batch acts on nothing.
    public func cancel(_ id: UUID, by actor: Operator) async throws(StoreError) {
        var b = PostgresBindings()
        b.append(id)
        b.append(actor.name)
        b.append(actor.via.rawValue)
        let sql = """
            WITH cancelled AS (
                UPDATE \(table) SET state = 'cancelled', owner = NULL, lease_expires_at = NULL,
                    finished_at = now(), updated_at = now()
                WHERE id = $1 AND state = 'running' RETURNING id, processed
            ), logged AS (
                INSERT INTO \(schema.table("audit_log")) (actor, via, action, target, count)
                SELECT $2, $3, 'cancel operation', jsonb_build_object('operation', id), processed
                FROM cancelled
            )
            SELECT count(*)::int FROM cancelled
            """
        let cancelled = try await statements.run { [self, b] in
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
            for try await n in rows.decode(Int.self) { return n }
            return 0
        }
        guard cancelled == 1 else {
            guard let operation = try await get(id) else {
                throw StoreError.notFound("operation \(id.lowercasedText) does not exist")
            }
            throw StoreError.refused(
                "operation \(id.lowercasedText) is \(operation.state): only a running one can be cancelled"
            )
        }
        OperatorMetrics.action("cancel_operation", via: actor.via)
    }

    /// Takes a running operation nobody holds (or whose holder's lease ran out) for
    /// `owner`, leased for `lease`.
    public func claim(owner: String, lease: Duration) async throws(StoreError) -> BulkOperation? {
        var b = PostgresBindings()
        b.append(owner)
        b.append(lease.milliseconds)
        let sql = """
            UPDATE \(table) SET owner = $1, lease_expires_at = now() + $2 * interval '1 millisecond',
                updated_at = now()
            WHERE id = (
                SELECT id FROM \(table)
                WHERE state = 'running' AND (owner IS NULL OR lease_expires_at < now())
                ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id
            """
        let id = try await statements.run { [self, b] in
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
            for try await id in rows.decode(UUID.self) { return id as UUID? }
            return nil
        }
        guard let id else { return nil }
        return try await get(id)
    }

    /// Runs one batch of `operation` for `owner` (at most `size` dead letters, oldest
    /// first) and renews its lease; returns how many it acted on — 0 when nothing is left
    /// (the operation is then `done`) or the operation is no longer this owner's.
    public func runBatch(_ operation: BulkOperation, owner: String, size: Int, lease: Duration)
        async throws(StoreError) -> Int
    {
        var selection = DeadLetterSelection(filter: operation.filter)
        selection.upToSeq = operation.upToSeq
        selection.batch = size
        selection.operation = (operation.id, owner)
        let letters = DeadLetters(client: clients, schema: schema, logger: logger)
        let actor = Operator(operation.createdBy, via: .api)
        let reason = "operation \(operation.id.lowercasedText): \(operation.reason)"
        let acted: Int
        switch operation.action {
        case .replay, .replayFromStart:
            acted = try await letters.replay(
                selection, fromStart: operation.action == .replayFromStart, by: actor,
                reason: reason, counted: false
            ).count
        case .discard:
            acted = try await letters.discard(selection, by: actor, reason: reason, counted: false)
                .count
        }
        var b = PostgresBindings()
        b.append(operation.id)
        b.append(owner)
        b.append(lease.milliseconds)
        b.append(acted == 0)
        // Nothing left: done. Else the lease runs on.
        let sql = """
            UPDATE \(table) SET
                updated_at = now(),
                state = CASE WHEN $4 THEN 'done' ELSE state END,
                finished_at = CASE WHEN $4 THEN now() ELSE finished_at END,
                owner = CASE WHEN $4 THEN NULL ELSE owner END,
                lease_expires_at = CASE WHEN $4 THEN NULL
                    ELSE now() + $3 * interval '1 millisecond' END
            WHERE id = $1 AND owner = $2 AND state = 'running'
            """
        _ = try await statements.run { [self, b] in
            try await client.query(PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
        }
        return acted
    }

    static func validate(_ filter: MessageFilter) throws(StoreError) {
        try filter.validate()
        if let state = filter.state, state != "dead" {
            throw StoreError.refused(
                "a bulk action applies to dead letters: state must be dead or left out, not \(state)"
            )
        }
    }

    /// Wakes the runners (theirs is the same channel as replays').
    func notify() async throws(StoreError) {
        _ = try await statements.run { [self] in
            try await client.query(
                PostgresQuery(
                    unsafeSQL: "SELECT pg_notify('\(schema.notificationChannel)', 'operation')"),
                logger: logger)
        }
    }
}
