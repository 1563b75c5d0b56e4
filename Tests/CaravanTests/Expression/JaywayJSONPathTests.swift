import Testing

@testable import Caravan

/// Camel's jsonpath is Jayway JsonPath: its functions and filter operators, on top of
/// RFC 9535 (which stays as it is wherever the two agree).
@Suite struct JaywayJSONPathTests {
    let store: Document = [
        "items": [
            ["sku": "A-1", "price": 8, "size": "S", "tags": ["new", "sale"]],
            ["sku": "b-2", "price": 12, "size": "L", "tags": []],
            ["sku": "A-3", "price": 10, "size": "M", "tags": ["sale"]],
        ],
        "owner": ["name": "ACME", "city": "Oslo"],
        "words": ["a", "b"],
    ]

    func value(_ path: String) throws -> Document { try JSONPath(path).value(of: store) }
    func skus(_ path: String) throws -> [String] {
        try JSONPath(path).evaluate(store).compactMap { $0["sku"]?.scalarText }
    }

    @Test func functionsAtTheEndOfAPath() throws {
        #expect(try value("$.items.length()") == 3)
        #expect(try value("$.items.size()") == 3)
        #expect(try value("$.items[*].price.sum()") == 30)
        #expect(try value("$..price.min()") == 8)
        #expect(try value("$..price.max()") == 12)
        #expect(try value("$..price.avg()") == 10)
        let sd = try #require(try value("$..price.stddev()").scalarText.flatMap(Double.init))
        #expect(abs(sd - 1.63299) < 0.0001)
        #expect(try value("$.owner.keys()") == ["name", "city"])
        #expect(try value("$.words.first()") == "a")
        #expect(try value("$.words.last()") == "b")
        #expect(try value("$.words.index(-1)") == "b")
        #expect(try value("$.words.concat('-', 'c')") == "ab-c")
        #expect(try value("$.words.append('c')") == ["a", "b", "c"])
    }

    @Test func filterOperatorsBeyondTheRFC() throws {
        #expect(try skus("$.items[?(@.sku =~ /a-.*/i)]") == ["A-1", "A-3"])
        #expect(try skus("$.items[?(@.sku =~ /a-.*/)]") == [])
        #expect(try skus("$.items[?(@.size in ['S', 'M'])]") == ["A-1", "A-3"])
        #expect(try skus("$.items[?(@.size nin ['S', 'M'])]") == ["b-2"])
        #expect(
            try skus("$.items[?(@.tags subsetof ['new', 'sale', 'old'])]") == ["A-1", "b-2", "A-3"])
        #expect(try skus("$.items[?(@.tags anyof ['new'])]") == ["A-1"])
        #expect(try skus("$.items[?(@.tags noneof ['new'])]") == ["b-2", "A-3"])
        #expect(try skus("$.items[?(@.tags size 1)]") == ["A-3"])
        #expect(try skus("$.items[?(@.tags empty true)]") == ["b-2"])
        #expect(try skus("$.items[?(@.price < 10 || @.sku =~ /b.*/)]") == ["A-1", "b-2"])
    }

    @Test func validRFCQueriesKeepTheirMeaningAndErrorsPointWhereTheyBreak() throws {
        // RFC 9535 filters without parentheses, and its own functions.
        #expect(try skus("$.items[?@.price > 9]") == ["b-2", "A-3"])
        #expect(try skus("$.items[?length(@.tags) == 2]") == ["A-1"])
        let error = try #require(throws: ExpressionError.self) {
            try JSONPath("$.items[?(@.sku =~ /[/)]")
        }
        #expect(error.message.contains("regular expression"))
        #expect(throws: ExpressionError.self) { try JSONPath("$.items.index(x)") }
    }

    /// Found by the fuzzer: thousands of '(' exhausted the stack.
    @Test func nestingIsBoundedWithAnErrorNotACrash() throws {
        let deep = "$.a[?" + String(repeating: "(", count: 5000) + "@.b"
        let error = try #require(throws: ExpressionError.self) { try JSONPath(deep) }
        #expect(error.message.contains("nests more than 64 levels"))
        let fine =
            "$.items[?" + String(repeating: "(", count: 40) + "@.price > 9"
            + String(repeating: ")", count: 40) + "]"
        #expect(try JSONPath(fine).evaluate(store).count == 2)
    }

    @Test func aRouteGetsTheFunctionsValue() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - setHeader: {name: count, jsonpath: "$.items.length()"}
                  - filter:
                      jsonpath: "$.items[?(@.sku =~ /A-.*/)]"
                      steps: [{to: mock:some}]
            """)
        _ = await routes.run(#"{"items": [{"sku": "A-1"}, {"sku": "B-2"}]}"#)
        let got = try #require(routes.engine.mock("some").received.first)
        #expect(got.headers["count"] == 2)
    }
}

/// The jsonpath language's options, as a route sets them.
@Suite struct JSONPathOptionsTests {
    @Test func optionsShapeTheValueAndChooseItsSource() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - setVariable: {name: order, constant: '{"lines": [{"n": 1}]}'}
                  - setHeader:
                      name: count
                      jsonpath: {expression: "$.items.length()", resultType: java.lang.String}
                  - setHeader:
                      name: one
                      jsonpath: {expression: "$.items[?(@.n == 2)]", unpackArray: true}
                  - setHeader:
                      name: raw
                      jsonpath: {expression: "$.items[0]", writeAsString: true}
                  - setHeader:
                      name: fromVariable
                      jsonpath: {expression: "$.lines[0].n", source: "variable:order"}
                  - setHeader:
                      name: list
                      jsonpath: {expression: "$.items[0].n", option: ALWAYS_RETURN_LIST}
                  - to: mock:out
            """)
        _ = await routes.run(#"{"items": [{"n": 1}, {"n": 2}]}"#)
        let got = try #require(routes.engine.mock("out").received.first)
        #expect(got.headers["count"] == "2")
        #expect(got.headers["one"] == ["n": 2])
        #expect(got.headers["raw"] == #"{"n":1}"#)
        #expect(got.headers["fromVariable"] == 1)
        #expect(got.headers["list"] == [1])
    }

    @Test func suppressExceptionsGivesNullForABodyThatIsNotJSON() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - setHeader:
                      name: quiet
                      jsonpath: {expression: "$.a", suppressExceptions: true}
                  - to: mock:out
                  - setHeader: {name: loud, jsonpath: "$.a"}
            """)
        let outcome = await routes.run("not json", contentType: nil)
        #expect(routes.engine.mock("out").received.first?.headers["quiet"] == nil)
        #expect(outcome.error != nil, "without suppressExceptions the exchange fails")
    }

    @Test func anUnknownJaywayOptionIsRefusedAtItsPosition() {
        let result = load(
            """
            - from:
                uri: direct:in
                steps:
                  - setHeader: {name: x, jsonpath: {expression: "$.a", option: AS_PATH_LIST}}
            """)
        #expect(result.errors.first?.message.contains("'AS_PATH_LIST' is not supported") == true)
        #expect(result.errors.first?.location.line == 4)
    }
}
