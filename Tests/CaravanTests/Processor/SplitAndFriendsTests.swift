import Testing

@testable import Caravan

@Suite struct SplitStepTests {
    @Test func tokenizeSplitsAndSetsTheSplitProperties() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - split:
                      tokenize: {token: "\\n", skipFirst: true}
                      steps:
                        - setBody: {simple: "${exchangeProperty.CamelSplitIndex}/${exchangeProperty.CamelSplitSize}/${exchangeProperty.CamelSplitComplete}:${body}"}
                        - to: mock:part
                  - to: mock:after
            """)
        let outcome = await routes.run("header\na\nb\n", contentType: .csv)
        #expect(outcome.error == nil)
        #expect(routes.bodies("part") == ["0/2/false:a", "1/2/true:b"])
        #expect(routes.bodies("after") == ["header\na\nb\n"])  // the original continues
    }

    @Test func jsonpathSplitsIntoDocumentsAndGroupedBodyAggregates() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - split:
                      jsonpath: "$.items[*]"
                      aggregationStrategy: GroupedBodyAggregationStrategy
                      steps:
                        - setBody: {simple: "${body[sku]}"}
                  - marshal: {json: {}}
                  - to: mock:out
            """)
        _ = await routes.run(#"{"items": [{"sku": "A"}, {"sku": "B"}]}"#)
        #expect(routes.bodies("out") == [#"["A","B"]"#])
    }

    @Test func xpathSplitsIntoElements() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - split:
                      xpath: "/orders/order"
                      steps:
                        - filter:
                            xpath: "/order/@id = '2'"
                            steps: [{to: mock:two}]
                        - to: mock:part
            """)
        _ = await routes.run(
            #"<orders><order id="1"/><order id="2"><x>y</x></order></orders>"#, contentType: .xml)
        #expect(routes.bodies("part") == [#"<order id="1"/>"#, #"<order id="2"><x>y</x></order>"#])
        #expect(routes.bodies("two").count == 1)
    }

    @Test func aFailedPartFailsTheSplitAfterTheOthersRan() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - split:
                      tokenize: ","
                      steps:
                        - validate: {simple: "${body} != 'bad'"}
                        - to: mock:part
            """)
        let outcome = await routes.run("a,bad,c", contentType: nil)
        #expect(routes.bodies("part") == ["a", "c"])
        #expect(outcome.error?.kind == .validation)
        #expect(outcome.error?.path == StepPath([.step(0), .part(1), .step(0)]))
    }

    @Test func stopOnExceptionStopsAtTheFailedPart() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - split:
                      tokenize: ","
                      stopOnException: true
                      steps:
                        - validate: {simple: "${body} != 'bad'"}
                        - to: mock:part
            """)
        _ = await routes.run("a,bad,c", contentType: nil)
        #expect(routes.bodies("part") == ["a"])
    }
}

@Suite struct LoopMulticastAndFriendsTests {
    @Test func loopSetsTheLoopIndex() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - loop:
                      constant: 3
                      steps:
                        - transform: {simple: "${body}${exchangeProperty.CamelLoopIndex}"}
                        - to: mock:iteration
            """)
        _ = await routes.run("x", contentType: nil)
        #expect(routes.bodies("iteration") == ["x0", "x01", "x012"])
    }

    @Test func loopWithCopyStartsEachIterationFromTheOriginal() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - loop:
                      constant: 2
                      copy: true
                      steps:
                        - transform: {simple: "${body}${exchangeProperty.CamelLoopIndex}"}
                        - to: mock:iteration
            """)
        _ = await routes.run("x", contentType: nil)
        #expect(routes.bodies("iteration") == ["x0", "x1"])
    }

    @Test func multicastGivesEachBranchACopyAndKeepsTheLastReply() async throws {
        let routes = try await TestRoutes(
            """
            - route:
                id: main
                from:
                  uri: direct:in
                  steps:
                    - multicast:
                        steps:
                          - to: direct:a
                          - to: direct:b
                    - to: mock:after
            - route: {id: a, from: {uri: direct:a, steps: [{transform: {simple: "A(${body})"}}, {to: mock:a}]}}
            - route: {id: b, from: {uri: direct:b, steps: [{transform: {simple: "B(${body})"}}, {to: mock:b}]}}
            """)
        _ = await routes.run("x", contentType: nil, route: "main")
        #expect(routes.bodies("a") == ["A(x)"] && routes.bodies("b") == ["B(x)"])
        #expect(routes.bodies("after") == ["B(x)"])
    }

    @Test func recipientListSendsToEachNamedEndpoint() async throws {
        let routes = try await TestRoutes(
            "- from: {uri: direct:in, steps: [{recipientList: {simple: \"mock:a,${header.also}\"}}]}"
        )
        _ = await routes.run("x", contentType: nil, headers: [("also", "mock:b")])
        #expect(routes.bodies("a") == ["x"] && routes.bodies("b") == ["x"])
    }

    @Test func wireTapSendsACopyInTheBackgroundAndItsFailureDoesNotFailTheRoute() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - wireTap: mock:tap
                  - wireTap: direct:nobody
                  - setBody: {constant: changed}
                  - to: mock:out
            """)
        let outcome = await routes.run("original", contentType: nil)
        await routes.engine.waitUntilIdle()
        #expect(outcome.error == nil)
        #expect(routes.bodies("tap") == ["original"])
        #expect(routes.bodies("out") == ["changed"])
        #expect(routes.log.messages.contains { $0.contains("wire tap to direct:nobody failed") })
    }

    @Test func enrichReplacesTheMessageWithTheReply() async throws {
        let routes = try await TestRoutes(
            """
            - route: {id: main, from: {uri: direct:in, steps: [{enrich: {constant: direct:lookup}}, {to: mock:out}]}}
            - route: {id: lookup, from: {uri: direct:lookup, steps: [{setBody: {simple: "customer of ${body}"}}]}}
            """)
        _ = await routes.run("o-1", contentType: nil, route: "main")
        #expect(routes.bodies("out") == ["customer of o-1"])
    }

    @Test func delayWaitsTheGivenMilliseconds() async throws {
        let routes = try await TestRoutes(
            "- from: {uri: direct:in, steps: [{delay: {simple: \"${header.wait}\"}}, {to: mock:out}]}"
        )
        _ = await routes.run("x", headers: [("wait", "250")])
        #expect(routes.clock.sleeps.withLock { $0 } == [.milliseconds(250)])
        #expect(routes.bodies("out") == ["x"])
    }

    @Test func throttleLetsNPerPeriodThrough() async throws {
        let routes = try await TestRoutes(
            "- from: {uri: direct:in, steps: [{throttle: {constant: 2, timePeriodMillis: 1000}}, {to: mock:out}]}"
        )
        for i in 0..<5 { _ = await routes.run("\(i)", contentType: nil) }
        #expect(routes.bodies("out").count == 5)
        // The 3rd and 5th exchanges waited for the window to move on.
        #expect(routes.clock.sleeps.withLock { $0 } == [.seconds(1), .seconds(1)])
    }
}

