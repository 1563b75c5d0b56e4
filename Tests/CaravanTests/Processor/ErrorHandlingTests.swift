import Synchronization
import Testing

@testable import Caravan

/// A redelivery seam that, instead of waiting, saves the failure point and suspends the
/// exchange — what the durable store does.
final class CapturingSeam: RedeliverySeam {
    let points = Mutex<[FailurePoint]>([])

    func redeliver(_ point: FailurePoint, after delay: Duration, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        points.withLock { $0.append(point) }
        throw ProcessingError.suspended(point)
    }
}

/// A route whose `direct:flaky` target fails until the redelivery counter reaches `succeedAt`.
func flakyRoutes(_ head: String, succeedAt: Int = 2) -> String {
    """
    \(head)
    - route:
        id: flaky
        errorHandler: {noErrorHandler: {}}
        from:
          uri: direct:flaky
          steps:
            - filter:
                simple: "${header.CamelRedeliveryCounter} == null || ${header.CamelRedeliveryCounter} < \(succeedAt)"
                steps:
                  - throwException: {exceptionType: java.net.ConnectException, message: "connection refused"}
            - to: mock:second
    """
}

@Suite struct RedeliveryPolicyTests {
    @Test func fixedDelayByDefault() {
        var p = RedeliveryPolicy()
        p.maximumRedeliveries = 3
        #expect(p.delay(previous: 0, counter: 1) == 1000)
        #expect(p.delay(previous: 1000, counter: 2) == 1000)
        #expect(p.allowsRedelivery(3) && !p.allowsRedelivery(4))
    }

    @Test func exponentialBackOffIsCapped() {
        var p = RedeliveryPolicy()
        p.useExponentialBackOff = true
        p.redeliveryDelay = 500
        p.backOffMultiplier = 3
        p.maximumRedeliveryDelay = 10_000
        var delays: [Int] = []
        var previous = 0
        for counter in 1...5 {
            previous = p.delay(previous: previous, counter: counter)
            delays.append(previous)
        }
        #expect(delays == [500, 1500, 4500, 10_000, 10_000])
    }

    @Test func collisionAvoidanceVariesByTheFactor() {
        var p = RedeliveryPolicy()
        p.useCollisionAvoidance = true
        #expect(p.delay(previous: 0, counter: 1, random: (true, 1.0)) == 1150)
        #expect(p.delay(previous: 0, counter: 1, random: (false, 0.5)) == 925)
    }

    @Test func delayPatternWinsAndPicksTheLastGroupReached() {
        var p = RedeliveryPolicy()
        p.useExponentialBackOff = true
        p.delayPattern = "0:1000;3:5000;10:30000"
        #expect(
            [1, 2, 3, 9, 10, 50].map { p.delay(previous: 7, counter: $0) } == [
                1000, 1000, 5000, 5000, 30000, 30000,
            ])
        #expect(
            RedeliveryPolicy.validPattern("0:1000;3:5000")
                && !RedeliveryPolicy.validPattern("3:1;1:2") && !RedeliveryPolicy.validPattern("x"))
    }

    @Test func foreverMeansForever() {
        var p = RedeliveryPolicy()
        p.maximumRedeliveries = -1
        #expect(p.allowsRedelivery(1_000_000))
    }
}

