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
    /// The signature of the signed request that carried it, kept with the message until
    /// its window ends. The same request again derives the same ``id``; finding the id
    /// journaled with this signature makes it a replay (a retry, signed anew, finds another
    /// one and is the stored message's duplicate). The claim's policy is the route's.
    public var signature: SignatureClaim?
    /// Exchange properties its consumer set (a timer's `CamelTimerCounter`), or of the
    /// exchange sent to `seda:`: the exchange that runs it starts with them.
    public var properties: [String: Document] = [:]
    /// Exchange variables of the exchange sent to `seda:`, as properties.
    public var variables: [String: Document] = [:]

    public init(
        id: UUID = .timeOrdered(), route: String, consumer: String, message: Message,
        signature: SignatureClaim? = nil
    ) {
        self.id = id
        self.route = route
        self.consumer = consumer
        self.message = message
        self.signature = signature
    }
}

/// What an append did with its message.
public enum Appended: Sendable, Equatable {
    /// Committed, or journaled before under the same id.
    case stored
    /// Not written: its id is journaled with the same signature (a replay).
    case replay
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
    private let committer: GroupCommitter<Pending, Written>
    private let commits = Mutex(0)
    private let watchdog: Watchdog
    /// The batch INSERT for this schema (see ``insert(_:)``), and the one that also
    /// writes signatures and exchange state (for batches with a message that has either).
    private let insertStatement: StoreStatement
    private let signedInsertStatement: StoreStatement
    /// The statement after it on the same connection, whose answer proves the commit.
    private let proofStatement: StoreStatement

    struct Pending: Sendable {
        let entry: JournalEntry
        /// Set when the row is claimed for a local worker in the same statement.
        let handOff: LocalQueue?
    }

