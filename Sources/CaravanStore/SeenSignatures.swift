import Foundation
import Logging
import PostgresNIO

/// A verified signed request's signature, to be remembered until `until`: while it is, the
/// same request again is a replay.
public struct SignatureClaim: Sendable, Hashable {
    public var policy: String
    public var signature: String
    public var until: Date

    public init(policy: String, signature: String, until: Date) {
        self.policy = policy
        self.signature = signature
        self.until = until
    }

    var key: [String] { [policy, signature] }
}

/// The signatures of verified webhook requests, each until its tolerance window ends: a
/// request whose signature is here is a replay. Shared by every node on the database.
///
/// For routes that answer from the route and store nothing: a durable route's message
/// keeps its own signature (see ``JournalEntry/signature``), so it writes nothing here.
/// Claims from concurrent requests share one statement and one commit (group commit, as
/// the journal's appends).
public final class SeenSignatures: Sendable {
    private let clients: any PostgresClientProvider
    public var client: PostgresClient { clients.client }
    public let schema: StoreSchema
    let logger: Logger
    private let committer: GroupCommitter<SignatureClaim, Bool>

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

    /// Remembers the claim's signature unless it is remembered already and its window has
    /// not ended: true when it was not (then the request is no replay). Two identical
    /// requests at once cannot both get true.
    public func claim(_ claim: SignatureClaim) async throws(StoreError) -> Bool {
        try await committer.submit(claim) { [self] batch throws(StoreError) in
            try await insert(batch)
        }
    }

    /// The common table expression that claims the signatures of `input` (a relation with
    /// `policy`, `signature` and `until` columns; rows with an empty signature claim
    /// nothing) as `claimed(policy, signature)`. A signature whose window ended is claimed
    /// again; ``Housekeeping`` deletes them. The rows of `input` must not repeat a
    /// signature (`ON CONFLICT DO UPDATE` may touch a row once).
    ///
    /// Deleting ended windows here, a few per batch, halved signed ingest as the table
    /// grew: the statement is prepared, and the plan it kept from an empty table scanned
    /// the whole table for them in every batch.
    private static func claimingCTEs(table: String, input: String) -> String {
        """
        claimed AS (
            INSERT INTO \(table) (policy, signature, until)
            SELECT policy, signature, until FROM \(input) WHERE signature <> ''
            ON CONFLICT (policy, signature) DO UPDATE SET until = EXCLUDED.until
            WHERE \(table).until <= now()
            RETURNING policy, signature)
        """
    }

    /// One statement for a batch; a signature twice in one batch is claimed by its first
    /// request only.
    func insert(_ batch: [SignatureClaim]) async throws(StoreError) -> [Bool] {
        var firsts: [SignatureClaim] = []
        var seen = Set<[String]>()
        for claim in batch where seen.insert(claim.key).inserted { firsts.append(claim) }
        var b = PostgresBindings(capacity: 3)
        b.append(firsts.map(\.policy))
        b.append(firsts.map(\.signature))
        b.append(firsts.map(\.until))
        let sql = """
            WITH input AS (
                SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
                    AS t(policy, signature, until)),
            \(Self.claimingCTEs(table: schema.table("seen_signatures"), input: "input"))
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
        return batch.map { answered.insert($0.key).inserted && claimed.contains($0.key) }
    }
}