@Suite struct ErrorHandlerTests {
    @Test func theFailedStepAloneIsRedeliveredAfterTheBackOff() async throws {
        let routes = try await TestRoutes(
            flakyRoutes(
                """
                - errorHandler:
                    defaultErrorHandler:
                      redeliveryPolicy: {maximumRedeliveries: 3, redeliveryDelay: 1000, useExponentialBackOff: true}
                - route:
                    id: main
                    from:
                      uri: direct:in
                      steps:
                        - to: mock:first
                        - to: direct:flaky
                """))
        let outcome = await routes.run("order", contentType: nil, route: "main")
        #expect(outcome.error == nil)
        #expect(routes.bodies("first") == ["order"])
        #expect(routes.bodies("second") == ["order"])
        let headers = routes.engine.mock("second").received[0].headers
        #expect(
            headers["CamelRedelivered"] == true && headers["CamelRedeliveryCounter"] == 2
                && headers["CamelRedeliveryMaxCounter"] == 3)
        #expect(routes.clock.sleeps.withLock { $0 } == [.seconds(1), .seconds(2)])
        // Attempts are counted from 1: the first failed attempt is attempt 1.
        let failures = routes.log.messages.filter { $0.hasPrefix("Failed delivery") }
        #expect(failures.count == 2)
        #expect(failures.first?.contains("On delivery attempt: 1 caught") == true)
        #expect(failures.last?.contains("On delivery attempt: 2 caught") == true)
    }

    @Test func exhaustedRedeliveriesPropagateWithTheDefaultErrorHandler() async throws {
        let routes = try await TestRoutes(
            flakyRoutes(
                """
                - errorHandler:
                    defaultErrorHandler:
                      redeliveryPolicy: {maximumRedeliveries: 1, redeliveryDelay: 10}
                - route: {id: main, from: {uri: direct:in, steps: [{to: direct:flaky}, {to: mock:after}]}}
                """, succeedAt: 5))
        let outcome = await routes.run("x", contentType: nil, route: "main")
        #expect(outcome.error?.kind == .connect)
        #expect(outcome.error?.exhausted == true)
        #expect(routes.engine.mock("after").received.isEmpty)
        #expect(routes.clock.sleeps.withLock { $0 } == [.milliseconds(10)])
    }

    @Test func theDeadLetterChannelGetsTheExchangeAndTheRouteStops() async throws {
        let routes = try await TestRoutes(
            flakyRoutes(
                """
                - route:
                    id: main
                    errorHandler:
                      deadLetterChannel:
                        deadLetterUri: mock:dead
                        useOriginalMessage: true
                        redeliveryPolicy: {maximumRedeliveries: 2, redeliveryDelay: 100}
                    from:
                      uri: direct:in
                      steps:
                        - setBody: {simple: "changed ${body}"}
                        - to: direct:flaky
                        - to: mock:after
                """, succeedAt: 99))
        let outcome = await routes.run("original", contentType: nil, route: "main")
        #expect(outcome.error == nil)
        #expect(routes.bodies("dead") == ["original"])
        #expect(routes.engine.mock("after").received.isEmpty)
        #expect(
            outcome.exchange.properties[ExchangeProperty.exceptionCaught] == "connection refused")
        #expect(routes.clock.sleeps.withLock { $0 }.count == 2)
    }

    @Test func onExceptionHandledContinuedAndClosestMatch() async throws {
        let yaml = """
            - onException:
                exception: [java.lang.Exception]
                handled: {constant: true}
                steps: [{setBody: {constant: generic}}, {to: mock:generic}]
            - onException:
                exception: [java.io.IOException]
                handled: {constant: true}
                steps: [{setBody: {simple: "io: ${exception.message}"}}, {to: mock:io}]
            - onException:
                exception: [java.lang.IllegalArgumentException]
                continued: {constant: true}
            - route:
                id: main
                from:
                  uri: direct:in
                  steps:
                    - throwException: {exceptionType: "java.lang.IllegalArgumentException", message: "ignored"}
                    - to: mock:continued
                    - choice:
                        when:
                          - simple: "${body} == 'io'"
                            steps: [{throwException: {exceptionType: java.net.ConnectException, message: refused}}]
                        otherwise:
                          steps: [{throwException: {exceptionType: com.acme.Oops, message: oops}}]
                    - to: mock:never
            """
        let routes = try await TestRoutes(yaml)
        #expect(await routes.run("io", contentType: nil).error == nil)
        #expect(await routes.run("other", contentType: nil).error == nil)
        #expect(routes.bodies("continued") == ["io", "other"])
        #expect(routes.bodies("io") == ["io: refused"])
        #expect(routes.bodies("generic") == ["generic"])
        #expect(routes.engine.mock("never").received.isEmpty)
    }

    @Test func anUnhandledOnExceptionRunsItsStepsAndPropagates() async throws {
        let routes = try await TestRoutes(
            """
            - onException:
                exception: [java.lang.IllegalStateException]
                onWhen: {simple: "${exception.message} contains 'audit'"}
                redeliveryPolicy: {maximumRedeliveries: 2, redeliveryDelay: 5}
                steps: [{to: mock:audit}]
            - from: {uri: direct:in, steps: [{throwException: {exceptionType: java.lang.IllegalStateException, message: "${body}"}}]}
            """)
        let audited = await routes.run("please audit", contentType: nil)
        #expect(audited.error?.kind == .illegalState)
        #expect(routes.bodies("audit") == ["please audit"])
        #expect(routes.clock.sleeps.withLock { $0 } == [.milliseconds(5), .milliseconds(5)])
        // onWhen false: the clause does not apply, no redelivery (Camel's default policy).
        _ = await routes.run("no", contentType: nil)
        #expect(routes.bodies("audit").count == 1)
        #expect(routes.clock.sleeps.withLock { $0 }.count == 2)
    }

    @Test func precedenceRouteThenNamedConfigurationThenGlobalThenTopLevel() async throws {
        let yaml = """
            - errorHandler: {deadLetterChannel: {deadLetterUri: mock:top}}
            - routeConfiguration: {errorHandler: {deadLetterChannel: {deadLetterUri: mock:global}}}
            - routeConfiguration: {id: special, errorHandler: {deadLetterChannel: {deadLetterUri: mock:named}}}
            - route:
                id: own
                errorHandler: {deadLetterChannel: {deadLetterUri: mock:own}}
                routeConfigurationId: special
                from: {uri: direct:own, steps: [{throwException: {exceptionType: java.lang.Exception, message: x}}]}
            - route:
                id: named
                routeConfigurationId: special
                from: {uri: direct:named, steps: [{throwException: {exceptionType: java.lang.Exception, message: x}}]}
            - route:
                id: plain
                from: {uri: direct:plain, steps: [{throwException: {exceptionType: java.lang.Exception, message: x}}]}
            """
        let routes = try await TestRoutes(yaml)
        for id in ["own", "named", "plain"] {
            _ = await routes.run(id, contentType: nil, route: id)
        }
        #expect(routes.bodies("own") == ["own"])
        #expect(routes.bodies("named") == ["named"])
        #expect(routes.bodies("global") == ["plain"])
        #expect(routes.bodies("top").isEmpty)
    }

    @Test func noErrorHandlerNeverRedelivers() async throws {
        let routes = try await TestRoutes(
            flakyRoutes(
                """
                - route:
                    id: main
                    errorHandler: {noErrorHandler: {}}
                    from: {uri: direct:in, steps: [{to: direct:flaky}]}
                """))
        #expect(await routes.run("x", contentType: nil, route: "main").error?.kind == .connect)
        #expect(routes.clock.sleeps.withLock { $0 }.isEmpty)
    }
}

