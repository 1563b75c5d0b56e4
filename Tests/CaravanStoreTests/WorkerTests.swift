import Caravan
import CaravanStore
import Foundation
import PostgresNIO
import Synchronization
import Testing

/// Durable processing against a real PostgreSQL: the journal, workers, redelivery that
/// survives in the database, dead letters, lease recovery.
@Suite struct WorkerTests {
    static let routes = """
        - route:
            id: orders
            errorHandler:
              defaultErrorHandler:
                redeliveryPolicy: {maximumRedeliveries: 3, redeliveryDelay: 30000, useExponentialBackOff: true}
            from:
              uri: direct:orders
              steps:
                - to: mock:first
                - to: direct:flaky
        - route:
            id: flaky
            errorHandler: {noErrorHandler: {}}
            from:
              uri: direct:flaky
              steps:
                - filter:
                    simple: "${header.CamelRedeliveryCounter} == null || ${header.CamelRedeliveryCounter} < 2"
                    steps:
                      - throwException: {exceptionType: java.net.ConnectException, message: "connection refused"}
                - to: mock:second
        - route:
            id: poison
            errorHandler:
              defaultErrorHandler:
                redeliveryPolicy: {maximumRedeliveries: 2, redeliveryDelay: 0}
            from:
              uri: direct:poison
              steps:
                - filter:
                    simple: "${body} == 'poison'"
                    steps: [{throwException: {exceptionType: java.lang.IllegalStateException, message: "cannot process ${body}"}}]
                - to: mock:ok
        """

    static func engine() async throws -> RouteEngine { try await TestDatabase.engine(routes) }

    func append(_ journal: Journal, _ route: String, _ body: String) async throws -> UUID {
        let entry = JournalEntry(
            route: route, consumer: "direct:\(route)",
            message: Message(body: Body(bytes: Array(body.utf8), contentType: nil)))
        try await journal.append(entry)
        return entry.id
    }

