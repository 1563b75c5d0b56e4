import Synchronization
import Testing

@testable import Caravan

/// A sleep that waits until the test opens the gate, so timers fire exactly when the
/// test says.
final class Gate: Sendable {
    let waiting = Mutex<[CheckedContinuation<Void, Never>]>([])
    let count = Mutex(0)
    /// What each sleep asked for.
    let asked = Mutex<[Duration]>([])

    func sleep(_ d: Duration) async {
        asked.withLock { $0.append(d) }
        await withCheckedContinuation { c in
            waiting.withLock { $0.append(c) }
            count.withLock { $0 += 1 }
        }
    }

    /// An engine for `yaml` whose sleeps wait for this gate.
    func engine(_ yaml: String) throws -> RouteEngine {
        try RouteEngine(
            routes: RouteLoader().load([RouteFile(path: "t.yaml", text: yaml)]).routes,
            settings: ProcessContext.Settings(sleep: { await self.sleep($0) }))
    }

    func open() {
        for c in waiting.withLock({ w in
            defer { w = [] }; return w
        }) { c.resume() }
    }
}

@Suite struct AggregateTests {
    static let yaml = """
        - from:
            uri: direct:in
            steps:
              - aggregate:
                  correlationExpression: {simple: "${header.order}"}
                  aggregationStrategy: GroupedBodyAggregationStrategy
                  completionSize: 3
                  completionPredicate: {simple: "${body.size()} > 0 && ${body[last]} == 'END'"}
                  steps:
                    - setHeader: {name: by, simple: "${exchangeProperty.CamelAggregatedCompletedBy}"}
                    - marshal: {json: {}}
                    - to: mock:aggregated
              - to: mock:passed
        """

    @Test func groupsCompleteBySizePerCorrelationKey() async throws {
        let routes = try await TestRoutes(Self.yaml)
        for (order, body) in [("a", "1"), ("b", "x"), ("a", "2"), ("a", "3"), ("b", "y")] {
            _ = await routes.run(body, contentType: nil, headers: [("order", .string(order))])
        }
        #expect(routes.bodies("aggregated") == [#"["1","2","3"]"#])
        #expect(routes.engine.mock("aggregated").received[0].headers["by"] == "size")
        #expect(routes.engine.mock("passed").received.count == 5)
    }

    @Test func groupsCompleteByPredicate() async throws {
        let routes = try await TestRoutes(Self.yaml)
        _ = await routes.run("x", contentType: nil, headers: [("order", "b")])
        _ = await routes.run("END", contentType: nil, headers: [("order", "b")])
        #expect(routes.bodies("aggregated") == [#"["x","END"]"#])
        #expect(routes.engine.mock("aggregated").received[0].headers["by"] == "predicate")
    }

    @Test func aGroupCompletesAfterItsInactivityTimeout() async throws {
        let loaded = RouteLoader().load([
            RouteFile(
                path: "t.yaml",
                text: """
                    - from:
                        uri: direct:in
                        steps:
                          - aggregate:
                              correlationExpression: {header: order}
                              aggregationStrategy: StringAggregationStrategy
                              completionTimeout: 1000
                              steps: [{to: mock:aggregated}]
                    """)
        ])
        let gate = Gate()
        let engine = try RouteEngine(
            routes: loaded.routes,
            settings: ProcessContext.Settings(sleep: { await gate.sleep($0) }))
        try await engine.start()
        for body in ["a", "b"] {
            _ = await engine.run(
                engine.routeIds[0],
                Exchange(
                    message: Message(headers: Headers([("order", "1")]), body: Body(text: body))))
        }
        #expect(engine.mock("aggregated").received.isEmpty)
        while gate.count.withLock({ $0 }) < 2 { await Task.yield() }
        gate.open()
        await engine.waitUntilIdle()
        // Only the timer of the latest message completed the group.
        #expect(engine.mock("aggregated").received.map(\.body.text) == ["ab"])
    }

