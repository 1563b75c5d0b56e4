import Caravan
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A message in the store, in any state, as operators see it.
public struct StoredMessage: Sendable {
    public var id: UUID
    public var route: String
    public var consumer: String
    public var state: String
    public var attempts: Int
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var dueAt: Date
    public var replayOf: UUID?
    public var message: Message
    public var errors: Document
}

/// Browsing the journal: `caravan messages list|show`.
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

    /// Messages newest first, optionally of one state and/or route.
    public func list(state: String? = nil, route: String? = nil, ids: [UUID] = [], limit: Int = 100)
        async throws(StoreError) -> [StoredMessage]
    {
        var conditions = ["true"]
        var b = PostgresBindings()
        if let state {
            b.append(state)
            conditions.append("state = $\(b.count)")
        }
        if let route {
            b.append(route)
            conditions.append("route = $\(b.count)")
        }
        if !ids.isEmpty {
            b.append(ids)
            conditions.append("id = ANY($\(b.count)::uuid[])")
        }
        let sql = """
            SELECT id, route, consumer, state, attempt, errors->-1->>'message', created_at, updated_at, due_at, replay_of,
                   headers::text, body, content_type, errors::text
            FROM \(schema.table("messages")) WHERE \(conditions.joined(separator: " AND "))
            ORDER BY seq DESC LIMIT \(max(1, limit))
            """
        return try await statements.run { [self, b] in
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
            var result: [StoredMessage] = []
            for try await (
                id, route, consumer, state, attempts, lastError, created, updated, due, replayOf,
                headers, body, type, errors
            )
                in rows.decode(
                    (
                        UUID, String, String, String, Int, String?, Date, Date, Date, UUID?, String,
                        ByteBuffer, String?, String
                    ).self)
            {
                result.append(
                    StoredMessage(
                        id: id, route: route, consumer: consumer, state: state, attempts: attempts,
                        lastError: lastError,
                        createdAt: created, updatedAt: updated, dueAt: due, replayOf: replayOf,
                        message: try Message(storedHeaders: headers, body: body, contentType: type),
                        errors: try JSONReader().read(errors)))
            }
            return result
        }
    }

    public func show(_ id: UUID) async throws(StoreError) -> StoredMessage? {
        try await list(ids: [id], limit: 1).first
    }
}
