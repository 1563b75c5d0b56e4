import CaravanStore
import Foundation
import PostgresNIO
import Testing

@Suite struct HousekeepingTests {
    /// Rows in each state, some of them updated two days ago.
    func seed(_ client: PostgresClient, _ schema: StoreSchema) async throws {
        try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO "\(schema.name)".messages (id, route, consumer, body, state, updated_at)
                    SELECT gen_random_uuid(), 'r', 'test', 'x'::bytea, s.state, s.at
                    FROM (VALUES
                        ('done', now() - interval '2 days'), ('done', now() - interval '2 days'),
                        ('done', now() - interval '2 days'), ('done', now() - interval '2 days'),
                        ('done', now() - interval '2 days'), ('done', now()),
                        ('dead', now() - interval '2 days'), ('discarded', now() - interval '2 days'),
                        ('ready', now() - interval '2 days')) AS s(state, at)
                    """))
    }

    func states(_ client: PostgresClient, _ schema: StoreSchema) async throws -> [String: Int] {
        var states: [String: Int] = [:]
        for try await (state, n) in try await client.query(
            PostgresQuery(
                unsafeSQL:
                    "SELECT state, count(*)::int FROM \"\(schema.name)\".messages GROUP BY state")
        ).decode((String, Int).self) {
            states[state] = n
        }
        return states
    }

    @Test func oldDoneMessagesArePrunedInBatchesAndEverythingElseStays() async throws {
        try await TestDatabase.withStore { client, schema in
            try await seed(client, schema)
            var housekeeping = Housekeeping(client: client, schema: schema)
            housekeeping.retention = .seconds(24 * 3600)
            housekeeping.batchSize = 2  // three statements: 2 + 2 + 1
            #expect(try await housekeeping.runOnce() == .pruned(5))
            #expect(
                try await states(client, schema) == [
                    "done": 1, "dead": 1, "discarded": 1, "ready": 1,
                ])
            #expect(try await housekeeping.runOnce() == .pruned(0))
        }
    }

    /// A signed message is what refuses its replay: an old done one stays until its
    /// signature's window ends, however short the retention.
    @Test func aSignedDoneMessageStaysUntilItsReplayWindowEnds() async throws {
        try await TestDatabase.withStore { client, schema in
            try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO "\(schema.name)".messages
                            (id, route, consumer, body, state, updated_at, signature, signature_until)
                        SELECT gen_random_uuid(), 'r', 'test', 'x'::bytea, 'done',
                            now() - interval '2 days', s.signature, s.until
                        FROM (VALUES ('live', now() + interval '5 minutes'),
                            ('ended', now() - interval '1 minute')) AS s(signature, until)
                        """))
            var housekeeping = Housekeeping(client: client, schema: schema)
            housekeeping.retention = .seconds(1)
            #expect(try await housekeeping.runOnce() == .pruned(1))
            var left: [String] = []
            for try await signature in try await client.query(
                PostgresQuery(unsafeSQL: "SELECT signature FROM \"\(schema.name)\".messages")
            ).decode(String.self) {
                left.append(signature)
            }
            #expect(left == ["live"])
        }
    }

    @Test func signaturesWhoseReplayWindowEndedAreForgottenInBatches() async throws {
        try await TestDatabase.withStore { client, schema in
            try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO "\(schema.name)".seen_signatures (policy, signature, until)
                        SELECT 'hooks', 'ended-' || n, now() - interval '1 minute'
                        FROM generate_series(1, 5) AS n
                        UNION ALL SELECT 'hooks', 'live', now() + interval '5 minutes'
                        """))
            var housekeeping = Housekeeping(client: client, schema: schema)
            housekeeping.batchSize = 2
            _ = try await housekeeping.runOnce()
            var left: [String] = []
            for try await signature in try await client.query(
                PostgresQuery(
                    unsafeSQL: "SELECT signature FROM \"\(schema.name)\".seen_signatures")
            ).decode(String.self) {
                left.append(signature)
            }
            #expect(left == ["live"])
        }
    }

    @Test func aRoundIsSkippedWhileAnotherNodeHoldsTheMaintenanceLock() async throws {
        try await TestDatabase.withStore { client, schema in
            try await seed(client, schema)
            var housekeeping = Housekeeping(client: client, schema: schema)
            housekeeping.retention = .seconds(24 * 3600)
            // Another node's maintenance: a second client holding the lock on its session.
            let other = PostgresClient(
                configuration: try await TestDatabase.configuration.value,
                backgroundLogger: TestDatabase.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await other.run() }
                defer { group.cancelAll() }
                try await other.withConnection { connection in
                    // The key is the schema's "maintenance" lock (see StoreSchema.lockKey).
                    let key = Housekeeping.lockKey(schema)
                    _ = try await connection.query(
                        "SELECT pg_advisory_lock(\(key))", logger: TestDatabase.logger)
                    #expect(try await housekeeping.runOnce() == .skipped)
                    _ = try await connection.query(
                        "SELECT pg_advisory_unlock(\(key))", logger: TestDatabase.logger)
                }
            }
            #expect(try await housekeeping.runOnce() == .pruned(5))
        }
    }

    /// A round stopped while its statement waited (here for a table lock) must not leave
    /// the maintenance lock held on a pooled connection: every node would skip
    /// housekeeping from then on.
    @Test func aCancelledRoundLeavesNoMaintenanceLockBehind() async throws {
        try await TestDatabase.withStore { client, schema in
            try await seed(client, schema)
            var housekeeping = Housekeeping(client: client, schema: schema)
            housekeeping.retention = .seconds(24 * 3600)
            let round = housekeeping
            try await TestDatabase.withOtherClient { other in
                try await other.withTransaction(logger: TestDatabase.logger) { connection in
                    _ = try await connection.query(
                        PostgresQuery(
                            unsafeSQL:
                                "LOCK TABLE \"\(schema.name)\".messages IN ACCESS EXCLUSIVE MODE"),
                        logger: TestDatabase.logger)
                    let running = Task { try await round.runOnce() }
                    try await TestDatabase.waitUntilBlocked(
                        client, statementContaining: "\(schema.name)\".\"messages\" WHERE")
                    running.cancel()
                    _ = try? await running.value
                }
                // No advisory lock is left, and another node (its own connections) runs
                // its round. (The cancelled statement itself may have pruned the rows
                // once the table was free: PostgreSQL does not see the cancellation.)
                let statement = "\(schema.name)\".\"messages\" WHERE"
                try await TestDatabase.waitUntilFinished(other, statementContaining: statement)
                let key = Housekeeping.lockKey(schema)
                let rows = try await other.query(
                    """
                    SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory'
                    AND (classid::bigint << 32) | objid::bigint = \(key)
                    """,
                    logger: TestDatabase.logger)
                for try await held in rows.decode(Int.self) { #expect(held == 0) }
                var otherNode = Housekeeping(client: other, schema: schema)
                otherNode.retention = .seconds(24 * 3600)
                #expect(try await otherNode.runOnce() != .skipped)
                #expect(try await states(other, schema)["done"] == 1)
            }
        }
    }
    /// The maintenance lock must not depend on an unlock statement succeeding: a node
    /// whose unlock fails (a deadline, a cancelled task, a dying statement) would keep the
    /// lock on a pooled connection, and every other node would skip housekeeping for good.
    /// Here the node's sessions find a `pg_advisory_unlock` that always fails first on
    /// their search path.
    @Test func aNodeWhoseUnlockFailsLeavesNoMaintenanceLockBehind() async throws {
        try await TestDatabase.withStore { client, schema in
            try await seed(client, schema)
            _ = try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE FUNCTION "\(schema.name)".pg_advisory_unlock(bigint) RETURNS boolean
                        LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'unlock refused'; END $$
                        """))
            var configuration = try await TestDatabase.configuration.value
            configuration.options.additionalStartupParameters = [
                ("search_path", "\"\(schema.name)\", pg_catalog")
            ]
            let failing = PostgresClient(
                configuration: configuration, backgroundLogger: TestDatabase.logger)
            try await withThrowingTaskGroup(of: Void.self) {
                (group: inout ThrowingTaskGroup<Void, any Error>) async throws in
                group.addTask { await failing.run() }
                defer { group.cancelAll() }
                var node = Housekeeping(client: failing, schema: schema)
                node.retention = .seconds(24 * 3600)
                // The shadow is really there: an unlock on these sessions fails.
                await #expect(throws: (any Error).self) {
                    for try await _ in try await failing.query("SELECT pg_advisory_unlock(1)") {}
                }
                _ = try? await node.runOnce()
                #expect(try await states(client, schema)["done"] == 1)
                // While that node's connections live on in its pool, another node runs.
                var otherNode = Housekeeping(client: client, schema: schema)
                otherNode.retention = .seconds(24 * 3600)
                #expect(try await otherNode.runOnce() == .pruned(0))
            }
        }
    }
}
