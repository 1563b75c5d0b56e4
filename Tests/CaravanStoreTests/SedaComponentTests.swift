import Caravan
import CaravanStore
import Foundation
import PostgresNIO
import Synchronization
import Testing

@Suite struct SedaComponentTests {
    static let routes = """
        - route:
            id: intake
            from:
              uri: "seda:intake"
              steps:
                - setHeader: {name: stage, constant: intake}
                - to: "seda:billing"
        - route:
            id: billing
            from:
              uri: "seda:billing"
              steps:
                - to: "mock:billed"
        """

    /// An engine whose `seda:` journals through `journal`.
    static func engine(
        _ yaml: String, _ journal: Journal, group: (@Sendable (String) -> LocalQueue?)? = nil
    )
        async throws -> RouteEngine
    {
        let loaded = RouteLoader().load([RouteFile(path: "seda.yaml", text: yaml)])
        if !loaded.errors.isEmpty { throw LoadFailure(loaded.errors) }
        var settings = ProcessContext.Settings()
        settings.redelivery = SuspendingRedelivery()
        settings.errorHandler = .caravanDefault
        let seda = try SedaComponent(
            journal: journal, routes: loaded.routes, handOff: group ?? { _ in nil })
        let engine = try RouteEngine(routes: loaded.routes, components: [seda], settings: settings)
        try await engine.start()
        return engine
    }

    static func count(_ client: PostgresClient, _ schema: StoreSchema, _ condition: String)
        async throws -> Int
    {
        let rows = try await client.query(
            PostgresQuery(
                unsafeSQL:
                    "SELECT count(*)::int FROM \"\(schema.name)\".messages WHERE \(condition)"))
        for try await n in rows.decode(Int.self) { return n }
        return 0
    }

