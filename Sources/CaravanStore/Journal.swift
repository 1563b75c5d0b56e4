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

    public init(id: UUID = .timeOrdered(), route: String, consumer: String, message: Message) {
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
    private let clients: any PostgresClientProvider
    /// The client for the next statement (a ``DatabasePool`` may replace it).
    public var client: PostgresClient { clients.client }
    public let schema: StoreSchema
    let logger: Logger
    private let committer: GroupCommitter<Pending>
    private let commits = Mutex(0)
    private let watchdog: Watchdog
    /// The batch INSERT for this schema (see ``insert(_:)``).
    private let insertStatement: StoreStatement
    /// The statement after it on the same connection, whose answer proves the commit.
    private let proofStatement: StoreStatement

    struct Pending: Sendable {
        let entry: JournalEntry
        /// Set when the row is claimed for a local worker in the same statement.
        let handOff: LocalQueue?
    }

    /// How long an append waits for its commit before it reports the database as
    /// unavailable (the HTTP layer answers 503). PostgresNIO's pool would otherwise queue
    /// the request for up to a minute while it retries connecting.
    public let appendTimeout: Duration

    public init(
        client: some PostgresClientProvider, schema: StoreSchema = .default, maxBatch: Int = 500,
        maxInFlight: Int = 2, appendTimeout: Duration = .seconds(5),
        logger: Logger = Logger(label: "caravan.journal")
    ) {
        self.appendTimeout = appendTimeout
        self.watchdog = Watchdog(timeout: appendTimeout) {
            .unavailable("no commit within \(appendTimeout) — is PostgreSQL running and reachable?")
        }
        // One statement: the rows, and one notification naming the routes that got ready
        // rows (sent by PostgreSQL at commit), which wakes idle workers everywhere. Rows
        // handed to a local worker are written `running`, leased to it; ids already
        // journaled are skipped. It returns every id it wrote, and whether it went to a
        // local worker.
        let insertSQL = """
            WITH inserted AS (
                INSERT INTO \(schema.table("messages"))
                    (id, route, consumer, headers, body, content_type, state, attempt, lease_owner, lease_expires_at)
                SELECT id, route, consumer, headers::jsonb, body, NULLIF(content_type, ''),
                    CASE WHEN owner = '' THEN 'ready' ELSE 'running' END,
                    CASE WHEN owner = '' THEN 0 ELSE 1 END,
                    NULLIF(owner, ''),
                    CASE WHEN owner = '' THEN NULL ELSE now() + lease * interval '1 millisecond' END
                FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[],
                    $7::text[], $8::bigint[])
                    AS t(id, route, consumer, headers, body, content_type, owner, lease)
                ON CONFLICT (id) DO NOTHING
                RETURNING id, route, state
            ), ready AS (
                SELECT string_agg(DISTINCT route, ',') AS routes FROM inserted WHERE state = 'ready'
            ), notified AS (
                SELECT pg_notify('\(schema.notificationChannel)', routes) FROM ready WHERE routes IS NOT NULL
            )
            SELECT id, state = 'running' FROM inserted
            UNION ALL SELECT NULL::uuid, false FROM notified
            """
        self.insertStatement = StoreStatement("journalInsert", insertSQL, schema: schema)
        self.proofStatement = StoreStatement(
            "journalProof",
            "SELECT id FROM \(schema.table("messages")) WHERE id = ANY($1::uuid[])",
            schema: schema)
        self.clients = client
        self.schema = schema
        self.logger = logger
        // A flush that outlived every append it carries is no use waiting for.
        self.committer = GroupCommitter(
            maxBatch: maxBatch, maxInFlight: maxInFlight, flushTimeout: appendTimeout,
            timeoutMessage: "the journal's INSERT had no answer within \(appendTimeout)")
    }

    /// How many commits (INSERT statements) the journal has made: fewer than appends when
    /// group commit shared them.
    public var commitCount: Int { commits.withLock { $0 } }

    /// Appends one message; returns once it is committed. Throws
    /// ``StoreError/unavailable(_:)`` when the commit does not happen within
    /// ``appendTimeout`` — the row may still commit later, so a sender that retries after
    /// a 503 can leave a duplicate (at-least-once), never a loss — and at once while the
    /// client provider knows the server is away.
    ///
    /// With `handOff` (this node's workers serve the route and have room), the row is
    /// written already leased to them and the message goes to their queue once committed:
    /// no claim reads it back. A message whose id is already journaled is not written again
    /// (a hand-off repeated after a crash).
    public func append(_ entry: JournalEntry, handOff: LocalQueue? = nil)
        async throws(StoreError)
    {
        if let outage = clients.knownOutage { throw .unavailable(outage) }
        let local = handOff.flatMap { $0.reserve() ? $0 : nil }
        let handedOver: Bool
        let pending = Pending(entry: entry, handOff: local)
        do {
            handedOver = try await commit(pending)
        } catch {
            local?.cancelReservation()
            // The INSERT may still commit (its answer was late, or lost with the
            // connection), leasing the row to `local` with no worker waiting for it: the
            // workers give it back to `ready` once it shows up.
            local?.giveBack(entry.id)
            throw error
        }
        guard let local else { return }
        guard handedOver else {
            // The id was journaled before (a repeated hand-off): whoever holds it runs it.
            local.cancelReservation()
            return
        }
        local.deliver(
            ClaimedMessage(
                id: entry.id, route: entry.route, message: entry.message, attempt: 1,
                failure: nil, acceptedAt: Date()))
    }

    /// True when the row was written here, leased to `handOff`.
    private func commit(_ pending: Pending) async throws(StoreError) -> Bool {
        try await committer.submit(pending, watch: { [watchdog] in watchdog.watch($0) }) {
            (batch) throws(StoreError) in
            let handedOver = try await self.insert(batch)
            self.commits.withLock { $0 += 1 }
            return batch.map { handedOver.contains($0.entry.id) }
        }
    }

    /// One INSERT for the whole batch, from parallel arrays; returns the ids written
    /// leased to a local worker. Returns only with proof that every id of the batch is
    /// committed, else throws ``StoreError/unavailable(_:)``.
    ///
    /// The proof is a second statement on the same connection. An INSERT outside a
    /// transaction commits when the server processes the `Sync` after it, but PostgresNIO
    /// ends the statement at its `CommandComplete`, before that: the rows came back while
    /// the commit could still fail or be lost (PostgreSQL killed between the two). The
    /// server answers the next statement only after the commit, so its answer is the proof
    /// — and it reads back the ids the INSERT skipped as already journaled, so that every
    /// id is accounted for.
    func insert(_ batch: [Pending]) async throws(StoreError) -> Set<UUID> {
        var ids: [UUID] = []
        var routes: [String] = []
        var consumers: [String] = []
        var headers: [String] = []
        var bodies: [ByteBuffer] = []
        var types: [String] = []
        var owners: [String] = []
        var leases: [Int] = []
        for p in batch {
            let e = p.entry
            owners.append(p.handOff?.owner ?? "")
            leases.append(p.handOff?.lease.milliseconds ?? 0)
            ids.append(e.id)
            routes.append(e.route)
            consumers.append(e.consumer)
            headers.append(JSONWriter().string(e.message.headers.document))
            bodies.append(ByteBuffer(bytes: e.message.body.bytes))
            types.append(e.message.contentType?.description ?? "")
        }
        var bindings = PostgresBindings(capacity: 8)
        bindings.append(ids)
        bindings.append(routes)
        bindings.append(consumers)
        bindings.append(headers)
        bindings.append(bodies)
        bindings.append(types)
        bindings.append(owners)
        bindings.append(leases)
        let (insertStatement, proofStatement, logger) = (insertStatement, proofStatement, logger)
        // No StatementGuard: the group committer's deadline covers the flush.
        let (written, handedOver, found) = try await withStoreErrors {
            try await client.withConnection { connection in
                var written = Set<UUID>()
                var handedOver = Set<UUID>()
                for try await row in try await connection.execute(
                    insertStatement, bindings, logger: logger)
                {
                    let (id, local) = try row.decode((UUID?, Bool).self)
                    guard let id else { continue }
                    written.insert(id)
                    if local { handedOver.insert(id) }
                }
                var skipped = PostgresBindings(capacity: 1)
                skipped.append(ids.filter { !written.contains($0) })
                var found = Set<UUID>()
                for try await row in try await connection.execute(
                    proofStatement, skipped, logger: logger)
                {
                    found.insert(try row.decode(UUID.self))
                }
                return (written, handedOver, found)
            }
        }
        let unproven = ids.filter { !written.contains($0) && !found.contains($0) }
        if !unproven.isEmpty {
            logger.error(
                "the journal could not confirm a batch: ids neither written nor found",
                metadata: ["count": "\(unproven.count)", "first": "\(unproven[0].lowercasedText)"])
            throw .unavailable(
                "PostgreSQL did not confirm \(unproven.count) of \(ids.count) messages; nothing of the batch is acknowledged"
            )
        }
        return handedOver
    }
}
