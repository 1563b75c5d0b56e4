import Testing

@testable import Caravan

@Suite struct MessageStepTests {
    @Test func setBodySetHeaderSetPropertyAndTransform() async throws {
        let routes = try await TestRoutes(
            """
            - route:
                id: r
                from:
                  uri: direct:in
                  steps:
                    - setHeader: {name: total, jsonpath: "$.total"}
                    - setProperty: {name: id, simple: "${body[id]}"}
                    - setBody: {simple: "order ${exchangeProperty.id}"}
                    - transform: {simple: "${body.toUpperCase()} (${header.total})"}
                    - to: mock:out
            """)
        let outcome = await routes.run(#"{"id": "a-1", "total": 12.50}"#)
        #expect(outcome.error == nil)
        let received = routes.engine.mock("out").received
        #expect(received.map(\.body.text) == ["ORDER A-1 (12.50)"])
        #expect(received[0].headers["total"] == .number(DecimalText(unchecked: "12.50")))
    }

    @Test func removeHeadersFollowsCamelPatterns() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - removeHeaders: {pattern: "Camel*", excludePattern: "CamelHttpResponseCode"}
                  - removeHeader: {name: x-secret}
                  - removeHeaders: {pattern: "tmp-[0-9]+"}
                  - to: mock:out
            """)
        _ = await routes.run(
            "{}",
            headers: [
                ("CamelFileName", "a"), ("camelhttpresponsecode", "200"), ("X-Secret", "s"),
                ("tmp-12", "t"), ("keep", "k"),
            ])
        #expect(
            routes.engine.mock("out").received[0].headers.names == [
                "camelhttpresponsecode", "keep",
            ])
    }

    @Test func logWritesTheTemplateAtItsLevel() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - log: {message: "got ${body[id]}", loggingLevel: WARN, logName: orders}
                  - to: "log:audit?showHeaders=true"
            """)
        _ = await routes.run(#"{"id": 7}"#, headers: [("h", "v")])
        let lines = routes.log.lines.withLock { $0 }
        #expect(lines[0].0 == .WARN && lines[0].1 == "orders" && lines[0].2 == "got 7")
        #expect(
            lines[1].2
                == #"Exchange[ExchangePattern: InOnly, Headers: {h=v}, BodyType: byte[], Body: {"id": 7}]"#
        )
    }

    @Test func convertBodyToFailsWithInvalidPayload() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - convertBodyTo: Integer
            """)
        #expect(
            await routes.run("42", contentType: nil).exchange.message.body == Body(document: 42))
        let failed = await routes.run("forty-two", contentType: nil)
        #expect(failed.error?.kind == .invalidPayload)
        #expect(failed.error?.path == StepPath([.step(0)]))
    }

    /// Camel takes primitives and fully qualified names wherever a type is named.
    @Test func convertBodyToTakesPrimitiveAndQualifiedTypeNames() async throws {
        let cases: [(String, String, Document)] = [
            ("int", "42", 42), ("java.lang.Integer", "42", 42), ("long", "7", 7),
            ("double", "2.5", Document.number(DecimalText(validating: "2.5")!)),
            ("boolean", "true", true),
            ("java.lang.Boolean", "false", false), ("java.util.Map", #"{"a": 1}"#, ["a": 1]),
        ]
        for (type, body, expected) in cases {
            let routes = try await TestRoutes(
                """
                - from:
                    uri: direct:in
                    steps:
                      - convertBodyTo: "\(type)"
                """)
            let result = await routes.run(
                body, contentType: type == "java.util.Map" ? MediaType.json : nil)
            #expect(result.exchange.message.body == Body(document: expected), "\(type)")
        }
        let text = try await TestRoutes(
            """
            - from: {uri: direct:in, steps: [{convertBodyTo: java.lang.String}]}
            """)
        #expect(await text.run("42", contentType: nil).exchange.message.body.text == "42")
    }
}

@Suite struct RoutingStepTests {
    static let router = """
        - route:
            id: orders
            from:
              uri: direct:orders
              steps:
                - unmarshal: {json: {}}
                - choice:
                    when:
                      - simple: "${body[total]} > 1000"
                        steps: [{to: mock:big}]
                      - jsonpath: "$.items[?(@.hazmat == true)]"
                        steps:
                          - marshal: {jacksonXml: {}}
                          - to: mock:hazmat
                    otherwise:
                      steps: [{to: mock:standard}]
                - to: mock:after
        """

    @Test func choiceRoutesByContent() async throws {
        let routes = try await TestRoutes(Self.router)
        _ = await routes.run(#"{"total": 5000, "items": []}"#)
        _ = await routes.run(#"{"total": 10, "items": [{"hazmat": true}]}"#)
        _ = await routes.run(#"{"total": 10, "items": [{"hazmat": false}]}"#)
        #expect(routes.engine.mock("big").received.count == 1)
        #expect(
            routes.bodies("hazmat") == [
                #"<?xml version="1.0" encoding="UTF-8"?><root><total>10</total><items><hazmat>true</hazmat></items></root>"#
            ])
        #expect(
            routes.engine.mock("hazmat").received[0].headers["Content-Type"] == "application/xml")
        #expect(routes.engine.mock("standard").received.count == 1)
        #expect(routes.engine.mock("after").received.count == 3)
    }

    @Test func filterRunsItsStepsOnlyWhenThePredicateHolds() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - filter:
                      simple: "${header.priority} == 'high'"
                      steps: [{to: mock:urgent}]
                  - to: mock:all
            """)
        _ = await routes.run("a", headers: [("priority", "high")])
        _ = await routes.run("b", headers: [("priority", "low")])
        #expect(routes.bodies("urgent") == ["a"])
        #expect(routes.bodies("all") == ["a", "b"])
    }

    @Test func aFailureInsideABranchRecordsItsPath() async throws {
        let routes = try await TestRoutes(
            Self.router.replacingOccurrences(
                of: "steps: [{to: mock:big}]",
                with:
                    "steps: [{to: mock:big}, {throwException: {exceptionType: java.lang.IllegalStateException, message: \"too big: ${body[total]}\"}}]"
            ))
        let outcome = await routes.run(#"{"total": 5000, "items": []}"#)
        #expect(outcome.error?.kind == ErrorKind("java.lang.IllegalStateException"))
        #expect(outcome.error?.message == "too big: 5000")
        #expect(outcome.error?.path == StepPath([.step(1), .when(0), .step(1)]))
        #expect(routes.engine.mock("after").received.isEmpty)
    }

    @Test func stopEndsTheExchangeIncludingTheCaller() async throws {
        let routes = try await TestRoutes(
            """
            - route:
                id: main
                from:
                  uri: direct:main
                  steps:
                    - to: direct:sub
                    - to: mock:after
            - route:
                id: sub
                from:
                  uri: direct:sub
                  steps:
                    - to: mock:sub
                    - stop: {}
                    - to: mock:never
            """)
        let outcome = await routes.run("x", route: "main")
        #expect(outcome.error == nil)
        #expect(routes.bodies("sub") == ["x"])
        #expect(
            routes.engine.mock("never").received.isEmpty
                && routes.engine.mock("after").received.isEmpty)
    }

    @Test func directWithoutAConsumerFails() async throws {
        let routes = try await TestRoutes("- from: {uri: direct:in, steps: [{to: direct:nobody}]}")
        let outcome = await routes.run("x")
        #expect(outcome.error?.kind == .noConsumer)
        #expect(outcome.error?.endpoint == "direct:nobody")
    }

    @Test func toDComputesTheEndpointPerMessage() async throws {
        let routes = try await TestRoutes(
            "- from: {uri: direct:in, steps: [{toD: \"mock:${header.region}\"}]}")
        _ = await routes.run("a", headers: [("region", "eu")])
        _ = await routes.run("b", headers: [("region", "us")])
        #expect(routes.bodies("eu") == ["a"] && routes.bodies("us") == ["b"])
    }
}