    /// The size and timeout can come from each message, as Camel's expressions do.
    @Test func completionSizeAndTimeoutExpressionsAreEvaluatedPerMessage() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - aggregate:
                      correlationExpression: {header: order}
                      aggregationStrategy: StringAggregationStrategy
                      completionSizeExpression: {header: expected}
                      completionTimeoutExpression: {header: wait}
                      steps: [{to: mock:aggregated}]
            """)
        for body in ["a", "b"] {
            _ = await routes.run(
                body, contentType: nil, headers: [("order", "1"), ("expected", "2")])
        }
        #expect(routes.bodies("aggregated") == ["ab"])
        let gate = Gate()
        let timed = try gate.engine(
            """
                - from:
                    uri: direct:in
                    steps:
                      - aggregate:
                          correlationExpression: {header: order}
                          aggregationStrategy: StringAggregationStrategy
                          completionTimeout: 60000
                          completionTimeoutExpression: {header: wait}
                          steps: [{to: mock:aggregated}]
            """)
        _ = await timed.run(
            timed.routeIds[0],
            Exchange(
                message: Message(
                    headers: Headers([("order", "1"), ("wait", "250")]), body: Body(text: "x"))))
        while gate.count.withLock({ $0 }) < 1 { await Task.yield() }
        gate.open()
        await timed.waitUntilIdle()
        #expect(timed.mock("aggregated").received.map(\.body.text) == ["x"])
        #expect(gate.asked.withLock { $0 } == [.milliseconds(250)], "the message's timeout wins")
    }

    @Test func aClosedCorrelationKeyRefusesLaterMessagesAndATimeoutCanDiscard() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - aggregate:
                      correlationExpression: {header: order}
                      aggregationStrategy: StringAggregationStrategy
                      completionSize: 2
                      closeCorrelationKeyOnCompletion: 100
                      steps: [{to: mock:aggregated}]
            """)
        for body in ["a", "b"] {
            _ = await routes.run(body, contentType: nil, headers: [("order", "1")])
        }
        let late = await routes.run("c", contentType: nil, headers: [("order", "1")])
        let other = await routes.run("d", contentType: nil, headers: [("order", "2")])
        #expect(routes.bodies("aggregated") == ["ab"])
        #expect(
            late.error?.kind
                == ErrorKind("org.apache.camel.processor.aggregate.ClosedCorrelationKeyException"))
        #expect(late.error?.message == "the correlation key '1' has been closed")
        #expect(other.error == nil)

        let gate = Gate()
        let discarding = try gate.engine(
            """
                - from:
                    uri: direct:in
                    steps:
                      - aggregate:
                          correlationExpression: {header: order}
                          aggregationStrategy: StringAggregationStrategy
                          completionTimeout: 1000
                          discardOnCompletionTimeout: true
                          steps: [{to: mock:aggregated}]
            """)
        _ = await discarding.run(
            discarding.routeIds[0],
            Exchange(message: Message(headers: Headers([("order", "1")]), body: Body(text: "x"))))
        while gate.count.withLock({ $0 }) < 1 { await Task.yield() }
        gate.open()
        await discarding.waitUntilIdle()
        #expect(discarding.mock("aggregated").received.isEmpty)
        // The discarded group is gone: the key starts a new group.
        _ = await discarding.run(
            discarding.routeIds[0],
            Exchange(message: Message(headers: Headers([("order", "1")]), body: Body(text: "y"))))
        while gate.count.withLock({ $0 }) < 2 { await Task.yield() }
        gate.open()
        await discarding.waitUntilIdle()
        #expect(discarding.mock("aggregated").received.isEmpty)
    }

    @Test func aMissingCorrelationKeyFails() async throws {
        let routes = try await TestRoutes(Self.yaml)
        let outcome = await routes.run("x", contentType: nil)
        #expect(outcome.error?.message.contains("invalid correlation key") == true)
    }
}

@Suite struct CircuitBreakerTests {
    static let yaml = """
        - route:
            id: main
            from:
              uri: direct:in
              steps:
                - circuitBreaker:
                    resilience4jConfiguration:
                      failureRateThreshold: 50
                      minimumNumberOfCalls: 4
                      slidingWindowSize: 4
                      waitDurationInOpenState: 30
                      permittedNumberOfCallsInHalfOpenState: 2
                    steps:
                      - to: mock:attempt
                      - filter:
                          simple: "${body} == 'fail'"
                          steps: [{throwException: {exceptionType: java.net.ConnectException, message: down}}]
                    onFallback:
                      steps: [{setBody: {constant: fallback}}]
                - to: mock:out
        """

    @Test func failuresOpenTheCircuitAndTheFallbackAnswers() async throws {
        let routes = try await TestRoutes(Self.yaml)
        for body in ["ok", "fail", "fail", "ok"] { _ = await routes.run(body, contentType: nil) }
        #expect(routes.bodies("out") == ["ok", "fallback", "fallback", "ok"])
        // 2 of 4 failed: 50 % opens the circuit; the next call does not reach the steps.
        _ = await routes.run("ok", contentType: nil)
        #expect(routes.engine.mock("attempt").received.count == 4)
        #expect(routes.bodies("out").last == "fallback")
    }

    @Test func afterTheWaitTrialCallsCloseTheCircuitAgain() async throws {
        let routes = try await TestRoutes(Self.yaml)
        for body in ["fail", "fail", "fail", "fail"] {
            _ = await routes.run(body, contentType: nil)
        }
        _ = await routes.run("ok", contentType: nil)
        #expect(routes.engine.mock("attempt").received.count == 4)
        routes.clock.sleep(.seconds(30))
        for _ in 0..<3 { _ = await routes.run("ok", contentType: nil) }
        #expect(routes.engine.mock("attempt").received.count == 7)
        #expect(routes.bodies("out").suffix(3) == ["ok", "ok", "ok"])
    }

