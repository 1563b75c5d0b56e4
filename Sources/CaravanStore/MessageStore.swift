import Caravan
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A message a worker claimed: what it needs to run or resume it.
public struct ClaimedMessage: Sendable {
    public var id: UUID
    public var route: String
    public var message: Message
    /// The exchange properties its consumer set (or of the exchange sent to `seda:`).
    public var properties: [String: Document] = [:]
    /// The exchange variables of the exchange sent to `seda:`.
    public var variables: [String: Document] = [:]
    /// This try's number (1 for the first).
    public var attempt: Int
    /// Where a previous try stopped, when it is a redelivery.
    public var failure: FailurePoint?
    /// When the message was stored (the end-to-end time is measured from here).
    public var acceptedAt: Date
}

/// The message lifecycle in PostgreSQL: ready → running (leased) → done, or → retrying
/// (due later) → running ..., or → dead. Each transition is one named statement
/// (``MessageQueries``) guarded by the lease owner, so a worker whose lease expired
/// cannot overwrite the work of the one that took over.
public struct MessageStore: Sendable {
    private let clients: any PostgresClientProvider
    /// The client for the next statement (a ``DatabasePool`` may replace it).
    public var client: PostgresClient { clients.client }
    public let schema: StoreSchema
    /// The statements with the schema's table names, spliced once.
    let queries: MessageQueries.ForSchema
    /// Completions of concurrent workers share one UPDATE.
    let completions: GroupCommitter<(ids: [UUID], owner: String), Bool>
    /// Fails a statement that has no answer within the statement timeout.
    let statements: StatementGuard
    /// Renews the leases of the batches workers are running.
    let leases: LeaseKeeper
    let logger: Logger
    /// How many times a message's lease may expire before it is a dead letter: a message
    /// that kills (or hangs) every node that takes it is not taken up forever.
    public var maxExpiredLeases = 5

    /// `statementTimeout` bounds each statement, so that a worker never waits forever on
    /// a lost connection: it reports the database as unavailable and tries again.
    public init(
        client: some PostgresClientProvider, schema: StoreSchema = .default,
        statementTimeout: Duration = StatementGuard.defaultTimeout,
        logger: Logger = Logger(label: "caravan.store")
    ) {
        self.clients = client
        self.schema = schema
        self.queries = MessageQueries.ForSchema(schema)
        self.statements = StatementGuard(timeout: statementTimeout)
        self.completions = GroupCommitter(
            maxBatch: 64, flushTimeout: statementTimeout,
            timeoutMessage: "completing messages had no answer within \(statementTimeout)")
        self.leases = LeaseKeeper()
        self.logger = logger
    }

    /// Runs one of ``queries`` (already specialised for the schema).
    ///
    /// Not prepared (unlike the journal's INSERT): their best plans depend on the table's
    /// size, and a prepared statement keeps the generic plan it chose early — a new
    /// schema's empty table made completions scan the whole table, 800 pages each after a
    /// few thousand messages, until an ANALYZE happened to invalidate the plan.
    func run(_ sql: String, _ bindings: PostgresBindings) async throws(StoreError)
        -> PostgresRowSequence
    {
        let query = PostgresQuery(unsafeSQL: sql, binds: bindings)
        return try await statements.run { [client, logger] in
            try await client.query(query, logger: logger)
        }
    }

