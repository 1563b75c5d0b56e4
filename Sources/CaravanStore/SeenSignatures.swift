import Foundation
import Logging
import PostgresNIO

/// The signatures of verified webhook requests, each until its tolerance window ends: a
/// request whose signature is here is a replay. Shared by every node on the database.
///
/// Claims from concurrent requests share one statement and one commit (group commit, as
/// the journal's appends): a commit per request made signed ingest four times slower
/// than open ingest (`scripts/bench-e2e`).
public final class SeenSignatures: Sendable {
    private let clients: any PostgresClientProvider
    public var client: PostgresClient { clients.client }
    public let schema: StoreSchema
    let logger: Logger
    private let committer: GroupCommitter<Claim>
    let statements = StatementGuard()

    struct Claim: Sendable, Hashable {
        let policy: String
        let signature: String
        let until: Date
    }

    public init(
        client: some PostgresClientProvider, schema: StoreSchema = .default,
        timeout: Duration = .seconds(5), logger: Logger = Logger(label: "caravan.signatures")
    ) {
        self.clients = client
        self.schema = schema
        self.logger = logger
        self.committer = GroupCommitter(
            maxBatch: 500, maxInFlight: 2, flushTimeout: timeout,
            timeoutMessage: "the replay check had no answer within \(timeout)")
    }

    /// Remembers `signature` for `policy` until `until` unless it is remembered already
    /// and its window has not ended: true when it was not (then the request is no replay).
    /// Two identical requests at once cannot both get true.
    public func claim(policy: String, signature: String, until: Date) async throws(StoreError)
        -> Bool
    {
        try await committer.submit(Claim(policy: policy, signature: signature, until: until)) {
            [self] batch throws(StoreError) in try await insert(batch)
        }
    }

    /// One statement for a batch: what it inserted (or renewed after its window ended) is
    /// claimed; a signature twice in one batch is claimed by its first request only. It
    /// also forgets up to 100 signatures whose window ended, so the table holds about one
    /// tolerance window of traffic.
    func insert(_ batch: [Claim]) async throws(StoreError) -> [Bool] {
        var firsts: [Claim] = []
        var seen = Set<[String]>()
        for claim in batch where seen.insert([claim.policy, claim.signature]).inserted {
            firsts.append(claim)
        }
        var b = PostgresBindings(capacity: 3)
        b.append(firsts.map(\.policy))
        b.append(firsts.map(\.signature))
        b.append(firsts.map(\.until))
        let table = schema.table("seen_signatures")
        let sql = """
            WITH ended AS (
                DELETE FROM \(table) WHERE ctid IN (
                    SELECT ctid FROM \(table) WHERE until < now() LIMIT 100 FOR UPDATE SKIP LOCKED)),
            claimed AS (
                INSERT INTO \(table) (policy, signature, until)
                SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
                ON CONFLICT (policy, signature) DO UPDATE SET until = EXCLUDED.until
                WHERE \(table).until <= now()
                RETURNING policy, signature)
            SELECT policy, signature FROM claimed
            """
        let (client, logger) = (client, logger)
        let claimed = try await withStoreErrors {
            var claimed = Set<[String]>()
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
            for try await (policy, signature) in rows.decode((String, String).self) {
                claimed.insert([policy, signature])
            }
            return claimed
        }
        var answered = Set<[String]>()
        return batch.map { claim in
            let key = [claim.policy, claim.signature]
            return answered.insert(key).inserted && claimed.contains(key)
        }
    }

    /// Forgets a claim whose message was not stored (the store was away), so the same
    /// signed request can be sent again.
    public func release(policy: String, signature: String) async throws(StoreError) {
        var b = PostgresBindings()
        b.append(policy)
        b.append(signature)
        let sql =
            "DELETE FROM \(schema.table("seen_signatures")) WHERE policy = $1 AND signature = $2"
        _ = try await statements.run { [self, b] in
            try await client.query(PostgresQuery(unsafeSQL: sql, binds: b), logger: logger)
        }
    }
}