    func row(_ client: PostgresClient, _ schema: StoreSchema, _ id: UUID) async throws -> (
        state: String, attempt: Int, errors: String, dueInMs: Double
    ) {
        let rows = try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT state, attempt, errors::text, (extract(epoch FROM (due_at - updated_at)) * 1000)::float8
                    FROM "\(schema.name)".messages WHERE id = '\(id.uuidString)'
                    """))
        for try await r in rows.decode((String, Int, String, Double).self) { return r }
        throw StoreError.query("no row \(id)")
    }

    /// Makes every waiting redelivery due now (instead of sleeping through the back-off).
    func makeDue(_ client: PostgresClient, _ schema: StoreSchema) async throws {
        try await client.query(
            PostgresQuery(
                unsafeSQL:
                    "UPDATE \"\(schema.name)\".messages SET due_at = now() WHERE state = 'retrying'"
            ))
    }

    /// Makes every running message's lease expired (instead of sleeping through it).
    func expireLeases(_ client: PostgresClient, _ schema: StoreSchema) async throws {
        try await client.query(
            PostgresQuery(
                unsafeSQL:
                    "UPDATE \"\(schema.name)\".messages SET lease_expires_at = now() - interval '1 second' WHERE state = 'running'"
            ))
    }

    @Test func theSecondTargetGetsTheMessageAfterTheBackOffAndTheFirstOnlyOnce() async throws {
        try await TestDatabase.withStore { client, schema in
            let engine = try await Self.engine()
            let journal = Journal(client: client, schema: schema)
            let worker = Worker(
                store: MessageStore(client: client, schema: schema), engine: engine,
                routes: ["orders"], owner: "w1")
            let id = try await append(journal, "orders", "order-1")

            #expect(try await worker.processBatch() == 1)
            var r = try await row(client, schema, id)
            #expect(r.state == "retrying")
            // The first back-off: long, so "not due yet" holds on a busy machine too.
            #expect(abs(r.dueInMs - 30_000) < 50)
            #expect(try await worker.processBatch() == 0)  // not due yet

            try await makeDue(client, schema)
            #expect(try await worker.processBatch() == 1)
            r = try await row(client, schema, id)
            #expect(r.state == "retrying")
            #expect(abs(r.dueInMs - 60_000) < 50)  // exponential: 30 s × 2

            try await makeDue(client, schema)
            #expect(try await worker.processBatch() == 1)
            r = try await row(client, schema, id)
            #expect(r.state == "done")
            #expect(r.attempt == 3)
            #expect(r.errors.contains("java.net.ConnectException"))
            #expect(engine.mock("first").received.count == 1)
            #expect(engine.mock("second").received.map(\.body.text) == ["order-1"])
        }
    }

    @Test func aPoisonMessageBecomesDeadWhileTheOthersComplete() async throws {
        try await TestDatabase.withStore { client, schema in
            let engine = try await Self.engine()
            let journal = Journal(client: client, schema: schema)
            let worker = Worker(
                store: MessageStore(client: client, schema: schema), engine: engine,
                routes: ["poison"], owner: "w1")
            let poison = try await withThrowingTaskGroup(of: UUID?.self) { group in
                for i in 0..<1000 {
                    group.addTask {
                        try await append(journal, "poison", i == 500 ? "poison" : "m\(i)")
                    }
                }
                var ids: [UUID?] = []
                for try await id in group { ids.append(id) }
                return ids
            }
            #expect(poison.count == 1000)
            var rounds = 0
            while rounds < 50 {
                let n = try await worker.processBatch()
                if n == 0 {
                    try await makeDue(client, schema)
                    if try await worker.processBatch() == 0 { break }
                }
                rounds += 1
            }
            let counts = try await client.query(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT state, count(*) FROM \"\(schema.name)\".messages GROUP BY state ORDER BY state"
                ))
            var byState: [String: Int] = [:]
            for try await (state, count) in counts.decode((String, Int).self) {
                byState[state] = count
            }
            #expect(byState == ["dead": 1, "done": 999])
            #expect(engine.mock("ok").received.count == 999)
            let dead = try await client.query(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT attempt, jsonb_array_length(errors), errors->-1->>'message' FROM \"\(schema.name)\".messages WHERE state = 'dead'"
                ))
            for try await (attempt, history, last) in dead.decode((Int, Int, String).self) {
                #expect(attempt == 3)  // the first try and two redeliveries
                #expect(history == 3)
                #expect(last == "cannot process poison")
            }
        }
    }

    @Test func messagesOfAWorkerThatDiedAreTakenOverWhenItsLeasesExpire() async throws {
        try await TestDatabase.withStore { client, schema in
            let engine = try await Self.engine()
            let journal = Journal(client: client, schema: schema)
            let store = MessageStore(client: client, schema: schema)
            for i in 0..<10 { _ = try await append(journal, "poison", "m\(i)") }
            // Worker A claims everything and dies without finishing.
            let claimed = try await store.claim(
                routes: ["poison"], owner: "dead-worker", limit: 100, lease: .seconds(30))
            #expect(claimed.count == 10)
            let b = Worker(store: store, engine: engine, routes: ["poison"], owner: "w2")
            #expect(try await b.processBatch() == 0)  // leased: nothing to take
            #expect(try await store.releaseExpiredLeases().returned == 0)
            // Time passes beyond the lease.
            try await expireLeases(client, schema)
            #expect(try await store.releaseExpiredLeases().returned == 10)
            #expect(try await b.processBatch() == 10)
            #expect(engine.mock("ok").received.count == 10)
            // The dead worker's late completion changes nothing: the rows are no longer its.
            try await store.complete(claimed.map(\.id), owner: "dead-worker")
            let rows = try await client.query(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT count(*) FROM \"\(schema.name)\".messages WHERE state = 'done' AND attempt = 2"
                ))
            for try await n in rows.decode(Int.self) { #expect(n == 10) }
        }
    }

    @Test func aMessageWhoseLeaseKeepsExpiringBecomesADeadLetterWithTheReason() async throws {
        try await TestDatabase.withStore { client, schema in
            let journal = Journal(client: client, schema: schema)
            var store = MessageStore(client: client, schema: schema)
            store.maxExpiredLeases = 3
            let id = try await append(journal, "poison", "kills its node")
            let other = try await append(journal, "poison", "fine")
            // Taken up and lost with its node, twice: back to ready each time, and each
            // expiry is in its history.
            for round in 1...2 {
                let claimed = try await store.claim(
                    routes: ["poison"], owner: "node-\(round)", limit: 1, lease: .seconds(30))
                #expect(claimed.map(\.id) == [id])
                try await expireLeases(client, schema)
                let expired = try await store.releaseExpiredLeases()
                #expect(expired.returned == 1 && expired.dead.isEmpty)
                let r = try await row(client, schema, id)
                #expect(r.state == "ready" && r.attempt == round)
                #expect(r.errors.contains("leaseExpired") && r.errors.contains("node-\(round)"))
            }
            // The third time it is a dead letter, with the reason; the other message,
            // never taken, is untouched.
            let claimed = try await store.claim(
                routes: ["poison"], owner: "node-3", limit: 1, lease: .seconds(30))
            #expect(claimed.map(\.id) == [id])
            try await expireLeases(client, schema)
            let expired = try await store.releaseExpiredLeases()
            #expect(expired.returned == 0 && expired.dead.map(\.id) == [id])
            #expect(expired.dead.map(\.route) == ["poison"])
            #expect(try await row(client, schema, id).state == "dead")
            #expect(try await row(client, schema, other).state == "ready")
            let letters = try await DeadLetters(client: client, schema: schema).list()
            #expect(letters.map(\.id) == [id])
            #expect(letters.first?.lastError.contains("3 of 3 times allowed") == true)
        }
    }

    @Test func aGracefulStopDoesNotCountAsAnExpiredLease() async throws {
        try await TestDatabase.withStore { client, schema in
            let journal = Journal(client: client, schema: schema)
            var store = MessageStore(client: client, schema: schema)
            store.maxExpiredLeases = 1
            let id = try await append(journal, "poison", "m")
            _ = try await store.claim(
                routes: ["poison"], owner: "stopping", limit: 1, lease: .seconds(30))
            #expect(try await store.releaseLeases(ownedBy: "stopping") == 1)
            #expect(try await store.releaseExpiredLeases().dead.isEmpty)
            #expect(try await row(client, schema, id).state == "ready")
        }
    }

    @Test func concurrentWorkersNeverTakeTheSameMessage() async throws {
        try await TestDatabase.withStore { client, schema in
            let engine = try await Self.engine()
            let journal = Journal(client: client, schema: schema)
            let store = MessageStore(client: client, schema: schema)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<2000 {
                    group.addTask { _ = try await append(journal, "poison", "m\(i)") }
                }
                try await group.waitForAll()
            }
            let processed = try await withThrowingTaskGroup(of: Int.self) { group in
                for w in 0..<4 {
                    group.addTask {
                        var worker = Worker(
                            store: store, engine: engine, routes: ["poison"], owner: "w\(w)")
                        worker.batchSize = 50
                        var total = 0
                        while true {
                            let n = try await worker.processBatch()
                            if n == 0 { return total }
                            total += n
                        }
                    }
                }
                var all = 0
                for try await n in group { all += n }
                return all
            }
            #expect(processed == 2000)
            // What the store says, not only what the workers counted.
            let rows = try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT count(*) FILTER (WHERE state = 'done' AND attempt = 1)::int,
                            count(*)::int FROM "\(schema.name)".messages
                        """))
            for try await (done, all) in rows.decode((Int, Int).self) {
                #expect(done == 2000 && all == 2000)
            }
            #expect(engine.mock("ok").received.count == 2000)
            #expect(Set(engine.mock("ok").received.map(\.body.text)).count == 2000)
        }
    }
}