    @Test func sendingToSedaJournalsAMessageForTheConsumingRoute() async throws {
        try await TestDatabase.withStore { client, schema in
            let journal = Journal(client: client, schema: schema)
            let engine = try await Self.engine(Self.routes, journal)
            let outcome = await engine.run(
                "intake", Exchange(id: UUID().uuidString, message: Message(body: Body(text: "o1"))))
            #expect(outcome.error == nil)
            #expect(
                try await Self.count(
                    client, schema,
                    "route = 'billing' AND consumer = 'seda:billing' AND state = 'ready' AND headers->>'stage' = 'intake' AND convert_from(body, 'UTF8') = 'o1'"
                ) == 1)
        }
    }

    @Test func aRepeatedStepJournalsTheHandOffOnce() async throws {
        try await TestDatabase.withStore { client, schema in
            let journal = Journal(client: client, schema: schema)
            let engine = try await Self.engine(Self.routes, journal)
            // The same message run twice (a crash after the hand-off, before completion).
            let id = UUID().uuidString
            for _ in 0..<2 {
                let outcome = await engine.run(
                    "intake", Exchange(id: id, message: Message(body: Body(text: "o1"))))
                #expect(outcome.error == nil)
            }
            let other = await engine.run(
                "intake", Exchange(id: UUID().uuidString, message: Message(body: Body(text: "o2"))))
            #expect(other.error == nil)
            #expect(try await Self.count(client, schema, "route = 'billing'") == 2)
        }
    }

    @Test func workersCarryMessagesAcrossSedaHandOffs() async throws {
        try await TestDatabase.withStore { client, schema in
            let journal = Journal(client: client, schema: schema)
            let store = MessageStore(client: client, schema: schema)
            let box = GroupBox()
            let engine = try await Self.engine(Self.routes, journal) {
                box.group?.localQueue(for: $0)
            }
            var group = WorkerGroup(
                store: store, engine: engine,
                lanes: [
                    .init(routes: ["intake"], workers: 2), .init(routes: ["billing"], workers: 1),
                ],
                owner: "seda-test")
            group.pollInterval = .milliseconds(200)
            box.group = group
            let running = Task { [group] in await group.run() }
            defer { running.cancel() }
            for i in 0..<20 {
                try await journal.append(
                    JournalEntry(
                        route: "intake", consumer: "seda:intake",
                        message: Message(body: Body(text: "o\(i)"))))
            }
            #expect(await engine.mock("billed").waitForCount(20, timeout: .seconds(20)))
            #expect(
                engine.mock("billed").received.allSatisfy {
                    $0.headers["stage"]?.scalarText == "intake"
                })
        }
    }

    /// As Camel's seda hands over a copy of the exchange, the consuming route starts with
    /// the sender's exchange properties and variables (kept with the stored message).
    @Test func propertiesAndVariablesGoWithTheMessageThroughSeda() async throws {
        try await TestDatabase.withStore { client, schema in
            let journal = Journal(client: client, schema: schema)
            let store = MessageStore(client: client, schema: schema)
            let engine = try await Self.engine(
                """
                - route:
                    id: intake
                    from:
                      uri: direct:in
                      steps:
                        - setProperty: {name: region, constant: EU}
                        - setVariable: {name: customer, jsonpath: "$.customer"}
                        - to: "seda:billing"
                - route:
                    id: billing
                    from:
                      uri: "seda:billing"
                      steps:
                        - setBody: {simple: "${exchangeProperty.region} ${variable.customer}"}
                        - to: "mock:billed"
                """, journal)
            let sent = await engine.run(
                "intake",
                Exchange(
                    message: Message(
                        body: Body(bytes: Array(#"{"customer": "ACME"}"#.utf8), contentType: .json))
                ))
            #expect(sent.error == nil)
            let claimed = try await store.claim(
                routes: ["billing"], owner: "w", limit: 1, lease: .seconds(30))
            let message = try #require(claimed.first)
            #expect(message.properties["region"] == "EU")
            #expect(message.variables["customer"] == "ACME")
            let outcome = await engine.run(
                "billing",
                Exchange(
                    message: message.message, properties: message.properties,
                    variables: message.variables))
            #expect(outcome.error == nil)
            #expect(engine.mock("billed").received.map(\.body.text) == ["EU ACME"])
        }
    }

    @Test func sendingToAQueueNobodyConsumesFailsWithTheFix() async throws {
        try await TestDatabase.withStore { client, schema in
            let journal = Journal(client: client, schema: schema)
            let engine = try await Self.engine(
                """
                - route:
                    id: lonely
                    errorHandler: {noErrorHandler: {}}
                    from:
                      uri: "seda:lonely"
                      steps:
                        - to: "seda:nowhere"
                """, journal)
            let outcome = await engine.run(
                "lonely", Exchange(id: UUID().uuidString, message: Message(body: Body(text: "x"))))
            let message = try #require(outcome.error).message
            #expect(message.contains("no route consumes seda:nowhere"))
            #expect(message.contains("from: seda:nowhere"))
        }
    }

    @Test func twoRoutesOnOneQueueNeedMultipleConsumers() async throws {
        try await TestDatabase.withStore { client, schema in
            let journal = Journal(client: client, schema: schema)
            let yaml = """
                - route: {id: a, from: {uri: "seda:q", steps: [{to: "mock:a"}]}}
                - route: {id: b, from: {uri: "seda:q", steps: [{to: "mock:b"}]}}
                """
            do {
                _ = try await Self.engine(yaml, journal)
                Issue.record("two competing routes on one queue were accepted")
            } catch let error as ProcessingError {
                #expect(error.message.contains("multipleConsumers=true"))
            }
            let pubSub = """
                - route: {id: a, from: {uri: "seda:q?multipleConsumers=true", steps: [{to: "mock:a"}]}}
                - route: {id: b, from: {uri: "seda:q?multipleConsumers=true", steps: [{to: "mock:b"}]}}
                - route: {id: c, from: {uri: "seda:in", steps: [{to: "seda:q"}]}}
                """
            let engine = try await Self.engine(pubSub, journal)
            let outcome = await engine.run(
                "c", Exchange(id: UUID().uuidString, message: Message(body: Body(text: "x"))))
            #expect(outcome.error == nil)
            #expect(try await Self.count(client, schema, "route IN ('a', 'b')") == 2)
        }
    }
}

/// Lets a component built before the worker group reach it.
final class GroupBox: Sendable {
    private let value = Mutex<WorkerGroup?>(nil)
    var group: WorkerGroup? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
