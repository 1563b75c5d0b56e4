import Testing

@testable import Caravan

/// Camel's jq language through libjq.
@Suite struct JQTests {
    let order: Document = [
        "id": 7, "items": [["name": "a", "qty": 2], ["name": "b", "qty": 0]],
    ]

    @Test func oneOutputIsAValueSeveralAreAListNoneIsNull() throws {
        #expect(try JQ(".id").evaluate(order) == 7)
        #expect(try JQ(".items[] | .name").evaluate(order) == ["a", "b"])
        #expect(try JQ("[.items[] | select(.qty > 0) | .name]").evaluate(order) == ["a"])
        #expect(try JQ(".items | length").evaluate(order) == 2)
        #expect(try JQ("empty").evaluate(order) == .null)
        #expect(try JQ("{total: ([.items[].qty] | add)}").evaluate(order) == ["total": 2])
    }

    @Test func aProgramThatDoesNotCompileIsAnExpressionErrorAndARuntimeErrorAnEvaluationError()
        throws
    {
        let error = try #require(throws: ExpressionError.self) { try JQ(".items[") }
        #expect(error.message.contains("syntax error"), "\(error.message)")
        #expect(throws: EvaluationError.self) { try JQ(".id | error(\"bad\")").evaluate(order) }
    }

    @Test func routesUseJQInEveryPlaceAnExpressionGoes() async throws {
        let routes = try await TestRoutes(
            """
            - from:
                uri: direct:in
                steps:
                  - setHeader: {name: count, jq: ".items | length"}
                  - choice:
                      when:
                        - jq: "any(.items[]; .qty == 0)"
                          steps: [{setHeader: {name: empty, constant: "yes"}}]
                  - filter:
                      jq: ".id == 7"
                      steps:
                        - transform: {jq: "[.items[].name]"}
                        - to: mock:out
            """)
        _ = await routes.run(
            #"{"id": 7, "items": [{"name": "a", "qty": 2}, {"name": "b", "qty": 0}]}"#)
        let got = try #require(routes.engine.mock("out").received.first)
        #expect(got.headers["count"] == 2)
        #expect(got.headers["empty"] == "yes")
        #expect(got.body.text == #"["a","b"]"#)
    }

    @Test func anInvalidProgramIsALoadErrorAtItsPosition() {
        let result = load(
            """
            - from:
                uri: direct:in
                steps:
                  - setBody: {jq: ".a |"}
            """)
        #expect(result.errors.count == 1)
        #expect(result.errors.first?.location.line == 4)
    }
}
