import Caravan
import CaravanStore
import Foundation
import PostgresNIO
import Testing

@Suite struct WorkerGroupTests {
    @Test func aNotificationWakesIdleWorkersAtOnce() async throws {
        try await TestDatabase.withStore { client, schema in
            let engine = try await WorkerTests.engine()
            var group = WorkerGroup(
                store: MessageStore(client: client, schema: schema), engine: engine,
                routes: ["poison"], owner: "notify-test")
            group.workers = 2
            group.pollInterval = .seconds(3600)  // only a notification can wake them
            let running = Task { [group] in await group.run() }
            defer { running.cancel() }
            // Let the workers go idle and the listener subscribe before appending.
            try await Task.sleep(for: .milliseconds(300))
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
                routes: ["poison"], owner: "poll-test")
            group.workers = 1
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
                store: store, engine: engine, routes: ["poison"], owner: "sweep-test")
            group.workers = 1
            group.pollInterval = .milliseconds(100)
            group.leaseSweepInterval = .milliseconds(100)
            let running = Task { [group] in await group.run() }
            defer { running.cancel() }
            #expect(await engine.mock("ok").waitForCount(5, timeout: .seconds(20)))
        }
    }
}
