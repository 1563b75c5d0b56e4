import Caravan
import Foundation
import Logging
import PostgresNIO

/// One operator action as the audit log keeps it.
public struct AuditEntry: Sendable {
    public var seq: Int64
    public var at: Date
    public var actor: String
    public var via: String
    public var action: String
    public var reason: String
    /// What the action applied to: `{selection, ids}` for messages (ids up to 1,000),
    /// `{token, role}` for tokens.
    public var target: Document
    public var count: Int
}

/// Who did what, when and how: every operator action of the API, the console and the
/// CLI. The actions write their row in the same statement as the change itself.
public struct AuditLog: Sendable {
    private let clients: any PostgresClientProvider
    public var client: PostgresClient { clients.client }
    public let schema: StoreSchema
    let statements = StatementGuard()
    let logger: Logger

    public init(
        client: some PostgresClientProvider, schema: StoreSchema = .default,
        logger: Logger = Logger(label: "caravan.audit")
    ) {
        self.clients = client
        self.schema = schema
        self.logger = logger
    }

    /// Newest first, the page after `cursor`; `next` is the cursor of the page after.
    public func list(after cursor: Int64? = nil, limit: Int = 100) async throws(StoreError)
        -> (entries: [AuditEntry], next: Int64?)
    {
        let limit = min(max(1, limit), 1000)
        var b = PostgresBindings()
        var whereClause = "true"
        if let cursor {
            b.append(cursor)
            whereClause = "seq < $1"
        }
        let sql = """
            SELECT seq, at, actor, via, action, reason, target::text, count
            FROM \(schema.table("audit_log")) WHERE \(whereClause) ORDER BY seq DESC LIMIT \(limit + 1)
            """
        var entries = try await statements.run { [self, b] in
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
            var entries: [AuditEntry] = []
            for try await (seq, at, actor, via, action, reason, target, count) in rows.decode(
                (Int64, Date, String, String, String, String, String, Int).self)
            {
                entries.append(
                    AuditEntry(
                        seq: seq, at: at, actor: actor, via: via, action: action, reason: reason,
                        target: try JSONReader().read(target), count: count))
            }
            return entries
        }
        var next: Int64?
        if entries.count > limit {
            entries.removeLast()
            next = entries.last?.seq
        }
        return (entries, next)
    }
}
