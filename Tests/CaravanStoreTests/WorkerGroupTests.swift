import Caravan
import CaravanStore
import CaravanTestSupport
import Foundation
import PostgresNIO
import Testing

@Suite struct WorkerGroupTests {
    @Test func aNotificationWakesIdleWorkersAtOnce() async throws {
        try await TestDatabase.withStore { client, schema in
            let engine = try await WorkerTests.engine()
            var group = WorkerGroup(
                store: MessageStore(client: client, schema: schema), engine: engine,
                lanes: [.init(routes: ["poison"], workers: 2)], owner: "notify-test")
            group.pollInterval = .seconds(3600)  // only a notification can wake them
            let running = Task { [group] in await group.run() }
            defer { running.cancel() }
            // The listener must be subscribed before the appends, or their notifications
            // go nowhere: wait until PostgreSQL shows its LISTEN.
            let listening = "LISTEN \"\(schema.notificationChannel)\""
            var subscribed = false
            for _ in 0..<400 where !subscribed {
                let rows = try await client.query(
                    "SELECT count(*) FROM pg_stat_activity WHERE starts_with(query, \(listening))",
                    logger: TestDatabase.logger)
                for try await n in rows.decode(Int.self) { subscribed = n > 0 }
                if !subscribed { try await Task.sleep(for: .milliseconds(25)) }
            }
            #expect(subscribed, "the notification listener never subscribed")
            let journal = Journal(client: client, schema: schema)
            for i in 0..<50 {
                try await journal.append(
                    JournalEntry(
                        route: "poison", consumer: "direct:poison",
                        message: Message(body: Body(text: "m\(i)"))))
            }
            #expect(await engine.mock("ok").waitForCount(50, timeout: .seconds(20)))
        }
    }

