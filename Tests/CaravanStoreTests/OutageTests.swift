import Caravan
import CaravanStore
import Foundation
import Logging
import PostgresNIO
import Testing

/// The database going away and coming back, on a cluster of the test's own.
@Suite struct OutageTests {
    /// A cluster of the test's own (it gets killed), a migrated client with a short
    /// connect timeout, and a journal that gives up after 2 s.
    static func withOwnCluster(
        _ body: @Sendable (EmbeddedPostgres, PostgresClient, Journal) async throws -> Void
    ) async throws {
        let cluster = try await EmbeddedPostgres.start(durable: false)
        defer { try? cluster.stop() }
        var configuration = cluster.configuration()
        configuration.options.connectTimeout = .seconds(2)
        let client = PostgresClient(
            configuration: configuration, backgroundLogger: TestDatabase.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await Migrator(client: client, logger: TestDatabase.logger).migrate()
            try await body(cluster, client, Journal(client: client, appendTimeout: .seconds(2)))
        }
    }

    @Test func appendsFailFastWhileTheDatabaseIsDownAndWorkAgainAfterARestart() async throws {
        try await Self.withOwnCluster { cluster, client, journal in
            let first = JournalEntry(
                route: "r", consumer: "direct:r", message: Message(body: Body(text: "before")))
            try await journal.append(first)

            try await cluster.kill()
            let started = ContinuousClock.now
            let error = await #expect(throws: StoreError.self) {
                try await journal.append(
                    JournalEntry(
                        route: "r", consumer: "direct:r",
                        message: Message(body: Body(text: "during"))))
            }
            #expect(ContinuousClock.now - started < .seconds(10))
            if case .unavailable? = error {
            } else {
                Issue.record("expected unavailable, got \(String(describing: error))")
            }

            try await cluster.restart()
            var appended = false
            for _ in 0..<150 where !appended {  // bounded: 15 s for the pool to reconnect
                // The pool reconnects on its own; the first attempts may still see the old connections.
                do {
                    try await journal.append(
                        JournalEntry(
                            route: "r", consumer: "direct:r",
                            message: Message(body: Body(text: "after"))))
                    appended = true
                } catch {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            #expect(appended)
            let rows = try await client.query(
                "SELECT convert_from(body, 'UTF8') FROM caravan.messages ORDER BY seq")
            var bodies: [String] = []
            for try await b in rows.decode(String.self) { bodies.append(b) }
            // "during" was never acknowledged; it may or may not have committed (even after
            // "after": its INSERT may have reached the restarted server late).
            #expect(bodies.first == "before" && bodies.contains("after"), "\(bodies)")
        }
    }

    @Test func workersCarryOnAfterTheDatabaseRestartsWhileTheyProcess() async throws {
        try await Self.withOwnCluster { cluster, client, journal in
            for i in 0..<200 {
                try await journal.append(
                    JournalEntry(
                        route: "poison", consumer: "direct:poison",
                        message: Message(body: Body(text: "m\(i)"))))
            }
            let engine = try await WorkerTests.engine()
            var workers = WorkerGroup(
                store: MessageStore(client: client, statementTimeout: .seconds(2)), engine: engine,
                lanes: [.init(routes: ["poison"], workers: 2)], owner: "outage-test",
                lease: .seconds(2), logger: TestDatabase.logger)
            workers.batchSize = 4
            workers.pollInterval = .milliseconds(100)
            workers.leaseSweepInterval = .milliseconds(500)
            let running = Task { [workers] in await workers.run() }
            defer { running.cancel() }
            #expect(await engine.mock("ok").waitForCount(20, timeout: .seconds(20)))
            try await cluster.kill()
            try await cluster.restart()
            // Every message ends done (some twice delivered: a batch whose completion was
            // lost is run again after its lease — at least once, never lost).
            var done = 0
            // Bounded, but generous: after an outage PostgresNIO's pool backs off
            // reconnecting (up to 60 s between attempts), and a loaded machine restarts
            // PostgreSQL slowly.
            let deadline = ContinuousClock.now + .seconds(180)
            while done < 200, ContinuousClock.now < deadline {
                do {
                    let rows = try await client.query(
                        "SELECT count(*)::int FROM caravan.messages WHERE state = 'done'",
                        logger: TestDatabase.logger)
                    for try await n in rows.decode(Int.self) { done = n }
                } catch {}
                if done < 200 { try await Task.sleep(for: .milliseconds(200)) }
            }
            var states = ""
            if done < 200 {
                let rows = try await client.query(
                    "SELECT state || ' ' || coalesce(lease_owner, '-') || ' ' || coalesce((lease_expires_at - now())::text, '-') FROM caravan.messages WHERE state <> 'done'",
                    logger: TestDatabase.logger)
                for try await line in rows.decode(String.self) { states += line + "; " }
            }
            #expect(done == 200, "not done: \(states)")
            let delivered = Set(engine.mock("ok").received.map(\.body.text))
            #expect(delivered.count == 200)
        }
    }
}