    @Test func theStateMachineAlone() {
        var c = CircuitBreakerConfiguration()
        c.minimumNumberOfCalls = 2
        c.slidingWindowSize = 2
        c.waitDurationInOpenState = 10
        c.permittedNumberOfCallsInHalfOpenState = 1
        var s = CircuitBreakerState(c)
        let t0 = ContinuousClock.now
        let first = s.permit(now: t0)
        #expect(first)
        s.record(success: false, now: t0)
        s.record(success: false, now: t0)
        #expect(s.phase == .open(since: t0))
        let early = s.permit(now: t0 + .seconds(9))
        let trial = s.permit(now: t0 + .seconds(10))
        let second = s.permit(now: t0 + .seconds(10))
        #expect(!early && trial && !second)
        s.record(success: false, now: t0 + .seconds(11))
        #expect(s.phase == .open(since: t0 + .seconds(11)))
    }
}

/// `beans` of Camel's built-in strategies, with the properties that need no Java.
@Suite struct AggregationBeanTests {
    @Test func aStringStrategyBeanJoinsWithItsDelimiterByAnyReference() async throws {
        for reference in ["joiner", "#joiner", "#bean:joiner"] {
            let routes = try await TestRoutes(
                """
                - beans:
                    - name: joiner
                      type: "#class:org.apache.camel.processor.aggregate.StringAggregationStrategy"
                      properties: {delimiter: "|"}
                - from:
                    uri: direct:in
                    steps:
                      - aggregate:
                          correlationExpression: {header: order}
                          aggregationStrategy: "\(reference)"
                          completionSize: 3
                          steps: [{to: mock:out}]
                """)
            for body in ["a", "b", "c"] {
                _ = await routes.run(body, contentType: nil, headers: [("order", "1")])
            }
            #expect(routes.bodies("out") == ["a|b|c"], "\(reference)")
        }
    }

    @Test func aPropertyThatNeedsJavaIsRefusedAtItsPosition() {
        let result = load(
            """
            - beans:
                - name: latest
                  type: "#class:org.apache.camel.processor.aggregate.UseLatestAggregationStrategy"
                  properties: {propagateException: true}
            """)
        #expect(result.errors.first?.message.contains("propagateException") == true)
        #expect(result.errors.first?.location.line == 4)
    }
}

/// Completions that look at every open group.
@Suite struct AggregateCompletionTests {
    @Test func aNewCorrelationGroupCompletesTheOthers() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - aggregate:
                      correlationExpression: {header: order}
                      aggregationStrategy: StringAggregationStrategy
                      completionOnNewCorrelationGroup: true
                      steps:
                        - setHeader: {name: by, simple: "${exchangeProperty.CamelAggregatedCompletedBy}"}
                        - to: mock:out
            """)
        for (order, body) in [("1", "a"), ("1", "b"), ("2", "c"), ("3", "d")] {
            _ = await routes.run(body, contentType: nil, headers: [("order", .string(order))])
            await routes.engine.waitUntilIdle()
        }
        #expect(routes.bodies("out") == ["ab", "c"])
        #expect(routes.engine.mock("out").received.first?.headers["by"] == "new group")
    }

    @Test func everyIntervalCompletesEveryOpenGroup() async throws {
        let gate = Gate()
        let engine = try gate.engine(
            """
            - from:
                uri: direct:in
                steps:
                  - aggregate:
                      correlationExpression: {header: order}
                      aggregationStrategy: StringAggregationStrategy
                      completionInterval: 1000
                      steps:
                        - setHeader: {name: by, simple: "${exchangeProperty.CamelAggregatedCompletedBy}"}
                        - to: mock:out
            """)
        try await engine.start()
        for (order, body) in [("1", "a"), ("2", "b"), ("1", "c")] {
            _ = await engine.run(
                engine.routeIds[0],
                Exchange(
                    message: Message(
                        headers: Headers([("order", .string(order))]), body: Body(text: body))))
        }
        while gate.count.withLock({ $0 }) < 1 { await Task.yield() }
        #expect(engine.mock("out").received.isEmpty)
        #expect(gate.asked.withLock { $0 } == [.milliseconds(1000)])
        gate.open()
        // The next tick finds nothing open and stops the ticks.
        while gate.count.withLock({ $0 }) < 2 { await Task.yield() }
        gate.open()
        await engine.waitUntilIdle()
        let out = engine.mock("out").received
        #expect(out.map(\.body.text).sorted() == ["ac", "b"])
        #expect(out.allSatisfy { $0.headers["by"] == "interval" })
    }
}