@Suite struct ErrorStepTests {
    static let tryRoute = """
        - from:
            uri: direct:in
            steps:
              - doTry:
                  steps:
                    - throwException: {exceptionType: "${header.kind}", message: "boom ${body}"}
                  doCatch:
                    - exception: [java.io.IOException]
                      onWhen: {simple: "${exception.message} contains 'retry'"}
                      steps: [{setBody: {simple: "io-retry: ${exception.message}"}}]
                    - exception: [java.lang.IllegalArgumentException]
                      steps: [{setBody: {simple: "bad argument: ${exception.message}"}}]
                  doFinally:
                    steps: [{to: mock:finally}]
              - to: mock:after
        """

    @Test func doCatchMatchesByExceptionHierarchy() async throws {
        let routes = try await TestRoutes(
            Self.tryRoute.replacingOccurrences(
                of: "${header.kind}", with: "java.lang.NumberFormatException"))
        let outcome = await routes.run("x", contentType: nil)
        #expect(outcome.error == nil)
        #expect(routes.bodies("after") == ["bad argument: boom x"])
        #expect(routes.engine.mock("finally").received.count == 1)
    }

    @Test func onWhenDecidesAndUnhandledFailuresPropagateAfterFinally() async throws {
        let routes = try await TestRoutes(
            Self.tryRoute.replacingOccurrences(
                of: "${header.kind}", with: "java.net.ConnectException"))
        #expect(await routes.run("retry", contentType: nil).error == nil)
        #expect(routes.bodies("after") == ["io-retry: boom retry"])
        let failed = await routes.run("other", contentType: nil)
        #expect(failed.error?.kind == .connect)
        #expect(routes.engine.mock("finally").received.count == 2)
        #expect(routes.bodies("after").count == 1)
    }

    @Test func validateFailsWithPredicateValidationException() async throws {
        let routes = try await TestRoutes(
            "- from: {uri: direct:in, steps: [{validate: {simple: \"${body[qty]} > 0\"}}]}")
        let outcome = await routes.run(#"{"qty": 0}"#)
        // Camel 4's class, whose parent here is its Camel 3 name, then ValidationException.
        #expect(outcome.error?.kind == ErrorKind.validation)
        #expect(
            outcome.error?.kind.distance(
                to: ErrorKind(
                    "org.apache.camel.support.processor.validation.PredicateValidationException"))
                == 1)
        #expect(
            outcome.error?.kind.distance(to: ErrorKind("org.apache.camel.ValidationException")) == 2
        )
        #expect(
            outcome.error?.message == "Validation failed for Predicate[simple{${body[qty]} > 0}]")
    }

    @Test func errorKindsFollowTheJavaHierarchy() {
        #expect(ErrorKind.connect.distance(to: ErrorKind("java.io.IOException")) == 2)
        #expect(ErrorKind.connect.distance(to: .exception) == 3)
        #expect(ErrorKind("com.acme.OrderRejected").distance(to: .exception) == 1)
        #expect(
            ErrorKind("com.acme.OrderRejected").distance(
                to: ErrorKind("java.lang.RuntimeException")) == nil)
        #expect(ErrorKind("IOException").name == "java.io.IOException")
        #expect(ErrorKind.httpOperationFailed.distance(to: ErrorKind("java.lang.Throwable")) == 3)
    }
}

@Suite struct SplitFlowFormTests {
    @Test func aSplitWithoutStepsTakesTheStepsThatFollowIt() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - setHeader: {name: batch, constant: "7"}
                  - split:
                      tokenize: ","
                  - transform: {simple: "${header.batch}-${body}"}
                  - to: mock:part
            """)
        let outcome = await routes.run("a,b", contentType: nil)
        #expect(outcome.error == nil)
        #expect(routes.bodies("part") == ["7-a", "7-b"])
    }
}