@Suite struct DataFormatStepTests {
    @Test func csvUnmarshalsToRowsAndMarshalsToJSON() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - unmarshal: {csv: {useMaps: true, delimiter: ";"}}
                  - marshal: {json: {}}
                  - to: mock:out
            """)
        _ = await routes.run("id;qty\n1;2\n", contentType: .csv)
        #expect(routes.bodies("out") == [#"[{"id":"1","qty":"2"}]"#])
        #expect(routes.engine.mock("out").received[0].headers["Content-Type"] == "application/json")
    }

    @Test func aMalformedBodyFailsWithTheFormatsParseError() async throws {
        let routes = try await TestRoutes(
            "- from: {uri: direct:in, steps: [{unmarshal: {json: {}}}]}")
        let outcome = await routes.run(#"{"a": }"#)
        #expect(outcome.error?.kind == .jsonParse)
        #expect(outcome.error?.message.contains("JSON 1:7") == true)
        #expect(outcome.error?.kind.distance(to: ErrorKind("java.io.IOException")) != nil)
    }

    /// Jackson's options that need no Java type: include, features on map entries, the
    /// Content-Type header, a bound on string length.
    @Test func jacksonOptionsShapeWhatMarshalWritesAndBoundWhatUnmarshalReads() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:nonNull
                steps:
                  - marshal: {json: {include: NON_NULL, enableFeatures: ORDER_MAP_ENTRIES_BY_KEYS}}
                  - to: mock:nonNull
            - from:
                uri: direct:nonEmpty
                steps:
                  - marshal: {json: {include: NON_EMPTY, contentTypeHeader: false}}
                  - to: mock:nonEmpty
            - from:
                uri: direct:nulls
                steps:
                  - marshal: {json: {disableFeatures: WRITE_NULL_MAP_VALUES}}
                  - to: mock:nulls
            - from:
                uri: direct:bounded
                steps:
                  - unmarshal: {json: {maxStringLength: 5}}
                  - to: mock:bounded
            """)
        let body = #"{"z": 1, "a": null, "e": "", "l": [], "m": {"n": null, "k": [null]}}"#
        _ = await routes.run(body, route: "route1")
        _ = await routes.run(body, route: "route2")
        _ = await routes.run(body, route: "route3")
        #expect(routes.bodies("nonNull") == [#"{"e":"","l":[],"m":{"k":[null]},"z":1}"#])
        #expect(routes.bodies("nonEmpty") == [#"{"z":1,"m":{"k":[null]}}"#])
        #expect(routes.bodies("nulls") == [#"{"z":1,"e":"","l":[],"m":{"k":[null]}}"#])
        #expect(routes.engine.mock("nonNull").received.first?.headers["Content-Type"] != nil)
        #expect(routes.engine.mock("nonEmpty").received.first?.headers["Content-Type"] == nil)
        let short = await routes.run(#"{"s": "abcde"}"#, contentType: .text, route: "route4")
        #expect(short.error == nil)
        let long = await routes.run(#"{"s": "abcdef"}"#, contentType: .text, route: "route4")
        #expect(
            long.error?.kind.name == "com.fasterxml.jackson.core.exc.StreamConstraintsException")
    }

    @Test func jacksonOptionsThatCannotApplyAreRefusedWithTheirPosition() {
        let result = load(
            """
            - from:
                uri: direct:a
                steps:
                  - marshal: {json: {include: CUSTOM}}
                  - marshal: {json: {enableFeatures: "ALLOW_COMMENTS"}}
            """)
        #expect(result.errors.map(\.location.line) == [4, 5])
        #expect(result.errors.first?.message == "include 'CUSTOM' is not supported")
    }

    /// As Jackson's XmlMapper reads XML into a Map: no root, attributes and elements as
    /// plain keys, text beside them under "", repeats as arrays, no namespace declarations.
    @Test func xmlUnmarshalsAsJacksonReadsItIntoAMap() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - unmarshal: {jacksonXml: {}}
                  - setHeader: {name: id, simple: "${body[id]}"}
                  - marshal: {json: {}}
                  - to: mock:out
            """)
        _ = await routes.run(
            #"<o:order xmlns:o="urn:o" id="9"><item sku="A">2</item><item sku="B">1</item><note/><o:by>me</o:by></o:order>"#,
            contentType: .xml)
        #expect(
            routes.bodies("out") == [
                #"{"id":"9","item":[{"sku":"A","":"2"},{"sku":"B","":"1"}],"note":"","by":"me"}"#
            ])
        #expect(routes.engine.mock("out").received.first?.headers["id"] == "9")
    }
}