    public func claim(routes: [String], owner: String, limit: Int, lease: Duration)
        async throws(StoreError) -> [ClaimedMessage]
    {
        var b = PostgresBindings()
        b.append(routes)
        b.append(limit)
        b.append(owner)
        b.append(lease.milliseconds)
        let rows = try await run(queries.claimDue, b)
        var claimed: [ClaimedMessage] = []
        do {
            for try await (
                id, route, headersText, body, contentType, attempt, failureText, createdAt,
                stateText
            )
                in rows.decode(
                    (UUID, String, String, ByteBuffer, String?, Int, String?, Date, String?).self)
            {
                let message = try Message(
                    storedHeaders: headersText, body: body, contentType: contentType)
                let failure = try failureText.map { text in try JSONReader().read(text) }.flatMap(
                    FailurePoint.init(document:))
                let state = try ExchangeState(stored: stateText)
                claimed.append(
                    ClaimedMessage(
                        id: id, route: route, message: message, properties: state.properties,
                        variables: state.variables, attempt: attempt, failure: failure,
                        acceptedAt: createdAt))
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.query("reading claimed messages: \(error)")
        }
        return claimed
    }

    /// Marks the owner's running messages done. Concurrent completions (other workers
    /// on this store) share one statement, as appends share one in the journal.
    public func complete(_ ids: [UUID], owner: String) async throws(StoreError) {
        guard !ids.isEmpty else { return }
        _ = try await completions.submit((ids, owner)) { (batch) throws(StoreError) in
            var b = PostgresBindings()
            b.append(batch.flatMap(\.ids))
            b.append(batch.flatMap { item in item.ids.map { _ in item.owner } })
            // The committer's deadline covers the flush: no task of its own.
            let query = PostgresQuery(unsafeSQL: queries.completeRunningOfOwners, binds: b)
            _ = try await withStoreErrors { try await client.query(query, logger: logger) }
            return batch.map { _ in true }
        }
    }

    public func scheduleRetry(_ id: UUID, owner: String, point: FailurePoint)
        async throws(StoreError)
    {
        var b = PostgresBindings()
        b.append(id)
        b.append(owner)
        b.append(point.delayMillis)
        b.append(JSONWriter().string(point.document))
        b.append(JSONWriter().string(MessageStore.errorRecord(point.error)))
        _ = try await run(queries.scheduleRetry, b)
    }

    public func markDead(_ id: UUID, owner: String, error: ProcessingError, point: Document?)
        async throws(StoreError)
    {
        var b = PostgresBindings()
        b.append(id)
        b.append(owner)
        b.append(point.map { JSONWriter().string($0) })
        b.append(JSONWriter().string(MessageStore.errorRecord(error)))
        _ = try await run(queries.markDead, b)
    }

    public func renewLeases(_ ids: [UUID], owner: String, lease: Duration) async throws(StoreError)
    {
        var b = PostgresBindings()
        b.append(ids)
        b.append(owner)
        b.append(lease.milliseconds)
        _ = try await run(queries.renewLeases, b)
    }

    /// Returns the messages whose lease expired to `ready`, except those whose lease
    /// expired ``maxExpiredLeases`` times: they become dead letters.
    @discardableResult
    public func releaseExpiredLeases() async throws(StoreError) -> ExpiredLeases {
        var b = PostgresBindings()
        b.append(maxExpiredLeases)
        let rows = try await run(queries.releaseExpiredLeases, b)
        var result = ExpiredLeases()
        do {
            for try await (id, route, state) in rows.decode((UUID, String, String).self) {
                if state == "dead" {
                    result.dead.append((id, route))
                    DeliveryMetrics.deadLetter(route: route)
                } else {
                    result.returned += 1
                }
            }
        } catch {
            throw StoreError.query("releasing expired leases: \(error)")
        }
        return result
    }

    /// Returns the running messages of `owner` and its workers (`owner/...`) to `ready`:
    /// a node shutting down gives back what it did not finish.
    @discardableResult
    public func releaseLeases(ownedBy owner: String) async throws(StoreError) -> Int {
        var b = PostgresBindings()
        b.append(owner)
        return try await count(queries.releaseLeasesOfOwner, b, "releasing leases")
    }

    /// Returns the owner's running messages `ids` to `ready` (not an attempt, not an
    /// expired lease); returns how many it moved.
    @discardableResult
    public func releaseLeases(_ ids: [UUID], ownedBy owner: String) async throws(StoreError)
        -> Int
    {
        guard !ids.isEmpty else { return 0 }
        var b = PostgresBindings()
        b.append(ids)
        b.append(owner)
        return try await count(queries.releaseLeasesOfIds, b, "releasing leases")
    }

    /// ``releaseLeases(_:ownedBy:)``, returning the ids it moved.
    public func releaseLeasesReturningIDs(_ ids: [UUID], ownedBy owner: String)
        async throws(StoreError) -> Set<UUID>
    {
        guard !ids.isEmpty else { return [] }
        var b = PostgresBindings()
        b.append(ids)
        b.append(owner)
        let rows = try await run(queries.releaseLeasesOfIds, b)
        do {
            var moved = Set<UUID>()
            for try await id in rows.decode(UUID.self) { moved.insert(id) }
            return moved
        } catch {
            throw StoreError.query("releasing leases: \(error)")
        }
    }

    /// Runs a statement that returns a row per message it moved: how many it moved.
    private func count(_ sql: String, _ bindings: PostgresBindings, _ what: String)
        async throws(StoreError) -> Int
    {
        let rows = try await run(sql, bindings)
        do {
            var count = 0
            for try await _ in rows { count += 1 }
            return count
        } catch {
            throw StoreError.query("\(what): \(error)")
        }
    }

    /// One entry of a message's attempt history.
    static func errorRecord(_ e: ProcessingError) -> Document {
        var o = DocumentObject()
        o.append(key: "kind", value: .string(e.kind.name))
        o.append(key: "message", value: .string(e.message))
        if !e.path.elements.isEmpty { o.append(key: "step", value: .string(e.path.description)) }
        if let endpoint = e.endpoint { o.append(key: "endpoint", value: .string(endpoint)) }
        if let status = e.statusCode {
            o.append(key: "status", value: .number(DecimalText(status)))
        }
        if let excerpt = e.responseExcerpt {
            o.append(key: "response", value: .string(String(excerpt.prefix(1024))))
        }
        return .object(o)
    }
}

extension Duration {
    /// Whole milliseconds (what the SQL intervals take).
    var milliseconds: Int {
        Int(components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000)
    }
}

extension Message {
    /// A message as a row keeps it: headers as JSON text, the body's bytes, the content type.
    init(storedHeaders: String, body: ByteBuffer, contentType: String?) throws(FormatError) {
        var headers = Headers()
        if case .object(let o) = try JSONReader().read(storedHeaders) {
            for m in o { headers[m.key] = m.value }
        }
        self.init(
            headers: headers,
            body: Body(bytes: Array(buffer: body), contentType: contentType.flatMap(MediaType.init))
        )
    }
}

/// What a sweep of expired leases did.
public struct ExpiredLeases: Sendable {
    /// Messages returned to `ready`.
    public var returned = 0
    /// Messages whose lease expired too often: now dead letters.
    public var dead: [(id: UUID, route: String)] = []

    public init() {}
}
