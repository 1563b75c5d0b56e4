import Synchronization
import Testing

@testable import Caravan

@Suite struct IdempotentConsumerTests {
    static func yaml(_ options: String = "", failOn: String = "never") -> String {
        """
        - beans:
            - name: seen
              type: "#class:org.apache.camel.support.processor.idempotent.MemoryIdempotentRepository"
        - from:
            uri: direct:in
            steps:
              - idempotentConsumer:
                  idempotentRepository: seen
                  header: orderId
        \(options.isEmpty ? "" : "          " + options + "\n")          steps:
                    - filter:
                        simple: "${body} == '\(failOn)'"
                        steps:
                          - throwException: {exceptionType: java.io.IOException, message: boom}
                    - to: mock:charged
              - to: mock:after
        """
    }

    func run(_ routes: TestRoutes, _ id: String, _ body: String = "x") async -> RouteEngine.Outcome
    {
        await routes.run(body, contentType: nil, headers: [("orderId", .string(id))])
    }

    @Test func eachKeyPassesOnceAndDuplicatesSkipTheBlockOnly() async throws {
        let routes = try await TestRoutes(Self.yaml())
        for id in ["a", "b", "a", "c", "b"] { _ = await run(routes, id) }
        #expect(
            routes.engine.mock("charged").received.map { $0.headers["orderId"] } == ["a", "b", "c"])
        // As in Camel, the route goes on after the block for a duplicate too.
        #expect(routes.engine.mock("after").received.count == 5)
    }

    @Test func withoutSkipDuplicateADuplicateRunsTheBlockMarked() async throws {
        let routes = try await TestRoutes(Self.yaml("skipDuplicate: false"))
        _ = await run(routes, "a")
        let second = await run(routes, "a")
        #expect(second.exchange.properties["CamelDuplicateMessage"] == .bool(true))
        #expect(routes.engine.mock("charged").received.count == 2)
    }

    @Test func aFailureRemovesTheKeySoARetryPasses() async throws {
        let routes = try await TestRoutes(Self.yaml(failOn: "bad"))
        #expect(await run(routes, "a", "bad").error != nil)
        _ = await run(routes, "a", "good")
        #expect(routes.engine.mock("charged").received.map(\.body.text) == ["good"])
    }

    @Test func withoutRemoveOnFailureAFailedKeyStaysTaken() async throws {
        let routes = try await TestRoutes(Self.yaml("removeOnFailure: false", failOn: "bad"))
        #expect(await run(routes, "a", "bad").error != nil)
        _ = await run(routes, "a", "good")
        #expect(routes.engine.mock("charged").received.isEmpty)
    }

    @Test func nonEagerAddsTheKeyOnlyAfterSuccess() async throws {
        let routes = try await TestRoutes(Self.yaml("eager: false", failOn: "bad"))
        #expect(await run(routes, "a", "bad").error != nil)
        _ = await run(routes, "a", "good")
        _ = await run(routes, "a", "again")
        #expect(routes.engine.mock("charged").received.map(\.body.text) == ["good"])
    }

    @Test func theSameMessageAgainIsNotItsOwnDuplicate() async throws {
        // A redelivery that starts over (after a crash) carries the same exchange id.
        let routes = try await TestRoutes(Self.yaml())
        let message = Message(headers: Headers([("orderId", .string("a"))]), body: Body(text: "x"))
        _ = await routes.engine.run("route1", Exchange(id: "m-1", message: message))
        _ = await routes.engine.run("route1", Exchange(id: "m-1", message: message))
        _ = await routes.engine.run("route1", Exchange(id: "m-2", message: message))
        #expect(routes.engine.mock("charged").received.count == 2)
    }

    @Test func aMissingKeyFailsWithWhatToFix() async throws {
        let routes = try await TestRoutes(Self.yaml())
        let outcome = await routes.run("x", contentType: nil)
        let error = try #require(outcome.error)
        #expect(error.kind.name == "org.apache.camel.processor.idempotent.NoMessageIdException")
        #expect(error.message.contains("header 'orderId'"))
    }

    @Test func anAggregationStrategyIsNotARepository() {
        let loaded = RouteLoader().load([
            RouteFile(
                path: "r.yaml",
                text: """
                    - beans:
                        - {name: grouped, type: GroupedBodyAggregationStrategy}
                    - from:
                        uri: direct:in
                        steps:
                          - idempotentConsumer:
                              idempotentRepository: grouped
                              header: id
                              steps: [{to: mock:x}]
                    """)
        ])
        #expect(
            loaded.errors.map(\.message) == [
                "the bean 'grouped' is an aggregation strategy, not an idempotent repository"
            ])
    }

    /// Memory keys whose first `remove` fails, as the store's does while PostgreSQL is away.
    final class FlakyRepositories: IdempotentRepositories {
        let keys = MemoryIdempotentRepository()
        let failedRemovals = Mutex(0)

        struct Repository: IdempotentRepository {
            let owner: FlakyRepositories
            func add(_ key: String, owner o: String) async throws(ProcessingError) -> Bool {
                try await owner.keys.add(key, owner: o)
            }
            func contains(_ key: String, owner o: String) async throws(ProcessingError) -> Bool {
                try await owner.keys.contains(key, owner: o)
            }
            func remove(_ key: String) async throws(ProcessingError) {
                let first = owner.failedRemovals.withLock { n in
                    n += 1
                    return n == 1
                }
                if first { throw ProcessingError(.connect, "the database is unavailable") }
                try await owner.keys.remove(key)
            }
        }

        func repository(named name: String) -> any IdempotentRepository { Repository(owner: self) }
    }

    @Test func aKeyThatCannotBeReleasedFailsTheExchangeWhichIsRedeliveredAndReleasesIt()
        async throws
    {
        let yaml = """
            - errorHandler:
                defaultErrorHandler:
                  redeliveryPolicy: {maximumRedeliveries: 1, redeliveryDelay: 10}
            - from:
                uri: direct:in
                steps:
                  - idempotentConsumer:
                      idempotentRepository: seen
                      header: orderId
                      steps:
                        - filter:
                            simple: "${body} == 'bad'"
                            steps:
                              - throwException: {exceptionType: java.io.IOException, message: boom}
                        - to: mock:charged
            """
        let loaded = RouteLoader().load([RouteFile(path: "test.yaml", text: yaml)])
        #expect(loaded.errors.isEmpty)
        let repositories = FlakyRepositories()
        let log = RecordingLog()
        var settings = ProcessContext.Settings(log: log, sleep: { _ in })
        settings.idempotentRepositories = repositories
        let engine = try RouteEngine(routes: loaded.routes, settings: settings)
        try await engine.start()
        func run(_ body: String) async -> RouteEngine.Outcome {
            let message = Message(
                headers: Headers([("orderId", .string("a"))]), body: Body(text: body))
            return await engine.run(engine.routeIds[0], Exchange(message: message))
        }
        let failed = await run("bad")
        #expect(failed.error?.message == "boom")
        // The first release failed and was retried by the redelivery of the block.
        #expect(repositories.failedRemovals.withLock { $0 } == 2)
        #expect(log.messages.contains { $0.contains("could not release the key 'a'") })
        // The key is free: the next message with it is not taken for a duplicate.
        _ = await run("good")
        #expect(engine.mock("charged").received.map(\.body.text) == ["good"])
    }
}
