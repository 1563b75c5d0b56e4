import Caravan
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A message in the store, in any state, as operators see it.
public struct StoredMessage: Sendable {
    public var id: UUID
    /// Its place in arrival order (the cursor of a list is the last one's).
    public var seq: Int64
    public var route: String
    public var consumer: String
    public var state: String
    public var attempts: Int
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var dueAt: Date
    public var replayOf: UUID?
    /// The body's size in bytes (also when a list leaves the body out).
    public var size: Int
    /// Headers and body (the body empty when a list leaves it out).
    public var message: Message
    /// Every attempt's error, oldest first (`{at, attempt, kind, message, step, ...}`).
    public var errors: Document
}

/// One message with everything an operator looks at: its attempts, what operators did to
/// it, the message before an edit, and the links between an original and its replays.
public struct MessageDetail: Sendable {
    public var stored: StoredMessage
    /// What operators did (`{at, by, action, reason}`), oldest first.
    public var audit: Document
    /// The message before its first edit.
    public var original: Document?
    /// The replays of this message, oldest first.
    public var replays: [UUID]
}

/// A page of a list, newest first; `next` is the cursor of the page after it (nil: last).
public struct MessagePage: Sendable {
    public var messages: [StoredMessage]
    public var next: Int64?
    /// Set when a text search over messages in every state read as many messages as one
    /// call may without filling the page: the arrival number (`seq`) it read down to.
    /// `next` then continues the search below it.
    public var searchedDownTo: Int64?

    public init(messages: [StoredMessage], next: Int64?, searchedDownTo: Int64? = nil) {
        self.messages = messages
        self.next = next
        self.searchedDownTo = searchedDownTo
    }
}

/// Browsing the journal: `caravan messages`, the admin API and the console.
public struct Messages: Sendable {
    private let clients: any PostgresClientProvider
    /// The client for the next statement (a ``DatabasePool`` may replace it).
    public var client: PostgresClient { clients.client }
    public let schema: StoreSchema
    let statements = StatementGuard()
    let logger: Logger

    public init(
        client: some PostgresClientProvider, schema: StoreSchema = .default,
        logger: Logger = Logger(label: "caravan.messages")
    ) {
        self.clients = client
        self.schema = schema
        self.logger = logger
    }

    /// The messages `filter` selects, newest first, `limit` at a time: keyset pages (the
    /// page after `cursor`), which cost the same on the thousandth page as on the first.
    /// Without `bodies` the bodies are left out (their size is given).
    public func list(
        _ filter: MessageFilter = MessageFilter(), after cursor: Int64? = nil, limit: Int = 100,
        bodies: Bool = true
    ) async throws(StoreError) -> MessagePage {
        try filter.validate()
        let limit = min(max(1, limit), 1000)
        // Text among dead letters: a common text fills a page from the newest few thousand
        // (read in order), a rare one needs the trigram index — and the planner cannot
        // tell which (it guessed 10 rows where 14,286 matched, and took 193 ms instead of
        // 14). So the window first, and the index when the window does not fill the page.
        if let text = filter.text, filter.state == "dead" {
            var b = PostgresBindings()
            let whereClause = Self.windowClause(filter, below: cursor, into: &b)
            b.append(MessageFilter.pattern(text))
            // `|| ''` keeps the planner off the trigram index here.
            let source = """
                (SELECT * FROM \(schema.table("messages")) WHERE \(whereClause)
                 ORDER BY seq DESC LIMIT \(Self.searchWindow)) AS m
                WHERE (\(MessageFilter.searchText) || '') ILIKE $\(b.count)
                """
            let page = try await page(from: source, b, limit: limit, bodies: bodies)
            if page.next != nil { return page }
        } else if let text = filter.text {
            return try await scan(filter, text: text, after: cursor, limit: limit, bodies: bodies)
        }
        var b = PostgresBindings()
        var whereClause = filter.clause(into: &b)
        if let cursor {
            b.append(cursor)
            whereClause += " AND seq < $\(b.count)"
        }
        return try await page(
            from: "\(schema.table("messages")) WHERE \(whereClause)", b, limit: limit,
            bodies: bodies)
    }

    /// How many of the newest dead letters a text search reads in order before it asks
    /// the trigram index.
    static let searchWindow = 5000

    /// How many messages one call of a text search beyond the dead letters reads at most
    /// (20,000 take about 40 ms).
    public var scanWindow = 20_000

    /// Text search beyond the dead letters: a bounded scan, newest first. Only dead letters
    /// have a trigram index — one over every message cost 2.6× in append rate (varied 1 KB
    /// bodies) — so each call reads at most ``scanWindow`` messages and, when they do not
    /// fill the page, answers what it found with a cursor below them (as DynamoDB's Scan
    /// does): every call stays fast however many messages there are, and following
    /// `next` searches all of them.
    /// The conditions of `filter` but its text, below `cursor`: the rows a text search
    /// window reads in order.
    private static func windowClause(
        _ filter: MessageFilter, below cursor: Int64?, into b: inout PostgresBindings
    ) -> String {
        var window = filter
        window.text = nil
        var clause = window.clause(into: &b)
        if let cursor {
            b.append(cursor)
            clause += " AND seq < $\(b.count)"
        }
        return clause
    }