    @Test func pollingFindsMessagesThatCameWithoutANotification() async throws {
        try await TestDatabase.withStore { client, schema in
            let engine = try await WorkerTests.engine()
            var group = WorkerGroup(
                store: MessageStore(client: client, schema: schema), engine: engine,
                lanes: [.init(routes: ["poison"], workers: 1)], owner: "poll-test")
            group.pollInterval = .milliseconds(100)
            let running = Task { [group] in await group.run() }
            defer { running.cancel() }
            try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO "\(schema.name)".messages (id, route, consumer, body) VALUES (gen_random_uuid(), 'poison', 'sql', 'quiet'::bytea)
                        """))
            #expect(await engine.mock("ok").waitForCount(1, timeout: .seconds(20)))
        }
    }

    @Test func theSweeperRecoversMessagesOfADeadWorker() async throws {
        try await TestDatabase.withStore { client, schema in
            let engine = try await WorkerTests.engine()
            let store = MessageStore(client: client, schema: schema)
            let journal = Journal(client: client, schema: schema)
            for i in 0..<5 {
                try await journal.append(
                    JournalEntry(
                        route: "poison", consumer: "direct:poison",
                        message: Message(body: Body(text: "m\(i)"))))
            }
            _ = try await store.claim(
                routes: ["poison"], owner: "crashed", limit: 10, lease: .milliseconds(200))
            var group = WorkerGroup(
                store: store, engine: engine,
                lanes: [.init(routes: ["poison"], workers: 1)], owner: "sweep-test")
            group.pollInterval = .milliseconds(100)
            group.leaseSweepInterval = .milliseconds(100)
            let running = Task { [group] in await group.run() }
            defer { running.cancel() }
            #expect(await engine.mock("ok").waitForCount(5, timeout: .seconds(20)))
        }
    }
}

@Suite struct LocalHandOffTests {
    @Test func aHandedOffMessageRunsHereWithoutAClaimOrNotification() async throws {
        try await TestDatabase.withStore { client, schema in
            let engine = try await WorkerTests.engine()
            var group = WorkerGroup(
                store: MessageStore(client: client, schema: schema), engine: engine,
                lanes: [.init(routes: ["poison"], workers: 1)], owner: "handoff-test")
            // Neither polling nor a notification (none is sent for handed-off rows) can
            // wake the worker: only the hand-off can.
            group.pollInterval = .seconds(3600)
            let running = Task { [group] in await group.run() }
            defer { running.cancel() }
            let journal = Journal(client: client, schema: schema)
            let queue = try #require(group.localQueue(for: "poison"))
            #expect(group.localQueue(for: "elsewhere") == nil)
            var ids: [UUID] = []
            for i in 0..<10 {
                let entry = JournalEntry(
                    route: "poison", consumer: "direct:poison",
                    message: Message(body: Body(text: "m\(i)")))
                ids.append(entry.id)
                try await journal.append(entry, handOff: queue)
            }
            #expect(await engine.mock("ok").waitForCount(10, timeout: .seconds(20)))
            group.stop()
            await running.value  // the batch is recorded before the workers stop
            let rows = try await client.query(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT count(*)::int FROM \"\(schema.name)\".messages WHERE state = 'done' AND attempt = 1"
                ))
            var done = 0
            for try await n in rows.decode(Int.self) { done = n }
            #expect(done == 10)
        }
    }

    /// A hand-off that waited too long to run here (here: any wait) goes back to `ready`
    /// at once, logged, and runs from a claim — it neither waits for its lease to expire
    /// nor counts as an expired lease.
    @Test func staleHandOffsGoBackToReadyAtOnceWithoutCountingAsExpiredLeases() async throws {
        try await TestDatabase.withStore { client, schema in
            let engine = try await WorkerTests.engine()
            let records = RecordingLogHandler.Records()
            var group = WorkerGroup(
                store: MessageStore(client: client, schema: schema), engine: engine,
                lanes: [.init(routes: ["poison"], workers: 1)], owner: "stale-test",
                handOffStaleAfter: .zero, logger: RecordingLogHandler.logger(records))
            group.pollInterval = .seconds(3600)  // only the give-back asks for a claim
            let journal = Journal(client: client, schema: schema)
            for i in 0..<10 {
                try await journal.append(
                    JournalEntry(
                        route: "poison", consumer: "direct:poison",
                        message: Message(body: Body(text: "m\(i)"))),
                    handOff: group.localQueue(for: "poison"))
            }
            let running = Task { [group] in await group.run() }
            defer { running.cancel() }
            #expect(await engine.mock("ok").waitForCount(10, timeout: .seconds(20)))
            group.stop()
            await running.value
            let rows = try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT count(*)::int FROM "\(schema.name)".messages
                        WHERE state = 'done' AND attempt = 1 AND expired_leases = 0
                        """))
            for try await n in rows.decode(Int.self) { #expect(n == 10) }
            #expect(
                records.messages(atLeast: .warning).contains {
                    $0.hasPrefix("hand-offs waited too long")
                })
        }
    }

    /// An append that ran out of time while its commit was still going (PostgreSQL
    /// restarting) answers 503, and yet its row may commit, leased to this node's queue:
    /// it goes back to `ready` at once instead of waiting for its lease to expire.
    @Test func aHandOffWhoseAppendFailedButCommittedRunsWithoutWaitingForItsLease()
        async throws
    {
        try await TestDatabase.withStore { client, schema in
            let function = "\"\(schema.name)\".slow_commit"
            try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE FUNCTION \(function)() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN PERFORM pg_sleep(3); RETURN NULL; END $$
                        """))
            try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON "\(schema.name)".messages
                        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION \(function)()
                        """))
            let engine = try await WorkerTests.engine()
            var group = WorkerGroup(
                store: MessageStore(client: client, schema: schema), engine: engine,
                lanes: [.init(routes: ["poison"], workers: 1)], owner: "unconfirmed-test",
                lease: .seconds(60))
            // Claims cannot take a running row: only the give-back can run it before its
            // lease ends (in 60 s).
            group.pollInterval = .milliseconds(100)
            let running = Task { [group] in await group.run() }
            defer { running.cancel() }
            let journal = Journal(
                client: client, schema: schema, appendTimeout: .seconds(1))
            await #expect(throws: StoreError.self) {
                try await journal.append(
                    JournalEntry(
                        route: "poison", consumer: "direct:poison",
                        message: Message(body: Body(text: "late"))),
                    handOff: group.localQueue(for: "poison"))
            }
            // (The INSERT is sent well within the append's second; its commit takes three.)
            #expect(await engine.mock("ok").waitForCount(1, timeout: .seconds(30)))
            let rows = try await client.query(
                PostgresQuery(
                    unsafeSQL: "SELECT expired_leases FROM \"\(schema.name)\".messages"))
            for try await n in rows.decode(Int.self) { #expect(n == 0) }
        }
    }

    @Test func aFullQueueAppendsReadyRowsForAnyNode() async throws {
        try await TestDatabase.withStore { client, schema in
            let engine = try await WorkerTests.engine()
            let group = WorkerGroup(
                store: MessageStore(client: client, schema: schema), engine: engine,
                lanes: [.init(routes: ["poison"], workers: 1)], owner: "full-test",
                localQueueCapacity: 2)
            // The group is not running: the first two wait in its queue, the rest are
            // left `ready` for whoever claims them.
            let journal = Journal(client: client, schema: schema)
            for i in 0..<5 {
                try await journal.append(
                    JournalEntry(
                        route: "poison", consumer: "direct:poison",
                        message: Message(body: Body(text: "m\(i)"))),
                    handOff: group.localQueue(for: "poison"))
            }
            let rows = try await client.query(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT state, count(*)::int FROM \"\(schema.name)\".messages GROUP BY state ORDER BY state"
                ))
            var states: [String: Int] = [:]
            for try await (state, n) in rows.decode((String, Int).self) { states[state] = n }
            #expect(states == ["ready": 3, "running": 2])
            // Stopping gives the handed-off rows back at once.
            #expect(try await group.releaseLeases() == 2)
        }
    }

    @Test func handOffsCommittedWhileTheWorkersStopAreGivenBackWithTheRest() async throws {
        try await TestDatabase.withStore { client, schema in
            let engine = try await WorkerTests.engine()
            let group = WorkerGroup(
                store: MessageStore(client: client, schema: schema), engine: engine,
                lanes: [.init(routes: ["poison"], workers: 2)], owner: "reload-test")
            let journal = Journal(client: client, schema: schema)
            let n = 200
            // Appends handing off to these workers are in flight while they stop, as on
            // a hot reload under load: none may stay leased to the stopped workers.
            try await withThrowingTaskGroup(of: Void.self) { appends in
                for i in 0..<n {
                    appends.addTask {
                        try await journal.append(
                            JournalEntry(
                                route: "poison", consumer: "direct:poison",
                                message: Message(body: Body(text: "m\(i)"))),
                            handOff: group.localQueue(for: "poison"))
                    }
                }
                await Task.yield()
                group.stop()
                _ = try await group.releaseLeases()
                try await appends.waitForAll()
            }
            let rows = try await client.query(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT count(*) FILTER (WHERE state = 'running')::int, count(*) FILTER (WHERE state = 'ready')::int FROM \"\(schema.name)\".messages"
                ))
            for try await (running, ready) in rows.decode((Int, Int).self) {
                #expect(running == 0)
                #expect(ready == n)
            }
        }
    }

    @Test func stopLetsWorkersFinishTheirBatchThenRunReturns() async throws {
        try await TestDatabase.withStore { client, schema in
            let engine = try await WorkerTests.engine()
            var group = WorkerGroup(
                store: MessageStore(client: client, schema: schema), engine: engine,
                lanes: [.init(routes: ["poison"], workers: 2)], owner: "stop-test")
            group.pollInterval = .seconds(3600)
            let running = Task { [group] in await group.run() }
            let journal = Journal(client: client, schema: schema)
            try await journal.append(
                JournalEntry(
                    route: "poison", consumer: "direct:poison",
                    message: Message(body: Body(text: "m"))))
            #expect(await engine.mock("ok").waitForCount(1, timeout: .seconds(20)))
            group.stop()
            await running.value  // returns although nothing cancelled it
        }
    }
}