@Suite struct LeaseRenewalTests {
    /// A long step, ended by the test: the route's `delay` waits on it.
    final class Gate: Sendable {
        let opened = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

        func wait() async {
            await withCheckedContinuation { c in
                let now = opened.withLock { s -> Bool in
                    if s.open { return true }
                    s.waiters.append(c)
                    return false
                }
                if now { c.resume() }
            }
        }

        func open() {
            for c in opened.withLock({ s -> [CheckedContinuation<Void, Never>] in
                s.open = true
                defer { s.waiters = [] }
                return s.waiters
            }) { c.resume() }
        }
    }

    @Test func longWorkKeepsItsLease() async throws {
        try await TestDatabase.withStore { client, schema in
            let loaded = RouteLoader().load([
                RouteFile(
                    path: "slow.yaml",
                    text:
                        "- route: {id: slow, from: {uri: direct:slow, steps: [{delay: {constant: 1}}, {to: mock:done}]}}"
                )
            ])
            let gate = Gate()
            var settings = ProcessContext.Settings(sleep: { _ in await gate.wait() })
            settings.redelivery = SuspendingRedelivery()
            let engine = try RouteEngine(routes: loaded.routes, settings: settings)
            try await engine.start()
            let store = MessageStore(client: client, schema: schema)
            let entry = JournalEntry(
                route: "slow", consumer: "direct:slow", message: Message(body: Body(text: "x")))
            try await Journal(client: client, schema: schema).append(entry)
            var worker = Worker(
                store: store, engine: engine, routes: ["slow"], owner: "slow-worker")
            worker.lease = .seconds(2)
            let processing = Task { try await worker.processBatch() }

            // Wait (bounded) until the lease was renewed while the step is still running.
            func expiry() async throws -> Double? {
                let rows = try await client.query(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT extract(epoch FROM lease_expires_at)::float8 FROM "\(schema.name)".messages WHERE id = '\(entry.id.uuidString)'
                            """))
                for try await e in rows.decode(Double?.self) { return e }
                return nil
            }
            var first: Double?
            var renewed = false
            for _ in 0..<200 where !renewed {
                if let e = try await expiry() {
                    if let f = first { renewed = e > f } else { first = e }
                }
                if !renewed { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(renewed)
            // A renewed lease is not expired: nothing to recover, nothing to steal.
            #expect(try await store.releaseExpiredLeases().returned == 0)
            #expect(
                try await store.claim(
                    routes: ["slow"], owner: "thief", limit: 1, lease: .seconds(1)
                ).isEmpty)
            gate.open()
            #expect(try await processing.value == 1)
            #expect(engine.mock("done").received.count == 1)
        }
    }
}