    private func scan(
        _ filter: MessageFilter, text: String, after cursor: Int64?, limit: Int, bodies: Bool
    ) async throws(StoreError) -> MessagePage {
        var b = PostgresBindings()
        let whereClause = Self.windowClause(filter, below: cursor, into: &b)
        b.append(MessageFilter.pattern(text))
        // `|| ''` keeps the planner off the dead letters' trigram index.
        let sql = """
            WITH w AS (SELECT seq, (\(MessageFilter.searchText) || '') ILIKE $\(b.count) AS hit
                       FROM \(schema.table("messages")) WHERE \(whereClause)
                       ORDER BY seq DESC LIMIT \(scanWindow))
            SELECT count(*)::int, min(seq),
                   coalesce((array_agg(seq ORDER BY seq DESC) FILTER (WHERE hit))[1:\(limit + 1)], '{}')
            FROM w
            """
        let (read, lowest, hits) = try await statements.run { [self, b] in
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
            for try await row in rows.decode((Int, Int64?, [Int64]).self) { return row }
            return (0, nil, [])
        }
        var found = PostgresBindings()
        found.append(hits)
        var page = try await page(
            from: "\(schema.table("messages")) WHERE seq = ANY($1)", found, limit: limit,
            bodies: bodies)
        if page.next == nil, read == scanWindow, let lowest {
            page.next = lowest
            page.searchedDownTo = lowest
        }
        return page
    }

    /// The newest `limit` rows of `source` (a table and its conditions) and the next cursor.
    private func page(
        from source: String, _ b: PostgresBindings, limit: Int, bodies: Bool
    ) async throws(StoreError) -> MessagePage {
        let sql = """
            SELECT id, seq, route, consumer, state, attempt, errors->-1->>'message', created_at, updated_at, due_at, replay_of,
                   headers::text, \(bodies ? "body" : "''::bytea"), length(body), content_type, errors::text
            FROM \(source)
            ORDER BY seq DESC LIMIT \(limit + 1)
            """
        var messages = try await statements.run { [self, b] in
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
            var result: [StoredMessage] = []
            for try await (
                id, seq, route, consumer, state, attempts, lastError, created, updated, due,
                replayOf, headers, body, size, type, errors
            )
                in rows.decode(
                    (
                        UUID, Int64, String, String, String, Int, String?, Date, Date, Date, UUID?,
                        String, ByteBuffer, Int, String?, String
                    ).self)
            {
                result.append(
                    StoredMessage(
                        id: id, seq: seq, route: route, consumer: consumer, state: state,
                        attempts: attempts, lastError: lastError, createdAt: created,
                        updatedAt: updated, dueAt: due, replayOf: replayOf, size: size,
                        message: try Message(storedHeaders: headers, body: body, contentType: type),
                        errors: try JSONReader().read(errors)))
            }
            return result
        }
        var next: Int64?
        if messages.count > limit {
            messages.removeLast()
            next = messages.last?.seq
        }
        return MessagePage(messages: messages, next: next)
    }

    /// One message by id, whatever its state.
    public func show(_ id: UUID) async throws(StoreError) -> StoredMessage? {
        try await detail(id)?.stored
    }

    /// One message with its attempts, audit, original and replays; nil when there is none.
    public func detail(_ id: UUID) async throws(StoreError) -> MessageDetail? {
        var b = PostgresBindings()
        b.append(id)
        let table = schema.table("messages")
        let sql = """
            SELECT m.id, m.seq, m.route, m.consumer, m.state, m.attempt, m.errors->-1->>'message', m.created_at,
                   m.updated_at, m.due_at, m.replay_of, m.headers::text, m.body, length(m.body), m.content_type,
                   m.errors::text, m.audit::text, m.original::text,
                   coalesce((SELECT array_agg(r.id ORDER BY r.seq) FROM \(table) r WHERE r.replay_of = m.id), '{}')
            FROM \(table) m WHERE m.id = $1
            """
        return try await statements.run { [self, b] in
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
            for try await row in rows {
                let (
                    id, seq, route, consumer, state, attempts, lastError, created, updated, due,
                    replayOf, headers, body, size, type, errors, audit, original, replays
                ) = try row.decode(
                    (
                        UUID, Int64, String, String, String, Int, String?, Date, Date, Date, UUID?,
                        String, ByteBuffer, Int, String?, String, String, String?, [UUID]
                    ).self)
                return MessageDetail(
                    stored: StoredMessage(
                        id: id, seq: seq, route: route, consumer: consumer, state: state,
                        attempts: attempts, lastError: lastError, createdAt: created,
                        updatedAt: updated, dueAt: due, replayOf: replayOf, size: size,
                        message: try Message(storedHeaders: headers, body: body, contentType: type),
                        errors: try JSONReader().read(errors)),
                    audit: try JSONReader().read(audit),
                    original: try original.map { try JSONReader().read($0) },
                    replays: replays)
            }
            return nil
        }
    }
}
