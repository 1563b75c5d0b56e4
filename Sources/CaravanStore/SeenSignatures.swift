import Foundation
import Logging
import PostgresNIO

/// The signatures of accepted webhook requests, each until its tolerance window ends: a
/// request whose signature is here is a replay. Shared by every node on the database.
public struct SeenSignatures: Sendable {
    private let clients: any PostgresClientProvider
    public var client: PostgresClient { clients.client }
    public let schema: StoreSchema
    let statements = StatementGuard()
    let logger: Logger

    public init(
        client: some PostgresClientProvider, schema: StoreSchema = .default,
        logger: Logger = Logger(label: "caravan.signatures")
    ) {
        self.clients = client
        self.schema = schema
        self.logger = logger
    }

    /// Whether `signature` was accepted for `policy` and its window has not ended.
    public func seen(policy: String, signature: String) async throws(StoreError) -> Bool {
        var b = PostgresBindings()
        b.append(policy)
        b.append(signature)
        let sql = """
            SELECT EXISTS (SELECT 1 FROM \(schema.table("seen_signatures"))
                           WHERE policy = $1 AND signature = $2 AND until > now())
            """
        return try await statements.run { [self, b] in
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
            for try await seen in rows.decode(Bool.self) { return seen }
            return false
        }
    }

    /// Remembers `signature` until `until`; forgets up to 100 whose window ended, so the
    /// table holds about one tolerance window of traffic.
    public func record(policy: String, signature: String, until: Date) async throws(StoreError) {
        var b = PostgresBindings()
        b.append(policy)
        b.append(signature)
        b.append(until)
        let table = schema.table("seen_signatures")
        let sql = """
            WITH ended AS (
                DELETE FROM \(table) WHERE ctid IN (
                    SELECT ctid FROM \(table) WHERE until < now() LIMIT 100 FOR UPDATE SKIP LOCKED))
            INSERT INTO \(table) (policy, signature, until) VALUES ($1, $2, $3)
            ON CONFLICT (policy, signature) DO UPDATE SET until = greatest(\(table).until, EXCLUDED.until)
            """
        _ = try await statements.run { [self, b] in
            try await client.query(PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
        }
    }
}