@Suite struct ResumptionTests {
    func engine(_ yaml: String) async throws -> (RouteEngine, CapturingSeam) {
        let loaded = RouteLoader().load([RouteFile(path: "t.yaml", text: yaml)])
        if !loaded.errors.isEmpty { throw LoadFailure(loaded.errors) }
        let seam = CapturingSeam()
        var settings = ProcessContext.Settings()
        settings.redelivery = seam
        let engine = try RouteEngine(routes: loaded.routes, settings: settings)
        try await engine.start()
        return (engine, seam)
    }

    @Test func aSuspendedExchangeResumesAtTheFailedStepWithoutRepeatingEarlierSteps() async throws {
        let (engine, seam) = try await engine(
            flakyRoutes(
                """
                - errorHandler: {defaultErrorHandler: {redeliveryPolicy: {maximumRedeliveries: 5, redeliveryDelay: 250}}}
                - route:
                    id: main
                    from:
                      uri: direct:in
                      steps:
                        - to: mock:first
                        - setHeader: {name: stage, constant: "two"}
                        - to: direct:flaky
                        - to: mock:after
                """))
        let first = await engine.run("main", Exchange(message: Message(body: Body(text: "order"))))
        #expect(first.error?.isSuspension == true)
        var point = try #require(seam.points.withLock { $0.first })
        #expect(point.path == StepPath([.step(2)]))
        #expect(point.counter == 1 && point.delayMillis == 250)
        #expect(point.exchange.message.headers["stage"] == "two")

        // Saved and read back, as the store does across a restart.
        point = try #require(
            FailurePoint(document: try JSONReader().read(JSONWriter().bytes(point.document))))
        let second = await engine.resume(point)
        #expect(second.error?.isSuspension == true)  // counter 1 < 2: fails again, suspends again
        let next = try #require(seam.points.withLock { $0.last })
        #expect(next.counter == 2)
        let third = await engine.resume(next)
        #expect(third.error == nil)
        #expect(engine.mock("first").received.count == 1)
        #expect(engine.mock("after").received.map(\.body.text) == ["order"])
    }

    @Test func aFailureInsideASplitPartResumesInThatPartAndFinishesTheRest() async throws {
        let (engine, seam) = try await engine(
            flakyRoutes(
                """
                - errorHandler: {defaultErrorHandler: {redeliveryPolicy: {maximumRedeliveries: 3}}}
                - route:
                    id: main
                    from:
                      uri: direct:in
                      steps:
                        - split:
                            tokenize: ","
                            aggregationStrategy: GroupedBodyAggregationStrategy
                            steps:
                              - to: mock:part
                              - choice:
                                  when:
                                    - simple: "${body} == 'b'"
                                      steps: [{to: direct:flaky}]
                        - marshal: {json: {}}
                        - to: mock:after
                """, succeedAt: 1))
        let first = await engine.run("main", Exchange(message: Message(body: Body(text: "a,b,c"))))
        #expect(first.error?.isSuspension == true)
        let point = try #require(seam.points.withLock { $0.first })
        #expect(point.path == StepPath([.step(0), .part(1), .step(1), .when(0), .step(0)]))
        #expect(point.frames.count == 1 && point.frames[0].results.count == 1)
        let saved = try #require(FailurePoint(document: point.document))
        let resumed = await engine.resume(saved)
        #expect(resumed.error == nil, "\(String(describing: resumed.error))")
        #expect(engine.mock("part").received.map(\.body.text) == ["a", "b", "c"])
        #expect(engine.mock("after").received.map(\.body.text) == [#"["a","b","c"]"#])
    }

    @Test func aSplitWithTheDefaultStrategySavesNoFinishedPartsWithItsFailurePoint() async throws {
        let (engine, seam) = try await engine(
            flakyRoutes(
                """
                - errorHandler: {defaultErrorHandler: {redeliveryPolicy: {maximumRedeliveries: 3}}}
                - route:
                    id: main
                    from:
                      uri: direct:in
                      steps:
                        - split:
                            tokenize: ","
                            steps:
                              - to: mock:part
                              - choice:
                                  when:
                                    - simple: "${body} == 'd'"
                                      steps: [{to: direct:flaky}]
                        - to: mock:after
                """, succeedAt: 1))
        let first = await engine.run(
            "main", Exchange(message: Message(body: Body(text: "a,b,c,d,e"))))
        #expect(first.error?.isSuspension == true)
        let point = try #require(seam.points.withLock { $0.first })
        // The original exchange continues after the split: the three finished parts are
        // not kept, in memory or in the saved point.
        #expect(point.frames.count == 1 && point.frames[0].results.isEmpty)
        let saved = try #require(FailurePoint(document: point.document))
        let resumed = await engine.resume(saved)
        #expect(resumed.error == nil, "\(String(describing: resumed.error))")
        #expect(engine.mock("part").received.map(\.body.text) == ["a", "b", "c", "d", "e"])
        #expect(engine.mock("after").received.map(\.body.text) == ["a,b,c,d,e"])
    }
}