    /// What the INSERT did with one pending message.
    enum Written: Sendable, Equatable {
        case stored(handedOver: Bool)
        case replay
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
        // local worker. The extended form also writes each row's signature and the end of
        // its window (empty: none), and its exchange properties and variables (empty:
        // none; see ``ExchangeState``).
        func insertSQL(signed: Bool) -> String {
            let columns =
                "id, route, consumer, headers, body, content_type, owner, lease"
                + (signed ? ", signature, until, exchange" : "")
            let arrays =
                "$1::uuid[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[], $7::text[], $8::bigint[]"
                + (signed ? ", $9::text[], $10::timestamptz[], $11::text[]" : "")
            return """
                WITH input AS (SELECT * FROM unnest(\(arrays)) AS t(\(columns))),
                inserted AS (
                    INSERT INTO \(schema.table("messages"))
                        (id, route, consumer, headers, body, content_type, state, attempt, lease_owner, lease_expires_at\(signed ? ", signature, signature_until, exchange" : ""))
                    SELECT id, route, consumer, headers::jsonb, body, NULLIF(content_type, ''),
                        CASE WHEN owner = '' THEN 'ready' ELSE 'running' END,
                        CASE WHEN owner = '' THEN 0 ELSE 1 END,
                        NULLIF(owner, ''),
                        CASE WHEN owner = '' THEN NULL ELSE now() + lease * interval '1 millisecond' END
                        \(signed ? ", NULLIF(signature, ''), CASE WHEN signature = '' THEN NULL ELSE until END, NULLIF(exchange, '')::jsonb" : "")
                    FROM input AS i
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
        }
        self.insertStatement = StoreStatement(
            "journalInsert", insertSQL(signed: false), schema: schema)
        self.signedInsertStatement = StoreStatement(
            "journalInsertSigned", insertSQL(signed: true), schema: schema)
        self.proofStatement = StoreStatement(
            "journalProof",
            "SELECT id, signature FROM \(schema.table("messages")) WHERE id = ANY($1::uuid[])",
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
    @discardableResult
    public func append(_ entry: JournalEntry, handOff: LocalQueue? = nil)
        async throws(StoreError) -> Appended
    {
        if let outage = clients.knownOutage { throw .unavailable(outage) }
        let local = handOff.flatMap { $0.reserve() ? $0 : nil }
        let written: Written
        let pending = Pending(entry: entry, handOff: local)
        do {
            written = try await committer.submit(
                pending, watch: { [watchdog] in watchdog.watch($0) }
            ) { (batch) throws(StoreError) in
                let written = try await self.insert(batch)
                self.commits.withLock { $0 += 1 }
                return written
            }
        } catch {
            local?.cancelReservation()
            // The INSERT may still commit (its answer was late, or lost with the
            // connection), leasing the row to `local` with no worker waiting for it: the
            // workers give it back to `ready` once it shows up.
            local?.giveBack(entry.id)
            throw error
        }
        switch written {
        case .replay:
            local?.cancelReservation()
            return .replay
        case .stored(let handedOver):
            guard let local else { return .stored }
            guard handedOver else {
                // The id was journaled before (a repeated hand-off): whoever holds it runs
                // it.
                local.cancelReservation()
                return .stored
            }
            local.deliver(
                ClaimedMessage(
                    id: entry.id, route: entry.route, message: entry.message,
                    properties: entry.properties, variables: entry.variables, attempt: 1,
                    failure: nil, acceptedAt: Date()))
            return .stored
        }
    }

    /// One INSERT for the whole batch, from parallel arrays; returns what it did with each
    /// pending message. Returns only with proof that every message of the batch that is
    /// not a replay is committed, else throws ``StoreError/unavailable(_:)``.
    ///
    /// The proof is a second statement on the same connection. An INSERT outside a
    /// transaction commits when the server processes the `Sync` after it, but PostgresNIO
    /// ends the statement at its `CommandComplete`, before that: the rows came back while
    /// the commit could still fail or be lost (PostgreSQL killed between the two). The
    /// server answers the next statement only after the commit, so its answer is the proof
    /// — and it reads back the ids the INSERT skipped as already journaled, so that every
    /// id is accounted for.
    func insert(_ batch: [Pending]) async throws(StoreError) -> [Written] {
        let signed = batch.contains {
            $0.entry.signature != nil || !$0.entry.properties.isEmpty
                || !$0.entry.variables.isEmpty
        }
        var ids: [UUID] = []
        var routes: [String] = []
        var consumers: [String] = []
        var headers: [String] = []
        var bodies: [ByteBuffer] = []
        var types: [String] = []
        var owners: [String] = []
        var leases: [Int] = []
        var signatures: [String] = []
        var untils: [Date] = []
        var states: [String] = []
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
            // Only a batch with a signed message or exchange state binds those columns.
            guard signed else { continue }
            signatures.append(e.signature?.signature ?? "")
            untils.append(e.signature?.until ?? Date(timeIntervalSince1970: 0))
            states.append(
                ExchangeState(properties: e.properties, variables: e.variables).stored ?? "")
        }
        var bindings = PostgresBindings(capacity: signed ? 11 : 8)
        bindings.append(ids)
        bindings.append(routes)
        bindings.append(consumers)
        bindings.append(headers)
        bindings.append(bodies)
        bindings.append(types)
        bindings.append(owners)
        bindings.append(leases)
        if signed {
            bindings.append(signatures)
            bindings.append(untils)
            bindings.append(states)
        }
        let statement = signed ? signedInsertStatement : insertStatement
        let (proofStatement, logger) = (proofStatement, logger)
        // No StatementGuard: the group committer's deadline covers the flush.
        let (written, handedOver, found) = try await withStoreErrors {
            try await client.withConnection { [appendTimeout] connection in
                // A commit that fails after the INSERT answered can leave the next
                // statement unanswered on this connection; the appends already failed at
                // `appendTimeout` (the watchdog), and closing it then gives the connection
                // back instead of holding it (and the pool's shutdown) for ever.
                let closer = Task {
                    try await Task.sleep(for: appendTimeout * 2)
                    try? await connection.close()
                }
                defer { closer.cancel() }
                var written = Set<UUID>()
                var handedOver = Set<UUID>()
                for try await row in try await connection.execute(
                    statement, bindings, logger: logger)
                {
                    let (id, local) = try row.decode((UUID?, Bool).self)
                    guard let id else { continue }
                    written.insert(id)
                    if local { handedOver.insert(id) }
                }
                // Read after the commit, this sees a row another batch committed while
                // the INSERT waited on it, and the first of this batch's repeats.
                var skipped = PostgresBindings(capacity: 1)
                skipped.append(Array(Set(ids.filter { !written.contains($0) })))
                var found: [UUID: String?] = [:]
                for try await row in try await connection.execute(
                    proofStatement, skipped, logger: logger)
                {
                    let (id, signature) = try row.decode((UUID, String?).self)
                    found[id] = signature
                }
                return (written, handedOver, found)
            }
        }
        let unproven = batch.filter {
            !written.contains($0.entry.id) && found[$0.entry.id] == nil
        }.map(\.entry.id)
        if !unproven.isEmpty {
            logger.error(
                "the journal could not confirm a batch: ids neither written nor found",
                metadata: ["count": "\(unproven.count)", "first": "\(unproven[0].lowercasedText)"])
            throw .unavailable(
                "PostgreSQL did not confirm \(unproven.count) of \(ids.count) messages; nothing of the batch is acknowledged"
            )
        }
        // The signature each id is journaled with: the batch's first message with that id
        // when the INSERT wrote it, else the row found. A later message is a replay when
        // it carries that signature, else a duplicate of what is stored.
        var held = found
        var seen = Set<UUID>()
        return batch.map { p in
            let id = p.entry.id
            if seen.insert(id).inserted, written.contains(id) {
                held[id] = p.entry.signature?.signature
                return .stored(handedOver: handedOver.contains(id))
            }
            if let signature = p.entry.signature?.signature, (held[id] ?? nil) == signature {
                return .replay
            }
            return .stored(handedOver: false)
        }
    }
}
