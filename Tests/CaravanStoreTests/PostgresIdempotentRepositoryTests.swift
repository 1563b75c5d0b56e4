import Caravan
import CaravanStore
import Foundation
import Testing

@Suite struct PostgresIdempotentRepositoryTests {
    @Test func aKeyBelongsToTheMessageThatAddedItFirst() async throws {
        try await TestDatabase.withStore { client, schema in
            let repo = PostgresIdempotentRepository(client: client, schema: schema, name: "orders")
            #expect(try await repo.add("o-1", owner: "m-1"))
            #expect(try await repo.add("o-1", owner: "m-1"))  // its own redelivery
            #expect(try await !repo.add("o-1", owner: "m-2"))
            #expect(try await repo.contains("o-1", owner: "m-2"))
            #expect(try await !repo.contains("o-1", owner: "m-1"))
            // Another repository name is another set of keys.
            let other = PostgresIdempotentRepository(
                client: client, schema: schema, name: "refunds")
            #expect(try await other.add("o-1", owner: "m-2"))
            try await repo.remove("o-1")
            #expect(try await repo.add("o-1", owner: "m-2"))
        }
    }

    @Test func concurrentAddsOfOneKeyLetExactlyOneThrough() async throws {
        try await TestDatabase.withStore { client, schema in
            let repo = PostgresIdempotentRepository(client: client, schema: schema, name: "race")
            let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<20 {
                    group.addTask { try await repo.add("same", owner: "m-\(i)") }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(winners == 1)
        }
    }

    @Test func duplicatesAreSkippedAcrossWorkersThroughTheStore() async throws {
        try await TestDatabase.withStore { client, schema in
            let loaded = RouteLoader().load([
                RouteFile(
                    path: "charge.yaml",
                    text: """
                        - route:
                            id: charge
                            from:
                              uri: seda:charge
                              steps:
                                - idempotentConsumer:
                                    idempotentRepository: charges
                                    header: orderId
                                    steps:
                                      - to: mock:charged
                                - to: mock:seen
                        """)
            ])
            try #require(loaded.errors.isEmpty)
            var settings = ProcessContext.Settings()
            settings.redelivery = SuspendingRedelivery()
            settings.errorHandler = .caravanDefault
            settings.idempotentRepositories = PostgresIdempotentRepositories(
                client: client, schema: schema)
            let engine = try RouteEngine(routes: loaded.routes, settings: settings)
            let store = MessageStore(client: client, schema: schema)
            let journal = Journal(client: client, schema: schema)
            for i in 0..<30 {
                var headers = Headers()
                headers["orderId"] = .string("o-\(i % 10)")  // each order three times
                try await journal.append(
                    JournalEntry(
                        route: "charge", consumer: "seda:charge",
                        message: Message(headers: headers, body: Body(text: "\(i)"))))
            }
            var group = WorkerGroup(
                store: store, engine: engine, lanes: [.init(routes: ["charge"], workers: 4)],
                owner: "idem-test")
            group.pollInterval = .milliseconds(100)
            let running = Task { [group] in await group.run() }
            #expect(await engine.mock("seen").waitForCount(30, timeout: .seconds(20)))
            group.stop()
            await running.value
            let charged = engine.mock("charged").received.compactMap {
                $0.headers["orderId"]?.scalarText
            }
            #expect(charged.count == 10)
            #expect(Set(charged).count == 10)
        }
    }
}
